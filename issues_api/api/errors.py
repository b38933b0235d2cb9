"""JSON, never HTML, for errors Django answers outside DRF (unknown URLs, crashes), and a
middleware that refuses NUL characters in URLs, and query strings that are not UTF-8, before
they reach the database."""

import sys
from urllib.parse import unquote_to_bytes

from django.http import JsonResponse

from issues_api.api.outage import answered_unavailable, log_unavailable, unavailable_detail


def json_bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def json_permission_denied(request, exception=None):
    return JsonResponse(
        {"detail": "You do not have permission to perform this action."}, status=403
    )


def json_not_found(request, exception=None):
    return JsonResponse({"detail": "The requested resource does not exist"}, status=404)


def json_server_error(request):
    # Django calls this while it handles the exception, from a view outside DRF (the admin)
    # or from any middleware: a database outage there is a 503 too.
    exc = sys.exception()
    detail = unavailable_detail(exc)
    if detail is not None:
        log_unavailable(request, exc, detail)
        return answered_unavailable(JsonResponse({"detail": detail}, status=503))
    return JsonResponse({"detail": "Internal Error"}, status=500)


def _is_utf8(query: str) -> bool:
    try:
        # WSGI hands the query string over as bytes decoded as latin-1.
        unquote_to_bytes(query.encode("iso-8859-1")).decode("utf-8")
    except UnicodeError:
        return False
    return True


class RejectNulMiddleware:
    """PostgreSQL cannot compare text with NUL characters; such a path or query is a 400.

    So is a query string that is not UTF-8 once percent-decoded, such as a lone surrogate
    (%ED%A0%80): Django would read it as U+FFFD and search for that, where the client sent
    something else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = path_or_query_refusal(request.path, request.META.get("QUERY_STRING", ""))
        if refusal is not None:
            return JsonResponse({"detail": refusal}, status=400)
        return self.get_response(request)


def path_or_query_refusal(path: str, query: str) -> str | None:
    """Why RejectNulMiddleware refuses this path and query string (as WSGI gives it: bytes
    read as latin-1), or None."""
    if "\x00" in path or "%00" in query or "\x00" in query:
        return "NUL characters are not allowed."
    if not _is_utf8(query):
        return "The query string is not valid UTF-8."
    return None

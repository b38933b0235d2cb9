"""The ingest endpoints SDKs post to: POST /api/{project_id}/envelope/ and .../store/ (also
under the path of ISSUES_API_URL_PREFIX), and their CORS preflight.

Not DRF endpoints: no bearer token, session or CSRF; a project key instead, read as Relay
reads it. The request is checked (key, size, encoding, envelope, each event through
normalize_event) and its events queued (events_accept); `digest_events` counts them later.
"""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.selectors import project_key_by_public_key
from issues.ingest.bodies import BadEncoding, BodyTooLarge, UnsupportedEncoding, decoded_body
from issues.ingest.envelopes import (
    INVALID_ENVELOPE,
    MISSING_AUTH,
    BadSubmission,
    EventTooLarge,
    Unauthenticated,
    public_key_of_request,
    read_envelope,
    read_store_body,
)
from issues.ingest.normalize import normalize_event
from issues.ingest.sanitize import sanitize_event
from issues.services import events_accept
from issues_api.api.ratelimit import count_request
from issues_api.rates import Rate

# Relay's CORS answer: browser SDKs post from any origin, with these headers.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, accept, "
        "content-type, authentication, authorization, content-encoding, transfer-encoding, "
        "sentry-trace, baggage"
    ),
    "Access-Control-Expose-Headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
    "Access-Control-Max-Age": "3600",
}
TOO_LARGE = "Request body is too large."  # nginx's and the API's 413 body
# Relay's answers (relay-server's BadStoreRequest).
EVENT_TOO_LARGE = (
    "envelope exceeded size limits for type 'event' "
    "(https://develop.sentry.dev/sdk/envelopes/#size-limits)"
)
REJECTED = "event submission rejected with_reason: ProjectId"
BAD_PROJECT = "bad project path parameter"
RATE_LIMITED = (
    "Sentry dropped data due to a quota or internal rate limit being reached. This will not "
    "affect your application. See https://docs.sentry.io/product/accounts/quotas/ for more "
    "information."
)


class Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def _answer(body: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status)
    for name, value in {**CORS_HEADERS, **(headers or {})}.items():
        response[name] = value
    return response


def _prefix_path() -> str:
    return urlsplit(settings.ISSUES_API_URL_PREFIX).path.strip("/")


def _project_key(public_key: str, project_id: int):
    # Relay answers alike for an unknown, a disabled and another project's key.
    key = project_key_by_public_key(public_key)
    if key is None or not key.is_active or key.project_id != project_id:
        raise Refused(403, REJECTED)
    return key


def _body(request, *, limit: int, too_large: str) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit():
        raise Refused(400, "Content-Length is not a number.")
    if int(length) > settings.ISSUES_API_INGEST_MAX_BODY_BYTES:
        raise Refused(413, TOO_LARGE)
    raw = request.read(settings.ISSUES_API_INGEST_MAX_BODY_BYTES + 1)
    if len(raw) > settings.ISSUES_API_INGEST_MAX_BODY_BYTES:
        raise Refused(413, TOO_LARGE)
    try:
        return decoded_body(raw, request.META.get("HTTP_CONTENT_ENCODING", ""), limit=limit)
    except BodyTooLarge:
        raise Refused(413, too_large) from None
    except UnsupportedEncoding as error:
        raise Refused(415, f"Unsupported Content-Encoding: {error}") from None
    except BadEncoding as error:
        raise Refused(400, str(error)) from None


def _check_rate(key) -> None:
    """The key's own limit: events (requests that carry one) per window."""
    if not key.rate_limit_count or not key.rate_limit_window:
        return
    rate = Rate(key.rate_limit_count, key.rate_limit_window, "")
    state = count_request(f"projectkey:{key.pk}", rate)
    if state is None or state.allowed:
        return
    retry_after = str(max(1, state.reset - int(time.time())))
    raise Refused(
        429,
        RATE_LIMITED,
        {"Retry-After": retry_after, "X-Sentry-Rate-Limits": f"{retry_after}::key"},
    )


def _check_dsn(submission, *, public_key: str | None, project_id: int) -> None:
    """Relay checks the envelope's dsn against the request: another project, or another key
    than the request's headers name, is a "header mismatch between envelope and request"."""
    dsn_project = submission.dsn_project
    if dsn_project is not None and (dsn_project.lstrip("0") or "0") != str(project_id):
        raise BadSubmission(INVALID_ENVELOPE)
    if public_key and submission.dsn_key not in (None, public_key):
        raise BadSubmission(INVALID_ENVELOPE)


def _submit(request, *, project_id: int, endpoint: str) -> dict:
    public_key = public_key_of_request(
        auth_header=request.META.get("HTTP_X_SENTRY_AUTH", ""),
        authorization=request.META.get("HTTP_AUTHORIZATION", ""),
        query_key=request.GET.get("sentry_key"),
    )
    # A key in the headers is checked before the body is read.
    key = _project_key(public_key, project_id) if public_key else None
    max_event = settings.ISSUES_API_INGEST_MAX_EVENT_BYTES
    if endpoint == "store":
        body = _body(request, limit=max_event, too_large=EVENT_TOO_LARGE)
        submission = read_store_body(body, max_event_bytes=max_event)
    else:
        body = _body(
            request,
            limit=settings.ISSUES_API_INGEST_MAX_DECOMPRESSED_BYTES,
            too_large="Request body is too large once decompressed.",
        )
        submission = read_envelope(body, max_event_bytes=max_event)
    _check_dsn(submission, public_key=public_key, project_id=project_id)
    if key is None:
        if submission.dsn_key is None:
            raise Unauthenticated(MISSING_AUTH)
        key = _project_key(submission.dsn_key, project_id)
    now = timezone.now()
    events = []
    for event_id, payload in submission.events:
        # What Relay normalises rather than refuses, so that what is queued is what the
        # digest stores; then the digest's own check, now: what it would refuse is refused.
        payload = sanitize_event(payload, received=now, sent_at=submission.sent_at)
        try:
            normalize_event(payload, now=now)
        except ValueError as error:
            raise Refused(400, f"invalid event: {error}") from None
        events.append((event_id, payload))
    if not events:
        return {}
    _check_rate(key)
    events_accept(project_id=project_id, events=events, received=now)
    return {"id": events[0][0]}


@csrf_exempt
def ingest_api(request, project_id: str, endpoint: str, path_prefix: str | None = None):
    if (path_prefix or "") not in {"", _prefix_path()}:
        return JsonResponse({"detail": "The requested resource does not exist"}, status=404)
    if request.method == "OPTIONS":
        response = HttpResponse(status=200)
        for name, value in CORS_HEADERS.items():
            response[name] = value
        return response
    if request.method != "POST":
        return _answer(
            {"detail": f'Method "{request.method}" not allowed.'},
            405,
            {"Allow": "POST, OPTIONS"},
        )
    # Relay's project ids are u64; a longer one would not even convert (Python refuses
    # integers of over 4300 digits).
    if len(project_id) > 20 or int(project_id) >= 2**64:
        return _answer({"detail": BAD_PROJECT}, 400)
    try:
        body = _submit(request, project_id=int(project_id), endpoint=endpoint)
    except Unauthenticated as error:
        return _answer({"detail": str(error)}, 401)
    except (BadSubmission, EventTooLarge) as error:
        if isinstance(error, EventTooLarge):
            return _answer({"detail": EVENT_TOO_LARGE}, 413)
        return _answer({"detail": str(error)}, 400)
    except Refused as error:
        return _answer({"detail": error.detail}, error.status, error.headers)
    return _answer(body)

"""Request bodies sent with `Transfer-Encoding: chunked`, made readable for Django.

gunicorn takes the chunks apart and ends wsgi.input where the body ends (it sets
wsgi.input_terminated), but a chunked request has no Content-Length, and Django reads exactly
CONTENT_LENGTH bytes: absent, that is none, so a chunked PUT would answer 200 and change nothing.
Sentry's SDKs send chunked bodies. This wrapper reads such a body once, at most
ISSUES_API_MAX_BODY_BYTES of it (ISSUES_API_INGEST_MAX_BODY_BYTES on the ingest routes), and
hands Django the bytes with their length, so that every view, parser and limit downstream sees
an ordinary request.
"""

import json
from io import BytesIO

from issues_api.ingest_routes import body_limit

# The body of issues_api.api.parsers.PayloadTooLarge, which a Content-Length body over the
# limit gets from the parser.
TOO_LARGE = "Request body is too large."
BAD_BODY = "The chunked request body could not be read."
LENGTH_REQUIRED = "A chunked request body needs a server that ends the input; send Content-Length."
READ_SIZE = 64 * 1024


def is_chunked(environ) -> bool:
    codings = environ.get("HTTP_TRANSFER_ENCODING", "")
    return any(coding.strip().lower() == "chunked" for coding in codings.split(","))


def read_at_most(stream, size: int) -> bytes:
    """Up to `size` bytes of the stream: fewer only when it ends first."""
    parts = []
    remaining = size
    while remaining > 0:
        part = stream.read(min(remaining, READ_SIZE))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def json_error(start_response, status: str, detail: str):
    body = json.dumps({"detail": detail}).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class ChunkedRequestBodies:
    """WSGI middleware around the Django application (see issues_api/wsgi.py)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        # A Content-Length alongside chunked is refused by gunicorn; elsewhere it is the
        # server's framing, which Django already follows.
        if environ.get("CONTENT_LENGTH") or not is_chunked(environ):
            return self.app(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            # The input would carry the chunk framing, or never end: refuse rather than read
            # the wrong bytes or block (Django's runserver is such a server).
            return json_error(start_response, "411 Length Required", LENGTH_REQUIRED)
        limit = body_limit(environ.get("PATH_INFO", ""))
        # One byte past the limit tells "too large" without holding more of it in memory.
        try:
            body = read_at_most(environ["wsgi.input"], limit + 1)
        except Exception:
            # The server's own error for broken chunk framing (gunicorn's ParseException
            # subclasses) or a body cut short: the client's fault, answered as such.
            return json_error(start_response, "400 Bad Request", BAD_BODY)
        if len(body) > limit:
            return json_error(start_response, "413 Request Entity Too Large", TOO_LARGE)
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

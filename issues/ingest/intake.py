"""What the ingest endpoints answer, apart from how a request arrives and how its events are
stored: one flow, driven by two fronts.

The flow is a generator. It says what it needs from outside (the request's body, a client
key, a count against the key's rate limit, the events stored) by yielding one of the needs
below, gets the result sent back, and returns the Answer. issues.ingest.apis drives it from
Django's WSGI view (make run, the tests' client); issues.ingest_asgi drives it from
gunicorn's ASGI worker, which production gives the ingest routes (docs/ingest.md). The two
cannot answer differently: the rules are here, once.

Relay's rules: the request is checked (key, size, encoding, envelope, each event through
normalize_event) and its events queued; `digest_events` counts them later.
"""

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

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
NOT_FOUND = "The requested resource does not exist"
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


@dataclass(frozen=True)
class Intake:
    """What the flow reads of a request, whichever front received it."""

    method: str
    project_id: str
    endpoint: str  # "envelope" or "store"
    path_prefix: str | None = None
    auth_header: str = ""  # X-Sentry-Auth
    authorization: str = ""
    query_key: str | None = None  # ?sentry_key=
    content_length: str = ""
    content_encoding: str = ""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict | None  # None: no body
    headers: dict = field(default_factory=dict)


# What the flow yields; what the front sends back.
@dataclass(frozen=True)
class ReadBody:
    """The body as sent: all of it, or at least `most + 1` bytes when it is longer."""

    most: int


@dataclass(frozen=True)
class FindKey:
    """The client key of this public key (accounts.selectors.project_key_by_public_key)."""

    public_key: str


@dataclass(frozen=True)
class CountRequest:
    """The key's count in its window (issues_api.api.ratelimit.count_request)."""

    client: str
    rate: Rate


@dataclass(frozen=True)
class Store:
    """Queue these events (issues.services.events_accept); None back once it is durable."""

    project_id: int
    events: list[tuple[str, dict]]
    received: datetime


Need = ReadBody | FindKey | CountRequest | Store


class Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def answer(body: dict, status: int = 200, headers: dict | None = None) -> Answer:
    return Answer(status, body, {**CORS_HEADERS, **(headers or {})})


def _prefix_path() -> str:
    return urlsplit(settings.ISSUES_API_URL_PREFIX).path.strip("/")


def _project_key(public_key: str, project_id: int):
    # Relay answers alike for an unknown, a disabled and another project's key.
    key = yield FindKey(public_key)
    if key is None or not key.is_active or key.project_id != project_id:
        raise Refused(403, REJECTED)
    return key


def _body(request: Intake, *, limit: int, too_large: str):
    length = request.content_length or "0"
    if not length.isdigit():
        raise Refused(400, "Content-Length is not a number.")
    most = settings.ISSUES_API_INGEST_MAX_BODY_BYTES
    if int(length) > most:
        raise Refused(413, TOO_LARGE)
    raw = yield ReadBody(most)
    if len(raw) > most:
        raise Refused(413, TOO_LARGE)
    try:
        return decoded_body(raw, request.content_encoding, limit=limit)
    except BodyTooLarge:
        raise Refused(413, too_large) from None
    except UnsupportedEncoding as error:
        raise Refused(415, f"Unsupported Content-Encoding: {error}") from None
    except BadEncoding as error:
        raise Refused(400, str(error)) from None


def _check_rate(key):
    """The key's own limit: events (requests that carry one) per window."""
    if not key.rate_limit_count or not key.rate_limit_window:
        return
    rate = Rate(key.rate_limit_count, key.rate_limit_window, "")
    state = yield CountRequest(f"projectkey:{key.pk}", rate)
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


def _submit(request: Intake, project_id: int):
    public_key = public_key_of_request(
        auth_header=request.auth_header,
        authorization=request.authorization,
        query_key=request.query_key,
    )
    # A key in the headers is checked before the body is read.
    key = (yield from _project_key(public_key, project_id)) if public_key else None
    max_event = settings.ISSUES_API_INGEST_MAX_EVENT_BYTES
    if request.endpoint == "store":
        body = yield from _body(request, limit=max_event, too_large=EVENT_TOO_LARGE)
        submission = read_store_body(body, max_event_bytes=max_event)
    else:
        body = yield from _body(
            request,
            limit=settings.ISSUES_API_INGEST_MAX_DECOMPRESSED_BYTES,
            too_large="Request body is too large once decompressed.",
        )
        submission = read_envelope(body, max_event_bytes=max_event)
    _check_dsn(submission, public_key=public_key, project_id=project_id)
    if key is None:
        if submission.dsn_key is None:
            raise Unauthenticated(MISSING_AUTH)
        key = yield from _project_key(submission.dsn_key, project_id)
    now = timezone.now()
    events = []
    for event_id, payload in submission.events:
        # What Relay normalises rather than refuses, so that what is queued is what the
        # digest stores; then the digest's own check, now: what it would refuse is refused.
        payload = sanitize_event(payload, received=now, sent_at=submission.sent_at)
        try:
            normalize_event(payload, now=now, tags=False)  # the same checks, fewer objects
        except ValueError as error:
            raise Refused(400, f"invalid event: {error}") from None
        events.append((event_id, payload))
    if not events:
        return {}
    yield from _check_rate(key)
    yield Store(project_id, events, now)
    return {"id": events[0][0]}


def intake(request: Intake) -> Generator[Need, object, Answer]:
    """The answer to one request to an ingest route (see the module's docstring)."""
    if (request.path_prefix or "") not in {"", _prefix_path()}:
        return Answer(404, {"detail": NOT_FOUND})
    if request.method == "OPTIONS":
        return Answer(200, None, CORS_HEADERS)
    if request.method != "POST":
        return answer(
            {"detail": f'Method "{request.method}" not allowed.'}, 405, {"Allow": "POST, OPTIONS"}
        )
    # Relay's project ids are u64; a longer one would not even convert (Python refuses
    # integers of over 4300 digits).
    if len(request.project_id) > 20 or int(request.project_id) >= 2**64:
        return answer({"detail": BAD_PROJECT}, 400)
    try:
        body = yield from _submit(request, int(request.project_id))
    except Unauthenticated as error:
        return answer({"detail": str(error)}, 401)
    except EventTooLarge:
        return answer({"detail": EVENT_TOO_LARGE}, 413)
    except BadSubmission as error:
        return answer({"detail": str(error)}, 400)
    except Refused as error:
        return answer({"detail": error.detail}, error.status, error.headers)
    return answer(body)

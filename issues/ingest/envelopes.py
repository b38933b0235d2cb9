"""What an SDK sends, read the way Relay reads it: the project key of X-Sentry-Auth (or of
`?sentry_key=`, or of the envelope's `dsn`), and the events of an envelope or of a legacy
store body. Pure functions: no database.

The envelope format (develop.sentry.dev/sdk/envelopes/): a header line of JSON, then items,
each a header line of JSON with a `type` and an optional `length`, then its payload: `length`
bytes when given (then a newline or the end), else up to the next newline. Where Relay
refuses, the message is Relay's.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import orjson

from issues.ingest.sanitize import (
    TooDeep,
    check_depth,
    may_be_too_deep,
    note_error,
    parse_timestamp,
)

PUBLIC_KEY = re.compile(r"[0-9a-fA-F]{32}")
AUTH_PREFIX = "sentry "

# Relay's messages (relay-server: BadEventMeta, BadStoreRequest, EnvelopeError's parent).
MISSING_AUTH = "missing authorization information"
BAD_AUTH_HEADER = "bad x-sentry-auth header"
BAD_ENVELOPE_AUTH = "bad envelope authentication header"
BAD_PUBLIC_KEY = "bad sentry DSN public key"
EMPTY_BODY = "empty request body"
INVALID_ENVELOPE = "invalid event envelope"
INVALID_JSON = "invalid JSON data: {}"


class Unauthenticated(Exception):
    """No project key, or one that cannot be read (401)."""


class BadSubmission(Exception):
    """A body that is not an envelope or an event (400)."""


class EventTooLarge(Exception):
    """An event over the event size limit (413)."""


@dataclass
class Submission:
    """The events of one request, each with its id (32 lowercase hex), the public key and
    project id its envelope header names (its `dsn`), if any, and when the SDK says it sent
    them."""

    events: list[tuple[str, dict]] = field(default_factory=list)
    dsn_key: str | None = None
    dsn_project: str | None = None
    sent_at: datetime | None = None


def _checked_key(value: str) -> str:
    if not PUBLIC_KEY.fullmatch(value):
        raise Unauthenticated(BAD_PUBLIC_KEY)
    return value.lower()


def public_key_of_request(*, auth_header: str, authorization: str, query_key: str | None):
    """The public key the request's headers or query string carry, or None: X-Sentry-Auth
    first, then `Authorization: Sentry ...` (older SDKs), then `?sentry_key=`."""
    for header, name in ((auth_header, "X-Sentry-Auth"), (authorization, "Authorization")):
        if not header or (name == "Authorization" and not header.lower().startswith(AUTH_PREFIX)):
            continue
        text = header[len(AUTH_PREFIX) :] if header.lower().startswith(AUTH_PREFIX) else header
        pairs = {}
        for part in text.split(","):
            key, sep, value = part.strip().partition("=")
            if sep:
                pairs[key.strip().lower()] = value.strip()
        if not pairs.get("sentry_key"):
            raise Unauthenticated(BAD_AUTH_HEADER)
        return _checked_key(pairs["sentry_key"])
    if query_key is not None:
        return _checked_key(query_key)
    return None


def _json(data: bytes, *, invalid: str | None = None):
    """The JSON value of `data`, as Relay's parser reads it: lone surrogates, invalid UTF-8,
    numbers out of a double's range and nesting over 128 levels are refused. `invalid` is
    the message of the refusal; by default Relay's "invalid JSON data: <why>"."""
    try:
        value = orjson.loads(data)
        if may_be_too_deep(data):
            check_depth(value)
    except (orjson.JSONDecodeError, TooDeep) as error:
        raise BadSubmission(invalid or INVALID_JSON.format(error)) from None
    return value


def _event_id(value) -> str | None:
    """The event id as 32 lowercase hex digits (Relay takes a UUID with or without dashes,
    braces or a urn: prefix), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value).hex
    except ValueError:
        return None


def _event(
    data: bytes, *, max_event_bytes: int, default_id: str | None, repair_id: bool
) -> tuple[str, dict]:
    if len(data) > max_event_bytes:
        raise EventTooLarge
    payload = _json(data)
    if not isinstance(payload, dict):
        raise BadSubmission(INVALID_JSON.format("the event is not a JSON object"))
    raw_id = payload.get("event_id")
    event_id = None if raw_id is None else _event_id(raw_id)
    if event_id is None and raw_id is not None:
        if not repair_id:
            raise BadSubmission(INVALID_JSON.format("invalid event id"))
        # Relay's envelope endpoint keeps such an event under the envelope's id.
        note_error(payload, {"type": "invalid_data", "name": "event_id", "value": raw_id})
    # An event without an id gets one here, so that the id answered is the id stored.
    event_id = event_id or default_id or uuid.uuid4().hex
    payload["event_id"] = event_id
    return event_id, payload


def _line(body: bytes, start: int) -> tuple[bytes, int]:
    """The bytes from `start` to the next newline (or the end), and where the next line
    starts."""
    end = body.find(b"\n", start)
    if end < 0:
        return body[start:], len(body)
    return body[start:end], end + 1


def _dsn(headers: dict) -> tuple[str | None, str | None]:
    """The public key and the project id of the envelope's `dsn`, if it has one."""
    dsn = headers.get("dsn")
    if dsn is None:
        return None, None
    try:
        parts = urlsplit(str(dsn))
        username = parts.username
    except ValueError:
        username = None
    if not username:
        raise Unauthenticated(BAD_ENVELOPE_AUTH)
    project_id = parts.path.rstrip("/").rpartition("/")[2]
    if not project_id.isdigit():
        raise BadSubmission(INVALID_ENVELOPE)
    return _checked_key(username), project_id


def _envelope_headers(line: bytes) -> tuple[dict, str | None, datetime | None]:
    """The envelope's headers, its event id and its sent_at, each checked as Relay's
    EnvelopeHeaders reads them."""
    headers = _json(line, invalid=INVALID_ENVELOPE)
    if not isinstance(headers, dict):
        raise BadSubmission(INVALID_ENVELOPE)
    event_id = headers.get("event_id")
    if event_id is not None and (event_id := _event_id(event_id)) is None:
        raise BadSubmission(INVALID_ENVELOPE)
    sent_at = headers.get("sent_at")
    if sent_at is not None and (
        not isinstance(sent_at, str) or (sent_at := parse_timestamp(sent_at)) is None
    ):
        raise BadSubmission(INVALID_ENVELOPE)
    return headers, event_id, sent_at


def _item_payload(body: bytes, position: int, length) -> tuple[int, int, int]:
    """Where the item's payload starts and ends, and where the next item starts."""
    if length is None:
        end = body.find(b"\n", position)
        end = len(body) if end < 0 else end
        return position, end, min(end + 1, len(body))
    # Relay's length is a u32; a payload runs to its length, then a newline or the end.
    if type(length) is not int or not 0 <= length < 2**32:
        raise BadSubmission(INVALID_ENVELOPE)
    end = position + length
    if end > len(body) or body[end : end + 1] not in (b"", b"\n"):
        raise BadSubmission(INVALID_ENVELOPE)
    return position, end, end + 1


def read_envelope(body: bytes, *, max_event_bytes: int) -> Submission:
    """The events of an envelope (items of type "event"; every other item type is skipped)."""
    if not body:
        raise BadSubmission(EMPTY_BODY)
    line, position = _line(body, 0)
    headers, default_id, sent_at = _envelope_headers(line)
    dsn_key, dsn_project = _dsn(headers)
    submission = Submission(dsn_key=dsn_key, dsn_project=dsn_project, sent_at=sent_at)
    while position < len(body):
        line, position = _line(body, position)
        if not line.strip():
            continue  # a trailing or blank line between items
        item = _json(line, invalid=INVALID_ENVELOPE)
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise BadSubmission(INVALID_ENVELOPE)
        start, end, position = _item_payload(body, position, item.get("length"))
        if item["type"] == "event":
            event = _event(
                body[start:end],
                max_event_bytes=max_event_bytes,
                default_id=default_id,
                repair_id=True,
            )
            submission.events.append(event)
    return submission


def read_store_body(body: bytes, *, max_event_bytes: int) -> Submission:
    """The one event of a legacy store request: the body is the event."""
    if not body:
        raise BadSubmission(EMPTY_BODY)
    event = _event(body, max_event_bytes=max_event_bytes, default_id=None, repair_id=False)
    return Submission(events=[event])

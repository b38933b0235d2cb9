"""What an SDK sends, read the way Relay reads it: the project key of X-Sentry-Auth (or of
`?sentry_key=`, or of the envelope's `dsn`), and the events of an envelope or of a legacy
store body. Pure functions: no database.

The envelope format (develop.sentry.dev/sdk/envelopes/): a header line of JSON, then items,
each a header line of JSON with a `type` and an optional `length`, then its payload: `length`
bytes when given (and an optional newline), else up to the next newline.
"""

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

from issues_api.api.parsers import check_storable

PUBLIC_KEY = re.compile(r"[0-9a-fA-F]{32}")
AUTH_PREFIX = "sentry "


class Unauthenticated(Exception):
    """No project key, or one that cannot be read (401)."""


class BadSubmission(Exception):
    """A body that is not an envelope or an event (400)."""


class EventTooLarge(Exception):
    """An event over the event size limit (413)."""


@dataclass
class Submission:
    """The events of one request, each with its id (32 lowercase hex), and the public key
    its envelope header names (its `dsn`), if any."""

    events: list[tuple[str, dict]] = field(default_factory=list)
    dsn_key: str | None = None


def _checked_key(value: str, source: str) -> str:
    if not PUBLIC_KEY.fullmatch(value):
        raise Unauthenticated(f"bad project key in {source}: not 32 hex characters")
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
            raise Unauthenticated(f"bad {name} header: no sentry_key")
        return _checked_key(pairs["sentry_key"], name)
    if query_key is not None:
        return _checked_key(query_key, "the query string")
    return None


def _json(data: bytes, what: str):
    try:
        value = orjson.loads(data)
        check_storable(value)
    except (orjson.JSONDecodeError, ValueError) as error:
        raise BadSubmission(f"{what} is not valid JSON: {error}") from None
    except RecursionError:
        raise BadSubmission(f"{what} is nested too deeply") from None
    return value


def _json_object(data: bytes, what: str) -> dict:
    value = _json(data, what)
    if not isinstance(value, dict):
        raise BadSubmission(f"{what} is not a JSON object")
    return value


def _event(data: bytes, *, max_event_bytes: int, default_id: str | None) -> tuple[str, dict]:
    if len(data) > max_event_bytes:
        raise EventTooLarge
    payload = _json_object(data, "the event")
    # sentry-cli writes ids with dashes; an event without one gets one here, so that the id
    # answered is the id the digest stores.
    raw_id = payload.get("event_id") or default_id or uuid.uuid4().hex
    event_id = str(raw_id).replace("-", "").lower()
    payload["event_id"] = event_id
    return event_id, payload


def _line(body: bytes, start: int) -> tuple[bytes, int]:
    """The bytes from `start` to the next newline (or the end), and where the next line
    starts."""
    end = body.find(b"\n", start)
    if end < 0:
        return body[start:], len(body)
    return body[start:end], end + 1


def _dsn_key(headers: dict) -> str | None:
    dsn = headers.get("dsn")
    if dsn is None:
        return None
    try:
        username = urlsplit(str(dsn)).username
    except ValueError:
        username = None
    if not username:
        raise Unauthenticated("bad dsn in the envelope header: no public key")
    return _checked_key(username, "the envelope's dsn")


def _envelope_id(headers: dict) -> str | None:
    value = headers.get("event_id")
    return str(value) if value else None


def read_envelope(body: bytes, *, max_event_bytes: int) -> Submission:
    """The events of an envelope (items of type "event"; every other item type is skipped)."""
    if not body.strip():
        raise BadSubmission("the envelope is empty")
    line, position = _line(body, 0)
    headers = _json_object(line, "the envelope header")
    submission = Submission(dsn_key=_dsn_key(headers))
    default_id = _envelope_id(headers)
    while position < len(body):
        line, position = _line(body, position)
        if not line.strip():
            continue  # a trailing or blank line between items
        item = _json_object(line, "an item header")
        item_type = item.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise BadSubmission("an item header has no type")
        length = item.get("length")
        if length is None:
            start = position
            end = body.find(b"\n", start)
            end = len(body) if end < 0 else end
            position = min(end + 1, len(body))
        else:
            if type(length) is not int or length < 0:
                raise BadSubmission("an item header's length is not a non-negative integer")
            start, end = position, position + length
            if end > len(body):
                raise BadSubmission("an item's length runs past the end of the envelope")
            position = end + 1 if body[end : end + 1] == b"\n" else end
        if item_type == "event":
            event = _event(body[start:end], max_event_bytes=max_event_bytes, default_id=default_id)
            submission.events.append(event)
    return submission


def read_store_body(body: bytes, *, max_event_bytes: int) -> Submission:
    """The one event of a legacy store request: the body is the event."""
    if not body.strip():
        raise BadSubmission("the event is empty")
    return Submission(events=[_event(body, max_event_bytes=max_event_bytes, default_id=None)])

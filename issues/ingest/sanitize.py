"""What Relay normalises in an event rather than refuses, done at accept time, so that the
payload queued is the payload the digest stores (docs/ingest.md has the table).

Relay stores such an event and notes what it changed in the event's `errors` (and `_meta`);
so does this module:

- NUL characters are removed from every string and key: PostgreSQL's text and jsonb hold
  none, and an event accepted with one would fail in the digest. (Relay keeps them: its
  stores take them.)
- A timestamp that cannot be read, or is more than 30 days old or 60 seconds ahead of the
  time the event was received, becomes the received time (Relay's `max_secs_in_past` and
  `max_secs_in_future`); with the envelope's `sent_at`, a clock off by 55 minutes or more is
  corrected first; the breadcrumbs' times move as the event's did. `received` is always the
  time the service received the event.
- Tags: Relay's rules (relay-event-normalization's `normalize_event_tags`): an `environment`
  tag becomes the environment if there is none; `release`, `dist`, `user`, `filename` and
  `function` are dropped (Sentry sets them itself); a repeated key keeps its first value; an
  empty key or value, or one over 200 characters, drops the tag.
- `extra` and each context are data bags of depth 7 (Relay's trimming): an object or array
  nested 6 levels below the bag is replaced by its JSON text.

Pure functions: no database.
"""

from datetime import UTC, datetime, timedelta

import orjson
from django.utils.dateparse import parse_datetime

MAX_SECS_IN_PAST = 30 * 24 * 3600
MAX_SECS_IN_FUTURE = 60
MINIMUM_CLOCK_DRIFT = timedelta(minutes=55)
# Relay parses with serde_json, whose recursion limit of 128 takes 127 nested objects and
# arrays: deeper JSON is refused whole.
MAX_JSON_DEPTH = 127
# Relay's BagSize max_depth for `extra` and contexts ("massive", "large": both 7): a
# container at depth 6 below the bag's root is its last level, kept as JSON text.
BAG_DEPTH = 7
MAX_TAG_CHARS = 200
# Tags Sentry derives itself; a client's are ambiguous, so Relay drops them.
RESERVED_TAGS = frozenset({"release", "dist", "user", "filename", "function"})


class TooDeep(ValueError):
    """JSON nested deeper than Relay's parser takes."""


def may_be_too_deep(text: bytes, *, limit: int = MAX_JSON_DEPTH) -> bool:
    """False when the JSON `text` cannot nest deeper than `limit`: it has no more opening
    brackets than that (counted at C speed, strings included, so never too few). Most events
    pass here, and are not walked."""
    return text.count(b"{") + text.count(b"[") > limit


def check_depth(value, *, limit: int = MAX_JSON_DEPTH) -> None:
    """Raises TooDeep when objects and arrays nest more than `limit` deep. Level by level,
    not recursive: orjson parses 1024 levels, deeper than Python's own recursion limit."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            raise TooDeep("recursion limit exceeded")
        below = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            below += [child for child in children if isinstance(child, dict | list)]
        level = below


def without_nul(value):
    """The value with NUL characters removed from every string and key (of two keys that
    become the same, the later wins, as in a JSON object with a repeated key). Recursive:
    call check_depth first."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def _written(value) -> bytes | None:
    """The value as orjson writes it (far cheaper than walking it), or None for what orjson
    cannot write (integers past 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse_timestamp(value) -> datetime | None:
    """A timestamp as SDKs send it (Unix seconds, or ISO 8601 / RFC 3339 text; without a zone,
    UTC), or None when it is none of these or out of datetime's range."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is None:
                return None
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def note_error(payload: dict, error: dict) -> None:
    """Add one of Relay's event errors ({"type": ..., "name": <the field>, ...}) to the
    payload's `errors`."""
    errors = payload.get("errors")
    if not isinstance(errors, list):
        errors = payload["errors"] = []
    errors.append(error)


def _note_timestamp(payload: dict, kind: str, sdk_time: datetime, received: datetime) -> None:
    data = {"sdk_time": _iso(sdk_time), "server_time": _iso(received)}
    note_error(payload, {"type": kind, "name": "timestamp", **data})
    meta = payload.get("_meta")
    if not isinstance(meta, dict):
        meta = payload["_meta"] = {}
    meta["timestamp"] = {"": {"err": [[kind, data]]}}


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _moved(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, held at datetime's bounds."""
    try:
        return moment + delta
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC) if delta > timedelta(0) else _EARLIEST


def _breadcrumbs(payload: dict) -> list:
    crumbs = payload.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs = crumbs.get("values")
    return (
        [crumb for crumb in crumbs if isinstance(crumb, dict)] if isinstance(crumbs, list) else []
    )


def _move_breadcrumbs(payload: dict, delta: timedelta) -> None:
    """Relay corrects every time of the event by the event's correction: the breadcrumbs'
    too (the one other time the service shows)."""
    for crumb in _breadcrumbs(payload):
        moment = parse_timestamp(crumb.get("timestamp"))
        if moment is not None:
            crumb["timestamp"] = _iso(_moved(moment, delta))


def _timestamps(payload: dict, *, received: datetime, sent_at: datetime | None) -> None:
    raw = payload.get("timestamp")
    timestamp = received if raw is None else parse_timestamp(raw)
    original = timestamp
    if timestamp is None:
        note_error(payload, {"type": "invalid_data", "name": "timestamp", "value": raw})
        timestamp = received
    elif sent_at is not None and abs(received - sent_at) >= MINIMUM_CLOCK_DRIFT:
        # The SDK's clock is off (a wrong time zone, most often): its times move with it.
        timestamp = _moved(timestamp, received - sent_at)
        _note_timestamp(payload, "clock_drift", sent_at, received)
    if timestamp > received + timedelta(seconds=MAX_SECS_IN_FUTURE):
        _note_timestamp(payload, "future_timestamp", timestamp, received)
        timestamp = received
    elif timestamp < received - timedelta(seconds=MAX_SECS_IN_PAST):
        _note_timestamp(payload, "past_timestamp", timestamp, received)
        timestamp = received
    if original is not None and timestamp != original:
        _move_breadcrumbs(payload, timestamp - original)
    if raw is None or timestamp != original:
        payload["timestamp"] = _iso(timestamp)
    payload["received"] = _iso(received)


def _tag_text(value) -> str | None:
    """A tag key or value as text (numbers and booleans as Relay's LenientString writes
    them), or None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return str(value)
    return None


def _tag_pairs(raw) -> list | None:
    if isinstance(raw, dict):
        return list(raw.items())
    if isinstance(raw, list):
        return raw
    return None


def _tags(payload: dict) -> None:
    if payload.get("tags") is None:
        payload.pop("tags", None)
        return
    pairs = _tag_pairs(payload["tags"])
    if pairs is None:
        note_error(payload, {"type": "invalid_data", "name": "tags", "value": payload.pop("tags")})
        return
    kept: list[list[str]] = []
    seen: set[str] = set()
    for index, pair in enumerate(pairs):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            note_error(payload, {"type": "invalid_data", "name": f"tags.{index}"})
            continue
        key, value = _tag_text(pair[0]), _tag_text(pair[1])
        if key == "environment" and value:
            if not payload.get("environment"):
                payload["environment"] = value
            continue
        if key in RESERVED_TAGS or key in seen:
            continue
        if key is not None:
            seen.add(key)  # the first of a key is the one kept, or dropped
        problem = None
        for position, text in ((0, key), (1, value)):
            if text is None:
                problem = ("invalid_data", position)
            elif not text:
                problem = ("nonempty", position)
            elif len(text) > MAX_TAG_CHARS:
                problem = ("value_too_long", position)
            if problem:
                break
        if problem:
            note_error(payload, {"type": problem[0], "name": f"tags.{index}.{problem[1]}"})
            continue
        kept.append([key, value])
    payload["tags"] = kept


def _trim_bag(value, depth: int):
    """The bag value at `depth` below its root, with containers at the bag's last level as
    their JSON text (keys sorted, as Relay's objects are)."""
    if not isinstance(value, dict | list):
        return value
    if depth >= BAG_DEPTH - 1:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(value, dict):
        return {key: _trim_bag(item, depth + 1) for key, item in value.items()}
    return [_trim_bag(item, depth + 1) for item in value]


def _databags(payload: dict) -> None:
    extra = payload.get("extra")
    if isinstance(extra, dict):
        payload["extra"] = _trim_bag(extra, 0)
    contexts = payload.get("contexts")
    if isinstance(contexts, dict):
        payload["contexts"] = {name: _trim_bag(context, 0) for name, context in contexts.items()}


def sanitize_event(payload: dict, *, received: datetime, sent_at: datetime | None = None) -> dict:
    """The event as Relay would store it (see the module's docstring): `payload`, a dict,
    changed in place, or its copy without NULs. `payload` is an event as read_envelope and
    read_store_body give it, its depth already checked (issues.ingest.envelopes._json): a
    second walk here cost the deepest events twice."""
    written = _written(payload)
    # orjson writes a NUL as an escape: a text with a backslash before "u0000" gives a
    # needless walk, never a missed NUL.
    if written is None or b"\\u0000" in written:
        payload = without_nul(payload)
    _timestamps(payload, received=received, sent_at=sent_at)
    _tags(payload)
    _databags(payload)
    return payload

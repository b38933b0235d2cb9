"""Pure functions that turn a Sentry event payload into what record_event stores.

No database access here: title/metadata, culprit, level, tags and the user key are derived
the way Sentry derives them for the common interfaces; the grouping hash by the project's
grouping version (issues.ingest.grouping).
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

from issues.ingest.grouping import NEWEST, grouping_strategy
from issues.models import IssueLevel

LEVELS = {label: value for value, label in IssueLevel.choices}
LEVELS.update({"warn": IssueLevel.WARNING, "critical": IssueLevel.FATAL})
LEVEL_LABELS = dict(IssueLevel.choices)
EVENT_ID = re.compile(r"[0-9a-f]{32}")

# Contexts that Sentry turns into "<name>" and "<name>.name" tags.
TAGGED_CONTEXTS = ("browser", "client_os", "os", "runtime", "device")

MAX_TAG_LENGTH = 200


@dataclass
class NormalizedEvent:
    event_id: str
    timestamp: datetime
    received: datetime
    level: int
    logger: str
    platform: str | None
    message: str
    culprit: str | None
    type: str
    metadata: dict
    environment: str
    release: str | None
    user_key: str | None
    fingerprint_hash: str
    is_unhandled: bool
    tags: list[tuple[str, str]] = field(default_factory=list)


def _parse_timestamp(value, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float):
        parsed = datetime.fromtimestamp(value, UTC)
    else:
        parsed = parse_datetime(str(value))
        if parsed is None:
            raise ValueError(f"Invalid event timestamp: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _exception_values(payload: dict) -> list[dict]:
    exception = payload.get("exception")
    if isinstance(exception, dict):
        exception = exception.get("values")
    return [value for value in exception or [] if isinstance(value, dict)]


def _top_frame(exception: dict) -> dict | None:
    frames = (exception.get("stacktrace") or {}).get("frames") or []
    in_app = [frame for frame in frames if frame.get("in_app")]
    candidates = in_app or frames
    return candidates[-1] if candidates else None


def _message(payload: dict) -> str:
    logentry = payload.get("logentry") or payload.get("sentry.interfaces.Message") or {}
    message = payload.get("message")
    if isinstance(message, dict):
        logentry, message = message, None
    return str(message or logentry.get("formatted") or logentry.get("message") or "")


def _user_key(user: dict | None) -> str | None:
    """Sentry's sentry:user tag: the first of id, username, email, ip address."""
    if not isinstance(user, dict):
        return None
    for attribute, prefix in (
        ("id", "id"),
        ("username", "username"),
        ("email", "email"),
        ("ip_address", "ip"),
    ):
        if user.get(attribute):
            return f"{prefix}:{user[attribute]}"[:MAX_TAG_LENGTH]
    return None


def _tag_sources(payload: dict) -> tuple[list, list]:
    """The tag pairs and the tagged contexts of a payload, read as _tags reads them: it fails
    here, on tags or contexts of an unexpected shape, or not at all."""
    raw = payload.get("tags") or []
    pairs = list(raw.items() if isinstance(raw, dict) else raw)
    contexts = payload.get("contexts") or {}
    return pairs, [(name, contexts.get(name)) for name in TAGGED_CONTEXTS]


def _tags(payload: dict, *, level: int, environment: str, release: str | None, user_key):
    pairs, contexts = _tag_sources(payload)
    tags: dict[str, str] = {}
    for pair in pairs:
        try:
            key, value = pair
        except (TypeError, ValueError):
            continue
        if key is not None and value is not None and str(key) and str(value):
            tags[str(key)[:MAX_TAG_LENGTH]] = str(value)[:MAX_TAG_LENGTH]

    for name, context in contexts:
        if isinstance(context, dict) and context.get("name"):
            version = context.get("version")
            full = f"{context['name']} {version}" if version else str(context["name"])
            tags.setdefault(name, full[:MAX_TAG_LENGTH])
            tags.setdefault(f"{name}.name", str(context["name"])[:MAX_TAG_LENGTH])

    request = payload.get("request") or {}
    if isinstance(request, dict) and request.get("url"):
        tags.setdefault("url", str(request["url"])[:MAX_TAG_LENGTH])
    if payload.get("server_name"):
        tags.setdefault("server_name", str(payload["server_name"])[:MAX_TAG_LENGTH])

    tags["level"] = LEVEL_LABELS[level]
    if environment:
        tags["environment"] = environment
    if release:
        tags["sentry:release"] = release[:MAX_TAG_LENGTH]
    if user_key:
        tags["sentry:user"] = user_key
    tags.pop("release", None)
    tags.pop("user", None)
    return sorted(tags.items())


@dataclass(frozen=True, slots=True)
class Description:
    """What an event says it is, as Sentry shows it: its type, metadata (the title's parts)
    and culprit, and whether an exception went unhandled."""

    type: str
    metadata: dict
    culprit: str | None
    is_unhandled: bool


def describe(payload: dict, *, message: str | None = None) -> Description:
    """The Description of a payload, and nothing else: no checks of the other interfaces, no
    grouping, no tags. normalize_event reads it so; the events routes read only this of each
    stored event. Raises TypeError, AttributeError and the like on interfaces of unexpected
    shapes (normalize_event turns them into ValueError)."""
    if message is None:
        message = _message(payload)
    exceptions = _exception_values(payload)
    culprit = payload.get("culprit") or payload.get("transaction")
    if not exceptions:
        title = (message.splitlines() or ["<unlabeled event>"])[0][:200]
        return Description(
            "default", {"title": title}, str(culprit)[:200] if culprit else None, False
        )
    exception = exceptions[-1]
    frame = _top_frame(exception) or {}
    metadata = {
        "type": str(exception.get("type") or "Error"),
        "value": str(exception.get("value") or ""),
    }
    if frame.get("filename"):
        metadata["filename"] = str(frame["filename"])
    if frame.get("function"):
        metadata["function"] = str(frame["function"])
    if not culprit and frame:
        location = frame.get("module") or frame.get("filename") or "?"
        culprit = f"{location} in {frame.get('function') or '?'}"
    is_unhandled = any(
        (value.get("mechanism") or {}).get("handled") is False for value in exceptions
    )
    return Description("error", metadata, str(culprit)[:200] if culprit else None, is_unhandled)


def normalize_event(
    payload: dict, *, now: datetime, tags: bool = True, grouping_config: str = NEWEST
) -> NormalizedEvent:
    """Read what record_event needs from a Sentry event payload. Raises ValueError if invalid.

    tags=False, for a reader that does not show them, leaves the tags out (an empty list) but
    checks the payload all the same: it raises exactly when tags=True would.
    grouping_config is the project's grouping version (LookupError for an unknown one)."""
    grouping = grouping_strategy(grouping_config)
    if not isinstance(payload, dict):
        raise ValueError("An event payload is a JSON object.")
    try:
        return _normalize(payload, now=now, tags=tags, grouping=grouping)
    except (TypeError, AttributeError, KeyError, IndexError, OverflowError, OSError) as error:
        # An interface of an unexpected shape, or a timestamp outside datetime's range.
        raise ValueError(f"Invalid event payload: {error}") from error


def _normalize(payload: dict, *, now: datetime, tags: bool, grouping) -> NormalizedEvent:

    event_id = str(payload.get("event_id") or uuid.uuid4().hex).replace("-", "").lower()
    if EVENT_ID.fullmatch(event_id) is None:
        raise ValueError(f"Invalid event_id: {event_id!r}")

    timestamp = _parse_timestamp(payload.get("timestamp"), now)
    received = _parse_timestamp(payload.get("received"), timestamp)
    level_name = str(payload.get("level") or "error").lower()
    level = LEVELS.get(level_name, IssueLevel.ERROR)
    environment = str(payload.get("environment") or "")[:64]
    release = str(payload["release"])[:250] if payload.get("release") else None
    user_key = _user_key(payload.get("user"))
    message = _message(payload)

    described = describe(payload, message=message)
    fingerprint_hash = grouping(payload)

    if tags:
        listed = _tags(
            payload, level=level, environment=environment, release=release, user_key=user_key
        )
    else:
        _tag_sources(payload)  # the same checks, without the tags
        listed = []
    return NormalizedEvent(
        event_id=event_id,
        timestamp=timestamp,
        received=received,
        level=level,
        logger=str(payload.get("logger") or "")[:64],
        platform=str(payload["platform"])[:64] if payload.get("platform") else None,
        message=message,
        culprit=described.culprit,
        type=described.type,
        metadata=described.metadata,
        environment=environment,
        release=release,
        user_key=user_key,
        fingerprint_hash=fingerprint_hash,
        is_unhandled=described.is_unhandled,
        tags=listed,
    )

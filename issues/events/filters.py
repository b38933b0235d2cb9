"""What an issue's events list reads beyond its environments: a date range (statsPeriod,
start and end, as Sentry's get_date_range_from_params reads them) and a search over the
events (query). docs/behaviour.md §15 says what is supported and why.

Each filter becomes a condition of the list's one statement (issues.events.pages): the date
range bounds its (issue, datetime) index scan, and on PostgreSQL the weeks' partitions it
reads.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from rest_framework.exceptions import ParseError

from issues.search import PAST_ANY_PERIOD, parse_query, period_seconds
from issues.selectors import normalized_event_id

# The user's attributes Sentry searches as user.<attribute>: the prefix of the event's
# sentry:user tag ("id:42") that names it.
USER_ATTRIBUTES = {"user.id": "id", "user.username": "username", "user.email": "email"}
USER_ATTRIBUTES["user.ip"] = USER_ATTRIBUTES["user.ip_address"] = "ip"
# Keys that hold something other than a tag.
EVENT_ID_KEYS = ("id", "event.id", "event_id")
TEXT_KEYS = ("message",)
# Tags stored under Sentry's prefix (issues.ingest.normalize).
PREFIXED = {"release": "sentry:release", "user": "sentry:user"}
SUPPORTED = (
    "free text (in the message), message:, id:, environment:, release:, user:, "
    "user.id:, user.email:, user.username:, user.ip: and <tag>:<value>, AND-ed together"
)


@dataclass(frozen=True)
class EventFilters:
    """The events the list shows: within [start, end) when given, whose message contains
    each of `texts` (case aside), carrying each of `tags` ((keys, value): the tag under one
    of the keys with that value), whose id is each of `event_ids` (two name none)."""

    start: datetime | None = None
    end: datetime | None = None
    texts: tuple[str, ...] = ()
    tags: tuple[tuple[tuple[str, ...], str], ...] = ()
    event_ids: tuple[str, ...] = ()

    @property
    def form(self) -> tuple:
        """What the statement's text depends on (not the values)."""
        return (
            self.start is not None,
            self.end is not None,
            len(self.texts),
            tuple(len(keys) for keys, _ in self.tags),
            len(self.event_ids),
        )


NO_FILTERS = EventFilters()


def _period(name: str, text: str, now: datetime) -> datetime:
    """now minus the period `text` (Sentry's get_datetime_from_stats_period)."""
    seconds = period_seconds(text, default_unit="s")
    try:
        if seconds is None or seconds == PAST_ANY_PERIOD:
            raise OverflowError
        return now - timedelta(seconds=seconds)
    except OverflowError:
        raise ParseError(f"Invalid {name}: {text!r}") from None


def _moment(text: str) -> datetime:
    """Sentry's parse_datetime_string: ISO 8601 (without a zone: UTC), else a Unix time."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    try:
        if moment is None:
            return datetime.fromtimestamp(float(text), tz=UTC)
        # In UTC, as it is stored: past the calendar's ends there (year 1 in a zone east of
        # UTC), it is no date either.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise ParseError(f"{text} is not a valid ISO8601 date query") from None


def date_range(params) -> tuple[datetime | None, datetime | None]:
    """(start, end) from statsPeriod (or its alias timeframe), statsPeriodStart and
    statsPeriodEnd (or timeframeStart and timeframeEnd), or start and end, in that order of
    precedence; (None, None) without any. Raises ParseError (400) with Sentry's messages."""
    now = timezone.now()
    period = params.get("timeframe", params.get("statsPeriod"))
    period_start = params.get("timeframeStart") or params.get("statsPeriodStart")
    period_end = params.get("timeframeEnd") or params.get("statsPeriodEnd")
    if period is not None:
        start, end = _period("statsPeriod", period, now), now
    elif period_start or period_end:
        if not (period_start and period_end):
            raise ParseError("statsPeriodStart and statsPeriodEnd are both required")
        start = _period("statsPeriod", period_start, now)
        end = _period("statsPeriod", period_end, now)
    elif params.get("start") or params.get("end"):
        if not (params.get("start") and params.get("end")):
            raise ParseError("start and end are both required")
        start, end = _moment(params["start"]), _moment(params["end"])
    else:
        return None, None
    if start >= end:
        raise ParseError("start must be before end")
    return start, end


def _unsupported(text: str):
    return ParseError(
        f"Unsupported search for an issue's events: {text!r}. Supported: {SUPPORTED}."
    )


def event_search(query: str) -> tuple[tuple[str, ...], tuple, tuple[str, ...]]:
    """(texts, tags, event ids) of a query. A query that is an event id alone names that
    event (Sentry's direct hit). What Sentry's event search offers beyond this (negation,
    has:, comparisons, wildcards, OR and parentheses, fields of the payload) is a 400 rather
    than a filter silently left out."""
    event_id = normalized_event_id(query.strip()) if query.strip() else None
    if event_id is not None:
        return (), (), (event_id,)
    texts, tags, event_ids = [], [], []
    for term in parse_query(query):
        key, value = term.key, term.value
        if key is None:
            if value == "AND":
                continue  # terms are AND-ed anyway
            if value == "OR" or value.startswith(("(", "!")) or value.endswith(")"):
                raise _unsupported(value)
            texts.append(value)
            continue
        if key.startswith("!") or key == "has" or value.startswith(("<", ">", "!")):
            raise _unsupported(f"{key}:{value}")
        if "*" in value:
            raise _unsupported(f"{key}:{value}")
        if key in TEXT_KEYS:
            texts.append(value)
        elif key in EVENT_ID_KEYS:
            normalized = normalized_event_id(value)
            if normalized is None:
                raise ParseError(f"Invalid value for {key}: {value!r}: not an event id.")
            event_ids.append(normalized)
        elif key in USER_ATTRIBUTES:
            tags.append((("sentry:user",), f"{USER_ATTRIBUTES[key]}:{value}"))
        elif key in PREFIXED:
            tags.append(((PREFIXED[key],), value))
        else:
            # A tag sent as "foo" is stored as "foo"; Sentry's own ones with its prefix.
            tags.append(((key, f"sentry:{key}"), value))
    # Each AND-ed: two different ids name no event.
    return tuple(texts), tuple(tags), tuple(dict.fromkeys(event_ids))


def event_filters(params) -> EventFilters:
    """The filters of the events list's query string; raises ParseError (400)."""
    texts, tags, event_ids = event_search(params.get("query", ""))
    start, end = date_range(params)
    if not (texts or tags or event_ids or start or end):
        return NO_FILTERS
    return EventFilters(start=start, end=end, texts=texts, tags=tags, event_ids=event_ids)

"""The organization issue list's document: Sentry's StreamGroupSerializerSnuba, as its
organization_group_index endpoint serves it (docs/behaviour.md §16).

Beyond an issue list's item (issues.documents.LIST_ITEM, which the project list keeps, as
Sentry's StreamGroupSerializer does) it shows:

- `stats` under `groupStatsPeriod` ("24h" by default, "14d", "auto" over the search window;
  "" shows none), not under statsPeriod, which is only the search window here;
- `lifetime`: the issue's counts in the environments asked, whatever the window;
- `filtered`: its counts within the query's event filters (tag and release terms, free text),
  null without any;
- on ?expand=: `inbox`, `owners`, `sessionCount`, `integrationIssues`, `sentryAppIssues`,
  `pluginActions`, `pluginIssues`, `latestEventHasAttachments`;
- ?collapse= stats (with lifetime and filtered), lifetime, filtered, unhandled, and base (all
  but the id, the counts and isUnhandled).

Every part is computed from what the page's gathering read (issues.gather) but `filtered`
with tag terms, which reads the tag-value counters of the page's issues in one query.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rest_framework.exceptions import ParseError

from issues.documents import ISSUE, Key, shown_keys
from issues.models import IssueStatus, IssueSubstatus
from issues.parts import IssueCounts
from issues.schemas import (
    BOOLEAN,
    DATETIME,
    INTEGER,
    OPEN_OBJECT,
    STATS_SERIES,
    STRING,
    nullable,
    obj,
)
from issues.search import MAX_PERIOD, parse_period
from issues.selectors import tag_value_counts
from issues.stats import (
    GROUP_STATS_PERIODS,
    INVALID_GROUP_STATS_PERIOD,
    group_stats_series,
)
from issues_api.api.dates import format_datetime

# ?collapse=base keeps these keys (Sentry's seen stats and isUnhandled) beside the id.
SEEN_KEYS = ("count", "userCount", "firstSeen", "lastSeen", "isUnhandled")
# Leaves the stats key out when groupStatsPeriod is "" (not a ?collapse= value).
NO_SERIES = "no series"

# Sentry's GroupInboxReason, for the reasons an issue shows here.
INBOX_NEW = 0
INBOX_REGRESSION = 2
INBOX_ESCALATING = 5
INBOX_REASONS = {
    IssueSubstatus.NEW: INBOX_NEW,
    IssueSubstatus.REGRESSED: INBOX_REGRESSION,
    IssueSubstatus.ESCALATING: INBOX_ESCALATING,
}


def _counts(counts: IssueCounts) -> dict:
    return {
        "count": str(counts.times_seen),
        "userCount": counts.user_count,
        "firstSeen": format_datetime(counts.first_seen),
        "lastSeen": format_datetime(counts.last_seen),
    }


def _lifetime(d) -> dict:
    data = _counts(d.counts)
    if d.stats_label:
        data["stats"] = None  # Sentry: "not needed in current implementation"
    return data


def _filtered(d) -> dict | None:
    if d.filtered is None:
        return None
    data = _counts(d.filtered)
    if d.stats_label:
        # No series is kept per tag value: the issue's, which bounds the filtered one.
        data["stats"] = {d.stats_label: d.parts.stats}
    return data


def _inbox(d) -> dict | None:
    """Sentry's inbox entry, derived from the status a reader sees: a new issue (its first
    week), a regressed or an escalating one, until someone resolves or ignores it."""
    shown = d.status()
    if shown["status"] != IssueStatus.UNRESOLVED.label:
        return None
    reason = INBOX_REASONS.get(shown["substatus"])
    if reason is None:
        return None
    issue = d.issue
    added = issue.first_seen if reason == INBOX_NEW else (issue.active_at or issue.last_seen)
    return {"reason": reason, "reason_details": None, "date_added": format_datetime(added)}


COUNTS = obj(
    {
        "count": STRING,
        "userCount": INTEGER,
        "firstSeen": nullable(DATETIME),
        "lastSeen": nullable(DATETIME),
    }
)
SERIES = {"type": "object", "additionalProperties": STATS_SERIES}
INBOX = nullable(
    obj(
        {
            "reason": {**INTEGER, "description": "0 new, 2 regression, 5 escalating."},
            "reason_details": nullable(OPEN_OBJECT),
            "date_added": DATETIME,
        }
    )
)

STREAM_ITEM = (
    *(
        replace(key, collapse=tuple(c for c in key.collapse if c != "base"))
        if key.name in SEEN_KEYS
        else key
        for key in ISSUE
    ),
    Key(
        "stats",
        {**SERIES, "description": "The series of groupStatsPeriod, under its value."},
        lambda d: {d.stats_label: d.parts.stats},
        collapse=("stats", NO_SERIES),
    ),
    Key(
        "lifetime",
        {**COUNTS, "properties": {**COUNTS["properties"], "stats": nullable(SERIES)}},
        _lifetime,
        collapse=("stats", "lifetime"),
    ),
    Key(
        "filtered",
        nullable({**COUNTS, "properties": {**COUNTS["properties"], "stats": SERIES}}),
        _filtered,
        collapse=("stats", "filtered"),
    ),
)
# What ?expand= adds, in Sentry's order; this service keeps no sessions, ownership rules,
# external issues, plugins or attachments.
EXPANDS = {
    "sessions": Key(
        "sessionCount", nullable(INTEGER), lambda d: None, collapse=("stats", NO_SERIES)
    ),
    "inbox": Key("inbox", INBOX, _inbox),
    "owners": Key("owners", nullable({"type": "array", "items": OPEN_OBJECT}), lambda d: None),
    "pluginActions": Key("pluginActions", {"type": "array", "items": {}}, lambda d: []),
    "pluginIssues": Key("pluginIssues", {"type": "array", "items": {}}, lambda d: []),
    "integrationIssues": Key("integrationIssues", {"type": "array", "items": {}}, lambda d: []),
    "sentryAppIssues": Key("sentryAppIssues", {"type": "array", "items": {}}, lambda d: []),
    "latestEventHasAttachments": Key("latestEventHasAttachments", BOOLEAN, lambda d: False),
}


@dataclass(frozen=True)
class StreamOptions:
    """What the organization list's query string asks of its document."""

    group_stats: str
    window: timedelta
    collapse: frozenset[str]
    expand: frozenset[str]

    def series(self, *, now: datetime) -> tuple[int, list[int]] | None:
        if not self.group_stats:
            return None
        return group_stats_series(self.group_stats, window=self.window, now=now)

    def filtered(self, search, built: Callable[[], dict], *, environment_ids: list[int]) -> dict:
        """{issue id: IssueCounts | None}: each listed issue's counts within the search's
        event filters (None without any), unless ?collapse= leaves them out. Free text
        matches what every event of an issue shares, so alone it counts them all; a tag or
        release term counts the events carrying it (with several, the rarest term's, which
        bounds the events carrying them all), and at most the issue's users. `built` gives
        the listed issues built ({id: Gathered}), asked only when there are such counts."""
        if {"stats", "filtered"} & self.collapse:
            return {}
        if not search.tag_terms and not search.has_text:
            return {}
        gathered = built()
        tagged = {}
        if search.tag_terms:
            tagged = tag_value_counts(
                issue_ids=list(gathered), terms=search.tag_terms, environment_ids=environment_ids
            )
        result = {}
        for issue_id, row in gathered.items():
            counts = row.parts.counts
            if search.tag_terms:
                tags = tagged.get(issue_id) or IssueCounts(0, 0, None, None)
                users = min(counts.user_count, tags.times_seen)
                counts = IssueCounts(tags.times_seen, users, tags.first_seen, tags.last_seen)
            result[issue_id] = counts
        return result

    def keys(self) -> tuple[Key, ...]:
        collapse = self.collapse | (frozenset() if self.group_stats else {NO_SERIES})
        keys = list(shown_keys(STREAM_ITEM, collapse))
        expanded = [key for name, key in EXPANDS.items() if name in self.expand]
        return (*keys, *shown_keys(tuple(expanded), collapse))


def stream_options(query_params) -> StreamOptions:
    """groupStatsPeriod ("24h" when absent; anything but "", "24h", "14d" and "auto" is
    Sentry's 400), the search window for "auto" (statsPeriod, else Sentry's 90 days), and
    ?collapse= and ?expand= (values Sentry does not know are ignored)."""
    group_stats = query_params.get("groupStatsPeriod", "24h")
    if group_stats not in GROUP_STATS_PERIODS:
        raise ParseError(INVALID_GROUP_STATS_PERIOD)
    window = parse_period(query_params.get("statsPeriod", "")) or MAX_PERIOD
    return StreamOptions(
        group_stats=group_stats,
        window=window,
        collapse=frozenset(query_params.getlist("collapse")),
        expand=frozenset(query_params.getlist("expand")),
    )

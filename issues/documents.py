"""The issue documents, each key declared once: its name, its OpenAPI schema, how its value
is computed and the ?collapse= values that leave it out.

ISSUE holds Sentry's GroupSerializer keys and the newer ones current Sentry requires: the
document PUT answers. An issue list's item adds its stats (LIST_ITEM); GET adds the detail
keys (ISSUE_DETAIL). render() computes only the keys a request shows: a collapsed key is not
computed at all. issues/openapi.py builds the Issue and IssueDetail components from the same
declarations, and issues/gather.py reads no part that ?collapse= leaves out.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from issues.models import IssueLevel, IssuePriority, IssueSubstatus
from issues.parts import IssueCounts, IssueParts
from issues.schemas import (
    ACTIVITY,
    ASSIGNED_TO,
    BOOLEAN,
    DATETIME,
    INTEGER,
    OPEN_OBJECT,
    RELEASE,
    SEEN_BY,
    STATS_SERIES,
    STATUS_DETAILS,
    STRING,
    USER,
    nullable,
    obj,
)
from issues.serializers import (
    LEVEL_LABELS,
    PRIORITY_LABELS,
    DocumentUsers,
    ReleaseSerializer,
    activity,
    assigned_to,
    has_seen,
    one_to_one,
    participants,
    seen_by,
    shown_status,
    shown_subscription,
    tags,
)
from issues_api.api.dates import format_datetime


class IssueContext:
    """What the keys of one document are computed from: the issue, its gathered parts and the
    request. A value several keys show (the status, the subscription, the releases' projects)
    is computed once per document, when a key first asks for it."""

    __slots__ = (
        "_releases",
        "_status",
        "_subscription",
        "counts",
        "filtered",
        "issue",
        "now",
        "parts",
        "permalink_prefix",
        "project",
        "requester",
        "share",
        "stats_label",
        "users",
    )

    def __init__(
        self,
        issue,
        *,
        parts: IssueParts,
        requester,
        permalink_prefix: str,
        now: datetime,
        stats_label: str = "",
        filtered: IssueCounts | None = None,
    ):
        self.issue = issue
        self.parts = parts
        self.counts = parts.counts
        self.requester = requester
        self.permalink_prefix = permalink_prefix
        self.now = now
        # The list's statsPeriod as asked, which keys its stats.
        self.stats_label = stats_label
        # The organization list's counts within its search's event filters (issues.stream).
        self.filtered = filtered
        self.project = issue.project
        self.share = one_to_one(issue, "share")
        # Serializes each user the document shows once (activity, seen-by, participants...).
        self.users = DocumentUsers(
            parts.emails_by_user, requester, parts.user_rows, parts.user_email_rows
        )
        self._status = self._subscription = self._releases = None

    def status(self) -> dict:
        """status, statusDetails and substatus."""
        if self._status is None:
            self._status = shown_status(self.issue, now=self.now, users=self.users)
        return self._status

    def until(self) -> datetime | None:
        """The moment from which time alone changes what the document shows (its status),
        None when only its rows can: a document kept by their text holds until then. Only
        the status reads the time: a document that showed none does not depend on it."""
        return None if self._status is None else self._status["until"]

    def subscription(self) -> dict:
        """isSubscribed and subscriptionDetails."""
        if self._subscription is None:
            self._subscription = shown_subscription(self.parts, self.requester)
        return self._subscription

    def release(self, release) -> dict | None:
        if self._releases is None:
            self._releases = ReleaseSerializer(self.parts, self.requester)
        return self._releases(release)


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    schema: dict
    value: Callable[[IssueContext], object]
    # The ?collapse= values that leave the key out (only GET reads ?collapse=).
    collapse: tuple[str, ...] = ()


def _permalink(d: IssueContext) -> str:
    organization = d.project.organization
    return f"{d.permalink_prefix}/organizations/{organization.slug}/issues/{d.issue.pk}/"


def _project(d: IssueContext) -> dict:
    project = d.project
    return {
        "id": str(project.pk),
        "name": project.name,
        "slug": project.slug,
        "platform": project.platform,
    }


def _last_release(d: IssueContext) -> dict | None:
    # Sentry looks the last release up only when there is a first one.
    return d.release(d.issue.last_release) if d.issue.first_release else None


STATUS = {
    "type": "string",
    "enum": ["resolved", "ignored", "pending_deletion", "pending_merge", "unresolved"],
}
PROJECT = obj({"id": STRING, "name": STRING, "slug": STRING, "platform": nullable(STRING)})
SUBSCRIPTION_DETAILS = nullable(
    obj({"reason": STRING, "disabled": BOOLEAN}, optional=("reason", "disabled"))
)
EMPTY_LIST = {"type": "array", "items": {}}

_ISSUE = (
    Key("id", STRING, lambda d: str(d.issue.pk)),
    Key("shareId", nullable(STRING), lambda d: d.share.uuid if d.share is not None else None),
    Key("shortId", STRING, lambda d: d.issue.qualified_short_id),
    Key("title", STRING, lambda d: d.issue.title),
    Key("culprit", nullable(STRING), lambda d: d.issue.culprit),
    Key("permalink", STRING, _permalink),
    Key("logger", nullable(STRING), lambda d: d.issue.logger or None),
    Key(
        "level",
        {"type": "string", "enum": [*IssueLevel.labels, "unknown"]},
        lambda d: LEVEL_LABELS.get(d.issue.level, "unknown"),
    ),
    Key("status", STATUS, lambda d: d.status()["status"]),
    Key("statusDetails", STATUS_DETAILS, lambda d: d.status()["statusDetails"]),
    Key(
        "substatus",
        nullable({"type": "string", "enum": list(IssueSubstatus.values)}),
        lambda d: d.status()["substatus"],
    ),
    Key("isPublic", BOOLEAN, lambda d: d.share is not None),
    Key("platform", nullable(STRING), lambda d: d.issue.platform),
    Key(
        "priority",
        nullable({"type": "string", "enum": list(IssuePriority.labels)}),
        lambda d: PRIORITY_LABELS.get(d.issue.priority),
    ),
    Key(
        "priorityLockedAt",
        nullable(DATETIME),
        lambda d: format_datetime(d.issue.priority_locked_at),
    ),
    Key("project", PROJECT, _project),
    Key("type", STRING, lambda d: d.issue.type),
    Key("issueType", STRING, lambda d: "error"),
    Key("issueCategory", STRING, lambda d: "error"),
    Key("metadata", OPEN_OBJECT, lambda d: d.issue.metadata),
    Key("numComments", INTEGER, lambda d: d.issue.num_comments),
    Key("assignedTo", ASSIGNED_TO, lambda d: assigned_to(d.issue)),
    Key("isBookmarked", BOOLEAN, lambda d: d.parts.is_bookmarked),
    Key("isSubscribed", BOOLEAN, lambda d: d.subscription()["isSubscribed"]),
    Key(
        "subscriptionDetails",
        SUBSCRIPTION_DETAILS,
        lambda d: d.subscription()["subscriptionDetails"],
    ),
    Key("hasSeen", BOOLEAN, lambda d: has_seen(d.issue, d.parts, d.requester)),
    Key("annotations", EMPTY_LIST, lambda d: []),
    Key("isUnhandled", BOOLEAN, lambda d: d.issue.is_unhandled, collapse=("unhandled",)),
    Key("seerFixabilityScore", nullable({"type": "number"}), lambda d: None),
    Key("seerAutofixLastTriggered", nullable(DATETIME), lambda d: None),
    Key("seerExplorerAutofixLastTriggered", nullable(DATETIME), lambda d: None),
    # Counts and seen times come from counters, filtered by environment when asked.
    Key(
        "count",
        {"type": "string", "description": "The number of events, as a string."},
        lambda d: str(d.counts.times_seen),
    ),
    Key("userCount", INTEGER, lambda d: d.counts.user_count),
    Key("firstSeen", nullable(DATETIME), lambda d: format_datetime(d.counts.first_seen)),
    Key("lastSeen", nullable(DATETIME), lambda d: format_datetime(d.counts.last_seen)),
)
# ?collapse=base leaves out every key of ISSUE but the id.
ISSUE = tuple(
    key if key.name == "id" else replace(key, collapse=("base", *key.collapse)) for key in _ISSUE
)

ISSUE_DETAIL = (
    *ISSUE,
    Key(
        "firstRelease",
        nullable(RELEASE),
        lambda d: d.release(d.issue.first_release),
        collapse=("release",),
    ),
    Key("lastRelease", nullable(RELEASE), _last_release, collapse=("release",)),
    Key(
        "activity",
        {"type": "array", "items": ACTIVITY},
        lambda d: activity(d.parts, d.issue, d.users),
    ),
    Key("seenBy", {"type": "array", "items": SEEN_BY}, lambda d: seen_by(d.parts, d.users)),
    Key(
        "participants",
        {"type": "array", "items": USER},
        lambda d: participants(d.parts, d.users),
    ),
    Key("pluginActions", EMPTY_LIST, lambda d: []),
    Key("pluginIssues", EMPTY_LIST, lambda d: []),
    Key("pluginContexts", EMPTY_LIST, lambda d: []),
    Key("userReportCount", INTEGER, lambda d: d.parts.user_report_count),
    Key(
        "tags",
        {"type": "array", "items": obj({"key": STRING, "name": STRING, "totalValues": INTEGER})},
        lambda d: tags(d.parts),
        collapse=("tags",),
    ),
    Key(
        "stats",
        obj(
            {"24h": STATS_SERIES, "30d": STATS_SERIES},
            description="25 hourly and 31 daily buckets, aligned to UTC.",
        ),
        lambda d: d.parts.stats,
        collapse=("stats",),
    ),
)

# An issue list's item: the list's stats come under the statsPeriod asked (none without one).
LIST_ITEM = (
    *ISSUE,
    Key(
        "stats",
        {
            "type": "object",
            "additionalProperties": STATS_SERIES,
            "description": "The series of the list's statsPeriod, under its value.",
        },
        lambda d: {d.stats_label: d.parts.stats},
        collapse=("stats",),
    ),
)


def shown_keys(keys: tuple[Key, ...], collapse: frozenset[str]) -> tuple[Key, ...]:
    """The keys a document shows when ?collapse= names `collapse`."""
    if not collapse:
        return keys
    return tuple(key for key in keys if collapse.isdisjoint(key.collapse))


def render(keys: tuple[Key, ...], context: IssueContext) -> dict:
    return {key.name: key.value(context) for key in keys}

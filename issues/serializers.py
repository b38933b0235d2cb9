"""The issue document: camelCase only here, built from the issue row and prefetched parts."""

from datetime import datetime

from accounts.serializers import serialize_user
from issues.gather import ACTIVITY_LIMIT, IssueParts
from issues.models import (
    ActivityType,
    IssueLevel,
    IssuePriority,
    IssueStatus,
    IssueSubstatus,
    Resolution,
    SubscriptionReason,
)
from issues.selectors import NEW_ISSUE_PERIOD, snooze_is_valid
from issues_api.api.dates import format_datetime
from releases.serializers import serialize_commit, serialize_release

# Sentry's TAG_LABELS; other keys are title-cased with "_" as a space.
TAG_LABELS = {
    "exc_type": "Exception Type",
    "sentry:user": "User",
    "sentry:release": "Release",
    "sentry:dist": "Distribution",
    "os": "OS",
    "url": "URL",
    "server_name": "Server",
}

STATUS_LABELS = {
    IssueStatus.RESOLVED: "resolved",
    IssueStatus.IGNORED: "ignored",
    IssueStatus.PENDING_DELETION: "pending_deletion",
    IssueStatus.DELETION_IN_PROGRESS: "pending_deletion",
    IssueStatus.PENDING_MERGE: "pending_merge",
}


# Labels by value (get_type_display and Choices.values rebuild these at every call).
ACTIVITY_TYPES = dict(ActivityType.choices)
LEVEL_LABELS = dict(IssueLevel.choices)
PRIORITY_LABELS = dict(IssuePriority.choices)


def tag_label(key: str) -> str:
    return TAG_LABELS.get(key) or key.replace("_", " ").title()


def standardized_tag_key(key: str) -> str:
    return key.removeprefix("sentry:")


class UserSerializerCache:
    """Serializes each shown user once per document, with the emails fetched for it (a
    document may show one user in its activity, seen-by and participants)."""

    def __init__(self, emails_by_user, requester):
        self.emails_by_user = emails_by_user
        self.requester = requester
        self.serialized: dict[int, dict] = {}

    def __call__(self, user):
        if user is None:
            return None
        data = self.serialized.get(user.pk)
        if data is None:
            data = self.serialized[user.pk] = serialize_user(
                user, emails=self.emails_by_user.get(user.pk, []), requester=self.requester
            )
        return data

    def actor(self, user):
        """statusDetails.actor: the user object with the keys current Sentry's schema requires
        there (the 2020 example's users, in activity, have neither)."""
        data = self(user)
        if data is not None:
            data = {**data, "experiments": {}, "isSuspended": not user.is_active}
        return data


def _status(issue, *, now: datetime, users) -> tuple[str, dict, str | None]:
    """status, statusDetails and substatus as Sentry derives them (docs/behaviour.md §2.3)."""
    status = issue.status
    substatus = issue.substatus
    details: dict = {}
    if status == IssueStatus.IGNORED:
        snooze = getattr(issue, "snooze", None)
        if snooze is not None:
            if snooze_is_valid(snooze, issue, now=now):
                ignore_count = snooze.count
                if snooze.count and not snooze.window:
                    ignore_count = snooze.count - (
                        issue.times_seen - snooze.state.get("times_seen", 0)
                    )
                ignore_user_count = snooze.user_count
                if snooze.user_count and not snooze.user_window:
                    ignore_user_count = snooze.user_count - (
                        issue.user_count - snooze.state.get("users_seen", 0)
                    )
                values = {
                    "ignoreCount": ignore_count,
                    "ignoreUntil": format_datetime(snooze.until),
                    "ignoreUserCount": ignore_user_count,
                    "ignoreUserWindow": snooze.user_window,
                    "ignoreWindow": snooze.window,
                }
                # Keys without a value are left out: Sentry's schema types them as non-null.
                details = {key: value for key, value in values.items() if value is not None}
                details["actor"] = users.actor(snooze.actor)
            else:
                status, substatus, details = IssueStatus.UNRESOLVED, IssueSubstatus.ONGOING, {}
    elif status == IssueStatus.RESOLVED:
        resolution = getattr(issue, "resolution", None)
        # A release resolution shows before a commit one, as in Sentry.
        if resolution is not None and resolution.release is not None:
            if resolution.type == Resolution.Type.IN_RELEASE:
                details = {"inRelease": resolution.release.version}
            else:
                details = {"inNextRelease": True}
            details["actor"] = users.actor(resolution.actor)
        elif resolution is not None and resolution.commit is not None:
            details = {"inCommit": serialize_commit(resolution.commit)}
    if (
        status == IssueStatus.UNRESOLVED
        and substatus == IssueSubstatus.NEW
        and issue.first_seen < now - NEW_ISSUE_PERIOD
    ):
        substatus = IssueSubstatus.ONGOING
    if status not in (IssueStatus.UNRESOLVED, IssueStatus.IGNORED):
        substatus = None
    return STATUS_LABELS.get(status, "unresolved"), details, substatus


def _subscription(parts: IssueParts, requester) -> tuple[bool, dict | None]:
    """isSubscribed and subscriptionDetails for the requester (docs/behaviour.md §2.4)."""
    option = requester.workflow_notifications
    if option == requester.Notifications.NO_CONVERSATIONS:
        return False, {"disabled": True}
    own = next((row for row in parts.subscriptions if row.user_id == requester.pk), None)
    if own is None:
        return option == requester.Notifications.ALL_CONVERSATIONS, None
    if not own.is_active:
        return False, None
    try:
        reason = SubscriptionReason(own.reason).label
    except ValueError:
        reason = "unknown"
    return True, {"reason": reason}


def _assigned_to(issue) -> dict | None:
    assignee = getattr(issue, "assignee", None)
    if assignee is None:
        return None
    if assignee.user_id:
        return {
            "type": "user",
            "id": str(assignee.user_id),
            "name": assignee.user.get_display_name(),
            "email": assignee.user.email,
        }
    return {"type": "team", "id": str(assignee.team_id), "name": assignee.team.slug}


def _activity(parts: IssueParts, issue, users) -> list[dict]:
    items = [
        {
            "id": str(row.pk),
            "user": users(row.user),
            "type": ACTIVITY_TYPES.get(row.type, str(row.type)),
            "data": {key: value for key, value in row.data.items() if key != "mentions"},
            "dateCreated": format_datetime(row.datetime),
        }
        for row in parts.activity
    ]
    items.append(
        {
            "id": "0",
            "user": None,
            "type": "first_seen",
            "data": {},
            "dateCreated": format_datetime(issue.first_seen),
        }
    )
    # Sentry appends first_seen last and then cuts at 100, so a long history hides it.
    return items[:ACTIVITY_LIMIT]


def serialize_issue(
    issue, *, parts: IssueParts, requester, permalink_prefix: str, now: datetime
) -> dict:
    """The document PUT answers with: Sentry's 26 serializer keys plus the newer required
    ones. Counts and seen times come from counters, filtered by environment when asked."""
    users = UserSerializerCache(parts.emails_by_user, requester)
    status, status_details, substatus = _status(issue, now=now, users=users)
    is_subscribed, subscription_details = _subscription(parts, requester)
    share = getattr(issue, "share", None)
    project = issue.project
    seen_by_requester = next((row for row in parts.seen if row.user_id == requester.pk), None)
    has_seen = seen_by_requester is not None and seen_by_requester.last_seen > (
        issue.active_at or issue.first_seen
    )
    return {
        "id": str(issue.pk),
        "shareId": share.uuid if share is not None else None,
        "shortId": issue.qualified_short_id,
        "title": issue.title,
        "culprit": issue.culprit,
        "permalink": (
            f"{permalink_prefix}/organizations/{project.organization.slug}/issues/{issue.pk}/"
        ),
        "logger": issue.logger or None,
        "level": LEVEL_LABELS.get(issue.level, "unknown"),
        "status": status,
        "statusDetails": status_details,
        "substatus": substatus,
        "isPublic": share is not None,
        "platform": issue.platform,
        "priority": PRIORITY_LABELS.get(issue.priority),
        "priorityLockedAt": format_datetime(issue.priority_locked_at),
        "project": {
            "id": str(project.pk),
            "name": project.name,
            "slug": project.slug,
            "platform": project.platform,
        },
        "type": issue.type,
        "issueType": "error",
        "issueCategory": "error",
        "metadata": issue.metadata,
        "numComments": issue.num_comments,
        "assignedTo": _assigned_to(issue),
        "isBookmarked": parts.is_bookmarked,
        "isSubscribed": is_subscribed,
        "subscriptionDetails": subscription_details,
        "hasSeen": has_seen,
        "annotations": [],
        "isUnhandled": issue.is_unhandled,
        "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "count": str(parts.counts.times_seen),
        "userCount": parts.counts.user_count,
        "firstSeen": format_datetime(parts.counts.first_seen),
        "lastSeen": format_datetime(parts.counts.last_seen),
    }


# The keys serialize_issue gives (Sentry's GroupSerializer and the newer required ones).
BASE_KEYS = (
    "id",
    "shareId",
    "shortId",
    "title",
    "culprit",
    "permalink",
    "logger",
    "level",
    "status",
    "statusDetails",
    "substatus",
    "isPublic",
    "platform",
    "priority",
    "priorityLockedAt",
    "project",
    "type",
    "issueType",
    "issueCategory",
    "metadata",
    "numComments",
    "assignedTo",
    "isBookmarked",
    "isSubscribed",
    "subscriptionDetails",
    "hasSeen",
    "annotations",
    "isUnhandled",
    "seerFixabilityScore",
    "seerAutofixLastTriggered",
    "seerExplorerAutofixLastTriggered",
    "count",
    "userCount",
    "firstSeen",
    "lastSeen",
)


def serialize_issue_detail(
    issue, *, parts: IssueParts, requester, permalink_prefix: str, now: datetime
) -> dict:
    """The GET document: the 37 keys of Sentry's 2020 response plus the newer required keys."""
    document = serialize_issue(
        issue, parts=parts, requester=requester, permalink_prefix=permalink_prefix, now=now
    )
    users = UserSerializerCache(parts.emails_by_user, requester)
    projects_by_release: dict[int, list] = {}
    for row in parts.release_projects:
        projects_by_release.setdefault(row.release_id, []).append(row)

    def release(value):
        if value is None:
            return None
        return serialize_release(
            value,
            release_projects=projects_by_release.get(value.pk, []),
            emails_by_user=parts.emails_by_user,
            requester=requester,
        )

    tags = sorted(
        (
            {"key": standardized_tag_key(key), "name": tag_label(key), "totalValues": total}
            for key, total in parts.tag_keys
        ),
        key=lambda tag: tag["name"],
    )
    document.update(
        {
            "firstRelease": release(issue.first_release),
            # Sentry looks the last release up only when there is a first one.
            "lastRelease": release(issue.last_release) if issue.first_release else None,
            "activity": _activity(parts, issue, users),
            "seenBy": [
                {**users(row.user), "lastSeen": format_datetime(row.last_seen)}
                for row in parts.seen
            ],
            "participants": [users(row.user) for row in parts.subscriptions if row.is_active],
            "pluginActions": [],
            "pluginIssues": [],
            "pluginContexts": [],
            "userReportCount": parts.user_report_count,
            "tags": tags,
            "stats": parts.stats,
        }
    )
    return document

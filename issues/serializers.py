"""The values of the issue documents that take more than a lookup: status, subscription,
assignee, activity, users, tags, releases. camelCase only here and in issues/documents.py,
which declares the documents' keys and renders them with these."""

from datetime import datetime

from accounts.models import User, UserEmail
from accounts.serializers import serialize_user
from issues import status
from issues.models import (
    ActivityType,
    IssueLevel,
    IssuePriority,
    IssueStatus,
    SubscriptionReason,
)
from issues.parts import IssueParts
from issues.shapes import ACTIVITY_LIMIT
from issues_api.api.dates import format_datetime
from issues_api.jsonrows import Shape, build
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


def one_to_one(issue, name: str):
    """The issue's row of a reverse one-to-one relation (share, assignee, snooze, resolution),
    or None. The gathering caches each, None included, so the cache answers without the
    exception Django's descriptor raises for a missing row (which costs more than the rest
    of the key); an issue read otherwise goes through the descriptor."""
    cache = issue._state.fields_cache
    return cache[name] if name in cache else getattr(issue, name, None)


# Users serialized from their rows, by the row's values, its emails' and whether the
# requester is that user: what serialize_user reads, so a user whose row or emails changed
# is another key. Per process, bounded (forgotten all at once when full). A large document
# shows hundreds of users, the same from one request to the next: serializing them was a
# third of its time (issue 10).
_serialized_users: dict[tuple, dict] = {}
_SERIALIZED_USERS_KEPT = 4096


class DocumentUsers:
    """The users one document shows, each serialized once, with the emails fetched for it (a
    document may show one user in its activity, seen-by, participants and statusDetails).

    `rows` and `email_rows`: the users the gathering read and their emails, by id, as rows
    (IssueParts.user_rows, user_email_rows): `of(id)` serializes one without building any
    instance when another document showed the same rows."""

    def __init__(self, emails_by_user, requester, rows=None, email_rows=None):
        self.emails_by_user = emails_by_user
        self.requester = requester
        self.rows = rows or {}
        self.email_rows = email_rows or {}
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

    def of(self, user_id):
        """The user of this id the gathering read (None: no user, or one since deleted)."""
        if user_id is None:
            return None
        data = self.serialized.get(user_id)
        if data is not None:
            return data
        row = self.rows.get(user_id)
        if row is None:
            return None
        email_rows = self.email_rows.get(user_id, ())
        is_requester = self.requester is not None and self.requester.pk == user_id
        key = (tuple(row), tuple(tuple(email) for email in email_rows), is_requester)
        data = _serialized_users.get(key)
        if data is None:
            user = build(User, list(row), Shape(), {})
            emails = [build(UserEmail, list(email), Shape(), {}) for email in email_rows]
            data = serialize_user(user, emails=emails, requester=self.requester)
            if len(_serialized_users) >= _SERIALIZED_USERS_KEPT:
                _serialized_users.clear()
            _serialized_users[key] = data
        self.serialized[user_id] = data
        return data

    def actor(self, user):
        """statusDetails.actor: the user object with the keys current Sentry's schema requires
        there (the 2020 example's users, in activity, have neither)."""
        data = self(user)
        if data is not None:
            data = {**data, "experiments": {}, "isSuspended": not user.is_active}
        return data


def shown_status(issue, *, now: datetime, users) -> dict:
    """status, statusDetails and substatus (docs/behaviour.md §2.3): issues.status derives
    what a reader sees, this renders it."""
    # Only the row the status needs is read (an issue read outside a gathering reads it then).
    snooze = one_to_one(issue, "snooze") if issue.status == IssueStatus.IGNORED else None
    resolved = issue.status == IssueStatus.RESOLVED
    resolution = one_to_one(issue, "resolution") if resolved else None
    shown = status.shown(issue, snooze=snooze, resolution=resolution, now=now)
    details: dict = {}
    if shown.snooze is not None:
        snooze = shown.snooze
        values = {
            "ignoreCount": shown.ignore_count,
            "ignoreUntil": format_datetime(snooze.until),
            "ignoreUserCount": shown.ignore_user_count,
            "ignoreUserWindow": snooze.user_window,
            "ignoreWindow": snooze.window,
        }
        # Keys without a value are left out: Sentry's schema types them as non-null.
        details = {key: value for key, value in values.items() if value is not None}
        details["actor"] = users.actor(shown.actor)
    elif shown.in_release is not None:
        details = {"inRelease": shown.in_release.version, "actor": users.actor(shown.actor)}
    elif shown.in_next_release:
        details = {"inNextRelease": True, "actor": users.actor(shown.actor)}
    elif shown.in_commit is not None:
        details = {"inCommit": serialize_commit(shown.in_commit)}
    return {
        "status": STATUS_LABELS.get(shown.status, "unresolved"),
        "statusDetails": details,
        "substatus": shown.substatus,
        # Not a key of the document: when time alone changes the three above.
        "until": shown.until,
    }


def shown_subscription(parts: IssueParts, requester) -> dict:
    """isSubscribed and subscriptionDetails for the requester (docs/behaviour.md §2.4)."""
    option = requester.workflow_notifications
    if option == requester.Notifications.NO_CONVERSATIONS:
        return {"isSubscribed": False, "subscriptionDetails": {"disabled": True}}
    own = next((row for row in parts.subscriptions if row.user_id == requester.pk), None)
    if own is None:
        is_subscribed = option == requester.Notifications.ALL_CONVERSATIONS
        return {"isSubscribed": is_subscribed, "subscriptionDetails": None}
    if not own.is_active:
        return {"isSubscribed": False, "subscriptionDetails": None}
    try:
        reason = SubscriptionReason(own.reason).label
    except ValueError:
        reason = "unknown"
    return {"isSubscribed": True, "subscriptionDetails": {"reason": reason}}


def has_seen(issue, parts: IssueParts, requester) -> bool:
    """Whether the requester saw the issue since it last became active."""
    own = next((row for row in parts.seen if row.user_id == requester.pk), None)
    return own is not None and own.last_seen > (issue.active_at or issue.first_seen)


def assigned_to(issue) -> dict | None:
    assignee = one_to_one(issue, "assignee")
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


def _shown(parts: IssueParts, users, part: str, make) -> list:
    """`make()`, or what it made for another document with the same people's rows, shown to
    the same requester (IssueParts.people)."""
    people = parts.people
    if people is None:
        return make()
    key = (part, users.requester.pk if users.requester is not None else None)
    shown = people.shown.get(key)
    if shown is None:
        shown = people.shown[key] = make()
    return shown


def activity(parts: IssueParts, issue, users) -> list[dict]:
    items = list(
        _shown(
            parts,
            users,
            "activity",
            lambda: [
                {
                    "id": str(row.pk),
                    "user": users.of(row.user_id),
                    "type": ACTIVITY_TYPES.get(row.type, str(row.type)),
                    "data": {key: value for key, value in row.data.items() if key != "mentions"},
                    "dateCreated": format_datetime(row.datetime),
                }
                for row in parts.activity
            ],
        )
    )
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


def seen_by(parts: IssueParts, users) -> list[dict]:
    return _shown(
        parts,
        users,
        "seen_by",
        lambda: [
            {**users.of(row.user_id), "lastSeen": format_datetime(row.last_seen)}
            for row in parts.seen
        ],
    )


def participants(parts: IssueParts, users) -> list[dict]:
    return _shown(
        parts,
        users,
        "participants",
        lambda: [users.of(row.user_id) for row in parts.subscriptions if row.is_active],
    )


def tags(parts: IssueParts) -> list[dict]:
    """The issue's tag keys with their number of values, by label."""
    return sorted(
        (
            {"key": standardized_tag_key(key), "name": tag_label(key), "totalValues": total}
            for key, total in parts.tag_keys
        ),
        key=lambda tag: tag["name"],
    )


class ReleaseSerializer:
    """Serializes the issue's first and last releases with their projects (read for both at
    once) and the emails of their owners."""

    def __init__(self, parts: IssueParts, requester):
        self.parts = parts
        self.requester = requester
        self.projects_by_release: dict[int, list] = {}
        for row in parts.release_projects:
            self.projects_by_release.setdefault(row.release_id, []).append(row)

    def __call__(self, release) -> dict | None:
        if release is None:
            return None
        return serialize_release(
            release,
            release_projects=self.projects_by_release.get(release.pk, []),
            emails_by_user=self.parts.emails_by_user,
            requester=self.requester,
        )

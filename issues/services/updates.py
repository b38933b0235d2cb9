"""issue_update: what PUT (and the admin) change, in Sentry's order, with the Activity rows it
writes (docs/behaviour.md §3). The status rules are issues.status's; this writes what they
decide."""

from datetime import datetime
from uuid import uuid4

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import OrganizationMember, Team
from accounts.selectors import project_member_user_ids
from issues import status
from issues.changes import IssueChanges
from issues.models import (
    HIDDEN_STATUSES,
    ActivityType,
    Assignee,
    Issue,
    IssuePriority,
    Resolution,
    Share,
    Snooze,
    SubscriptionReason,
)
from issues.services import writes
from issues.services.writes import Batch
from issues.status import StatusChange
from issues_api.jsonrows import Shape, select


def _activity(
    batch: Batch, issue: Issue, actor, type: ActivityType, *, now: datetime, data=None, ident=None
) -> None:
    writes.add_activity(batch, issue, actor.pk, type, now=now, data=data, ident=ident)


def subscribe(batch: Batch, issue: Issue, user_ids, reason: SubscriptionReason, *, now) -> None:
    """Subscribe users who have no subscription row yet; an explicit unsubscribe stays."""
    writes.subscribe(batch, issue.pk, user_ids, reason, now=now)


def _change_status(batch: Batch, issue: Issue, actor, change: StatusChange, *, now) -> None:
    """The transition issues.status decides, written: the former resolution goes, the snooze
    goes or takes its new terms, then the status fields, the new resolution, the activity."""
    transition = status.change_status(issue, change, actor=actor, now=now)
    writes.delete_of_issue(batch, Resolution, issue.pk)
    if transition.snooze is None:
        writes.delete_of_issue(batch, Snooze, issue.pk)
    else:
        writes.snooze(batch, issue.pk, **transition.snooze, actor=actor.pk)
    writes.save_status(batch, issue)
    ident = None
    if transition.resolution is not None:
        batch.flush()  # the former resolution's delete first
        transition.resolution.save(force_insert=True)
        if transition.activity == ActivityType.SET_RESOLVED_IN_RELEASE:
            ident = str(transition.resolution.pk)  # Sentry's activity names it
    if transition.activity is not None:
        _activity(
            batch, issue, actor, transition.activity, now=now, data=transition.data, ident=ident
        )
        subscribe(batch, issue, [actor.pk], SubscriptionReason.STATUS_CHANGE, now=now)


def _set_priority(batch: Batch, issue: Issue, actor, priority, *, now: datetime) -> None:
    """Sentry's handle_priority: a manual priority locks it (priorityLockedAt, on every PUT
    that sends one), and a change of it writes set_priority."""
    changed = issue.priority != priority
    issue.priority = priority
    issue.priority_locked_at = now
    writes.save_priority(batch, issue)
    if changed:
        data = {"priority": IssuePriority(priority).label, "reason": None}
        _activity(batch, issue, actor, ActivityType.SET_PRIORITY, now=now, data=data)


def _assign(batch: Batch, issue: Issue, actor, target, *, now: datetime) -> None:
    """target: a User, a Team, or None to unassign. Re-assigning to the same owner is a no-op."""
    batch.flush()
    current = Assignee.objects.filter(issue=issue).first()
    if target is None:
        if current is not None:
            current.delete()
            _activity(batch, issue, actor, ActivityType.UNASSIGNED, now=now)
        return
    is_team = isinstance(target, Team)
    if current is not None and (
        (is_team and current.team_id == target.pk) or (not is_team and current.user_id == target.pk)
    ):
        return
    # Assignee.objects.update_or_create without its savepoint: the issue's lock keeps the
    # row read above current.
    assignee = current or Assignee(issue=issue)
    assignee.user = None if is_team else target
    assignee.team = target if is_team else None
    assignee.date_added = now
    if current is None:
        assignee.save(force_insert=True)
    else:
        assignee.save(update_fields=["user", "team", "date_added"])
    _activity(
        batch,
        issue,
        actor,
        ActivityType.ASSIGNED,
        now=now,
        data={
            "assignee": str(target.pk),
            "assigneeEmail": None if is_team else target.email,
            "assigneeType": "team" if is_team else "user",
        },
    )
    if is_team:
        user_ids = OrganizationMember.objects.filter(teams=target).values_list("user_id", flat=True)
    else:
        user_ids = [target.pk]
    subscribe(batch, issue, list(user_ids), SubscriptionReason.ASSIGNED, now=now)


def _set_public(batch: Batch, issue: Issue, actor, is_public: bool, *, now: datetime) -> None:
    """Activity only when the share really changes (project decision 3)."""
    batch.flush()
    share = Share.objects.filter(issue=issue).first()
    if is_public and share is None:
        Share.objects.create(issue=issue, uuid=uuid4().hex, user=actor, date_added=now)
        _activity(batch, issue, actor, ActivityType.SET_PUBLIC, now=now)
    elif not is_public and share is not None:
        share.delete()
        _activity(batch, issue, actor, ActivityType.SET_PRIVATE, now=now)


# The issue row alone, read under its lock (PostgreSQL; SQLite has no row locks, its writes
# take the database's).
_ISSUE = Shape()
_LOCKED = {"postgresql": 'a."id" = %(id)s FOR UPDATE'}


def _locked_issue(issue_id: int) -> Issue:
    """Issue.objects.select_for_update().get(pk=issue_id), in one prepared statement."""
    where = _LOCKED.get(connection.vendor, 'a."id" = %(id)s')
    rows = select(Issue, _ISSUE, where, {"id": issue_id})
    if not rows:
        raise Issue.DoesNotExist
    return rows[0]


@transaction.atomic
def issue_update(
    *, issue_id: int, actor, changes: IssueChanges, now: datetime | None = None
) -> Issue:
    """Apply the changes of a PUT body (as issues.validators.IssueUpdateValidator makes them),
    or of the admin, to an issue; the status through issues.status.

    The issue row is locked for the whole transaction, so concurrent updates of one issue
    apply one after the other and none is lost. `merge` has no effect on a single issue.
    Raises Issue.DoesNotExist when the issue was deleted meanwhile. The writes go in a
    Batch (issues.services.writes): a plain status change or bookmark is one round trip.
    """
    now = now or timezone.now()
    issue = _locked_issue(issue_id)
    if issue.status in HIDDEN_STATUSES:
        # Deleted (or discarded) while this request waited for the lock: nothing to update.
        raise Issue.DoesNotExist
    batch = Batch()
    # Sentry sets the priority before anything else.
    if changes.priority is not None:
        _set_priority(batch, issue, actor, changes.priority, now=now)

    if changes.status is not None:
        _change_status(batch, issue, actor, changes.status, now=now)

    if changes.assignment is not None:
        _assign(batch, issue, actor, changes.assignment.owner, now=now)

    if changes.has_seen is not None:
        if not changes.has_seen:
            writes.unsee(batch, issue.pk, actor.pk)
        elif project_member_user_ids(issue.project, user_ids=[actor.pk]):
            writes.see(batch, issue.pk, actor.pk, now=now)

    if changes.is_bookmarked is not None:
        if changes.is_bookmarked:
            writes.bookmark(batch, issue.pk, actor.pk, now=now)
            subscribe(batch, issue, [actor.pk], SubscriptionReason.BOOKMARK, now=now)
        else:
            writes.unbookmark(batch, issue.pk, actor.pk)

    if changes.is_subscribed is not None:
        # An explicit (un)subscribe has no other reason (Sentry: create_or_update with
        # reason=unknown), whatever subscribed the user before.
        writes.set_subscription(
            batch,
            issue.pk,
            actor.pk,
            is_active=changes.is_subscribed,
            reason=SubscriptionReason.UNKNOWN,
            now=now,
        )

    if changes.is_public is not None:
        _set_public(batch, issue, actor, changes.is_public, now=now)
    batch.flush()
    return issue

"""issue_update: what PUT changes, in Sentry's order, with the Activity rows it writes
(docs/behaviour.md §3)."""

from datetime import datetime, timedelta
from uuid import uuid4

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import OrganizationMember, Team
from accounts.selectors import project_member_user_ids
from issues.models import (
    HIDDEN_STATUSES,
    ActivityType,
    Assignee,
    Issue,
    IssueStatus,
    IssueSubstatus,
    Resolution,
    Share,
    Snooze,
    SubscriptionReason,
)
from issues.services import writes
from issues.services.writes import Batch
from issues.validators import UNASSIGN
from issues_api.api.dates import format_datetime
from issues_api.jsonrows import Shape, select
from releases.models import ReleaseCommit
from releases.selectors import follows_semver, release_to_resolve_by


def _activity(
    batch: Batch, issue: Issue, actor, type: ActivityType, *, now: datetime, data=None, ident=None
) -> None:
    writes.add_activity(batch, issue, actor.pk, type, now=now, data=data, ident=ident)


def subscribe(batch: Batch, issue: Issue, user_ids, reason: SubscriptionReason, *, now) -> None:
    """Subscribe users who have no subscription row yet; an explicit unsubscribe stays."""
    writes.subscribe(batch, issue.pk, user_ids, reason, now=now)


def _set_issue_status(
    batch: Batch, issue: Issue, status: IssueStatus, substatus, *, now: datetime
) -> bool:
    """Update status and substatus; True when the status changed."""
    changed = issue.status != status
    issue.status = status
    issue.substatus = substatus
    if status == IssueStatus.RESOLVED:
        issue.resolved_at = now
    elif changed and status == IssueStatus.UNRESOLVED:
        issue.active_at = now
        issue.resolved_at = None
    writes.save_status(batch, issue)
    return changed


def _resolve(batch: Batch, issue: Issue, actor, status: str, details: dict, *, now) -> None:
    writes.delete_of_issue(batch, Snooze, issue.pk)
    writes.delete_of_issue(batch, Resolution, issue.pk)
    _set_issue_status(batch, issue, IssueStatus.RESOLVED, None, now=now)

    release = None
    resolution_type = None
    if status == "resolvedInNextRelease" or details.get("in_next_release"):
        # Newer Sentry: with no release at all this is a plain resolve.
        release = release_to_resolve_by(issue.project)
        resolution_type = Resolution.Type.IN_NEXT_RELEASE
    elif details.get("in_release") is not None:
        release = details["in_release"]
        resolution_type = Resolution.Type.IN_RELEASE

    if release is not None:
        data = {"version": release.version if resolution_type == Resolution.Type.IN_RELEASE else ""}
        current_release_version = ""
        if (
            resolution_type == Resolution.Type.IN_NEXT_RELEASE
            and release.is_semver
            and follows_semver(issue.project)
        ):
            # Sentry's process_group_resolution: in a semver project "next release" means any
            # version above the greatest one (release_to_resolve_by's pick), known now, so the
            # issue is resolved in that release at once; the activity names it as the version
            # to exceed and keeps "version" empty.
            current_release_version = release.version
            resolution_type = Resolution.Type.IN_RELEASE
            data["current_release_version"] = current_release_version
        batch.flush()  # the resolution's delete first
        resolution = Resolution.objects.create(
            issue=issue,
            release=release,
            current_release_version=current_release_version,
            type=resolution_type,
            status=Resolution.Status.RESOLVED
            if resolution_type == Resolution.Type.IN_RELEASE
            else Resolution.Status.PENDING,
            actor=actor,
            datetime=now,
        )
        _activity(
            batch,
            issue,
            actor,
            ActivityType.SET_RESOLVED_IN_RELEASE,
            now=now,
            ident=str(resolution.pk),
            data=data,
        )
    elif details.get("in_commit") is not None:
        commit = details["in_commit"]
        # When a release already holds the commit, the issue is resolved in that release.
        shipped = (
            ReleaseCommit.objects.filter(commit=commit, release__projects=issue.project)
            .select_related("release")
            .order_by("release__date_added")
            .first()
        )
        batch.flush()  # the resolution's delete first
        Resolution.objects.create(
            issue=issue,
            commit=commit,
            release=shipped.release if shipped is not None else None,
            type=Resolution.Type.IN_RELEASE if shipped is not None else None,
            status=Resolution.Status.RESOLVED,
            actor=actor,
            datetime=now,
        )
        _activity(
            batch,
            issue,
            actor,
            ActivityType.SET_RESOLVED_IN_COMMIT,
            now=now,
            data={"commit": commit.pk},
        )
    else:
        # Sentry writes set_resolved on every resolve, even of a resolved issue.
        _activity(batch, issue, actor, ActivityType.SET_RESOLVED, now=now)
    subscribe(batch, issue, [actor.pk], SubscriptionReason.STATUS_CHANGE, now=now)


def _unresolve(batch: Batch, issue: Issue, actor, *, now: datetime) -> None:
    writes.delete_of_issue(batch, Resolution, issue.pk)
    writes.delete_of_issue(batch, Snooze, issue.pk)
    if _set_issue_status(batch, issue, IssueStatus.UNRESOLVED, IssueSubstatus.ONGOING, now=now):
        _activity(batch, issue, actor, ActivityType.SET_UNRESOLVED, now=now)
        subscribe(batch, issue, [actor.pk], SubscriptionReason.STATUS_CHANGE, now=now)


def _ignore(batch: Batch, issue: Issue, actor, details: dict, *, now: datetime) -> None:
    writes.delete_of_issue(batch, Resolution, issue.pk)
    duration = details.get("ignore_duration")
    count = details.get("ignore_count")
    user_count = details.get("ignore_user_count")
    until = now + timedelta(minutes=duration) if duration else None
    if duration or count or user_count:
        state = {}
        if count and not details.get("ignore_window"):
            state["times_seen"] = issue.times_seen
        if user_count and not details.get("ignore_user_window"):
            state["users_seen"] = issue.user_count
        writes.snooze(
            batch,
            issue.pk,
            until=until,
            count=count or None,
            window=details.get("ignore_window") or None,
            user_count=user_count or None,
            user_window=details.get("ignore_user_window") or None,
            state=state,
            actor=actor.pk,
        )
        substatus = IssueSubstatus.ARCHIVED_UNTIL_CONDITION_MET
    else:
        writes.delete_of_issue(batch, Snooze, issue.pk)
        substatus = IssueSubstatus.ARCHIVED_FOREVER
    if _set_issue_status(batch, issue, IssueStatus.IGNORED, substatus, now=now):
        _activity(
            batch,
            issue,
            actor,
            ActivityType.SET_IGNORED,
            now=now,
            data={
                "ignoreCount": count,
                "ignoreDuration": duration,
                "ignoreUntil": format_datetime(until),
                "ignoreUserCount": user_count,
                "ignoreUserWindow": details.get("ignore_user_window"),
                "ignoreWindow": details.get("ignore_window"),
            },
        )
        subscribe(batch, issue, [actor.pk], SubscriptionReason.STATUS_CHANGE, now=now)


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
def issue_update(*, issue_id: int, actor, changes: dict, now: datetime | None = None) -> Issue:
    """Apply a validated PUT body (issues.validators.IssueUpdateValidator) to an issue.

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
    status = changes.get("status")
    details = changes.get("status_details") or {}
    if status in ("resolved", "resolvedInNextRelease"):
        _resolve(batch, issue, actor, status, details, now=now)
    elif status == "unresolved":
        _unresolve(batch, issue, actor, now=now)
    elif status == "ignored":
        _ignore(batch, issue, actor, details, now=now)

    if "assigned_to" in changes:
        target = changes["assigned_to"]
        _assign(batch, issue, actor, None if target is UNASSIGN else target, now=now)

    if "has_seen" in changes:
        if not changes["has_seen"]:
            writes.unsee(batch, issue.pk, actor.pk)
        elif project_member_user_ids(issue.project, user_ids=[actor.pk]):
            writes.see(batch, issue.pk, actor.pk, now=now)

    if "is_bookmarked" in changes:
        if changes["is_bookmarked"]:
            writes.bookmark(batch, issue.pk, actor.pk, now=now)
            subscribe(batch, issue, [actor.pk], SubscriptionReason.BOOKMARK, now=now)
        else:
            writes.unbookmark(batch, issue.pk, actor.pk)

    if "is_subscribed" in changes:
        # An explicit (un)subscribe has no other reason (Sentry: create_or_update with
        # reason=unknown), whatever subscribed the user before.
        writes.set_subscription(
            batch,
            issue.pk,
            actor.pk,
            is_active=changes["is_subscribed"],
            reason=SubscriptionReason.UNKNOWN,
            now=now,
        )

    if "is_public" in changes:
        _set_public(batch, issue, actor, changes["is_public"], now=now)
    batch.flush()
    return issue

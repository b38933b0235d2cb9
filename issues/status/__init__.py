"""An issue's status: what may be asked of it, every rule of moving between statuses, and what
a reader is shown (docs/behaviour.md §2.3, §3.3).

The one home of these rules (Bugsink's IssueStateManager is the idea; Sentry spreads them over
update_groups, GroupResolution, GroupSnooze and its serializer's _get_status):

- the vocabulary: Resolve, Unresolve, Ignore, a change of status in domain terms
  (issues.validators makes them from Sentry's wire strings, which stop there);
- the transitions someone asks for, through PUT or the admin: resolve (plainly, in a release,
  in the next release, in a commit), ignore (forever, or until a duration, a count or a user
  count, within a window or not, is reached) and unresolve;
- the transitions an event brings (issues.services.digest): the regression of a resolved
  issue and the end of a snooze, in issues.status.events;
- what a reader is shown: an expired snooze reads unresolved, a new issue turns ongoing after
  a week, the substatus only goes with unresolved and ignored.

Nothing here writes. A transition sets the issue's status fields in memory and returns what
else its service writes in the same transaction (the snooze, the resolution row, the activity);
the services own the writes (the PUT's are batched, issues.services.writes). The rules read
what they judge by: the project's releases, the commit's release, the events of a window.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from accounts.models import User
from issues.models import (
    ActivityType,
    Issue,
    IssueStatus,
    IssueSubstatus,
    Resolution,
    Snooze,
)
from issues_api.api.dates import format_datetime
from releases.models import Commit, Release, ReleaseCommit
from releases.selectors import follows_semver, release_to_resolve_by

# Sentry's substatus "new" lasts a week from the first event.
NEW_ISSUE_PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class Resolve:
    """Resolve the issue, saying what fixes it if known. When several are named the first
    counts: the next release, a release, a commit (as Sentry's update_groups)."""

    in_next_release: bool = False
    in_release: Release | None = None
    in_commit: Commit | None = None

    status: ClassVar[IssueStatus] = IssueStatus.RESOLVED


@dataclass(frozen=True)
class Unresolve:
    """Bring the issue back: no resolution, no snooze."""

    status: ClassVar[IssueStatus] = IssueStatus.UNRESOLVED


@dataclass(frozen=True)
class Ignore:
    """Ignore the issue until one of the conditions is met, forever without any. Duration and
    windows are minutes; a count with a window means that many within the window, without one
    that many more in all. Values are kept as asked (0 included) for the activity row; a 0
    sets no condition."""

    duration: int | None = None
    count: int | None = None
    window: int | None = None
    user_count: int | None = None
    user_window: int | None = None

    status: ClassVar[IssueStatus] = IssueStatus.IGNORED

    @property
    def has_conditions(self) -> bool:
        return bool(self.duration or self.count or self.user_count)

    def until(self, now: datetime) -> datetime | None:
        return now + timedelta(minutes=self.duration) if self.duration else None


StatusChange = Resolve | Unresolve | Ignore


@dataclass
class Transition:
    """What a transition leaves its service to write besides the issue's status fields:
    the snooze's terms (None: the snooze goes), the resolution row, unsaved (any former one
    goes first), and the activity row (None: no activity, and no subscription of the actor)."""

    snooze: dict | None = None
    resolution: Resolution | None = None
    activity: ActivityType | None = None
    data: dict = field(default_factory=dict)


def _move(issue: Issue, status: IssueStatus, substatus, *, now: datetime) -> bool:
    """Set the status fields; True when the status changed. Every resolve stamps resolved_at;
    coming back to unresolved makes the issue active again (hasSeen compares with it)."""
    changed = issue.status != status
    issue.status = status
    issue.substatus = substatus
    if status == IssueStatus.RESOLVED:
        issue.resolved_at = now
    elif changed and status == IssueStatus.UNRESOLVED:
        issue.active_at = now
        issue.resolved_at = None
    return changed


def change_status(issue: Issue, change: StatusChange, *, actor, now: datetime) -> Transition:
    """Apply a change someone asked for (PUT or the admin) to the issue's status fields."""
    if isinstance(change, Resolve):
        return resolve(issue, change, actor=actor, now=now)
    if isinstance(change, Ignore):
        return ignore(issue, change, now=now)
    return unresolve(issue, now=now)


def resolve(issue: Issue, change: Resolve, *, actor, now: datetime) -> Transition:
    """Resolved, with the resolution what fixes it needs. Sentry writes an activity row on
    every resolve, even of a resolved issue."""
    _move(issue, IssueStatus.RESOLVED, None, now=now)
    if change.in_next_release:
        # Newer Sentry: with no release at all this is a plain resolve (or a commit's).
        release = release_to_resolve_by(issue.project)
        kind = Resolution.Type.IN_NEXT_RELEASE
    else:
        release = change.in_release
        kind = Resolution.Type.IN_RELEASE
    if release is not None:
        data = {"version": release.version if kind == Resolution.Type.IN_RELEASE else ""}
        current_release_version = ""
        if (
            kind == Resolution.Type.IN_NEXT_RELEASE
            and release.is_semver
            and follows_semver(issue.project)
        ):
            # Sentry's process_group_resolution: in a semver project "next release" means any
            # version above the greatest one (release_to_resolve_by's pick), known now, so the
            # issue is resolved in that release at once; the activity names it as the version
            # to exceed and keeps "version" empty.
            current_release_version = release.version
            kind = Resolution.Type.IN_RELEASE
            data["current_release_version"] = current_release_version
        resolution = Resolution(
            issue=issue,
            release=release,
            current_release_version=current_release_version,
            type=kind,
            status=Resolution.Status.RESOLVED
            if kind == Resolution.Type.IN_RELEASE
            else Resolution.Status.PENDING,
            actor=actor,
            datetime=now,
        )
        return Transition(
            resolution=resolution, activity=ActivityType.SET_RESOLVED_IN_RELEASE, data=data
        )
    if change.in_commit is not None:
        commit = change.in_commit
        # When a release already holds the commit, the issue is resolved in that release.
        shipped = (
            ReleaseCommit.objects.filter(commit=commit, release__projects=issue.project)
            .select_related("release")
            .order_by("release__date_added")
            .first()
        )
        resolution = Resolution(
            issue=issue,
            commit=commit,
            release=shipped.release if shipped is not None else None,
            type=Resolution.Type.IN_RELEASE if shipped is not None else None,
            status=Resolution.Status.RESOLVED,
            actor=actor,
            datetime=now,
        )
        return Transition(
            resolution=resolution,
            activity=ActivityType.SET_RESOLVED_IN_COMMIT,
            data={"commit": commit.pk},
        )
    return Transition(activity=ActivityType.SET_RESOLVED)


def unresolve(issue: Issue, *, now: datetime) -> Transition:
    """Unresolved and ongoing; an activity row only when the status changed."""
    if _move(issue, IssueStatus.UNRESOLVED, IssueSubstatus.ONGOING, now=now):
        return Transition(activity=ActivityType.SET_UNRESOLVED)
    return Transition()


def ignore(issue: Issue, change: Ignore, *, now: datetime) -> Transition:
    """Ignored until the conditions are met (a snooze), or forever. Ignoring an ignored issue
    replaces its snooze without an activity row."""
    until = change.until(now)
    snooze = None
    substatus = IssueSubstatus.ARCHIVED_FOREVER
    if change.has_conditions:
        # A count without a window counts from the issue's counters as they are now.
        state = {}
        if change.count and not change.window:
            state["times_seen"] = issue.times_seen
        if change.user_count and not change.user_window:
            state["users_seen"] = issue.user_count
        snooze = {
            "until": until,
            "count": change.count or None,
            "window": change.window or None,
            "user_count": change.user_count or None,
            "user_window": change.user_window or None,
            "state": state,
        }
        substatus = IssueSubstatus.ARCHIVED_UNTIL_CONDITION_MET
    if not _move(issue, IssueStatus.IGNORED, substatus, now=now):
        return Transition(snooze=snooze)
    return Transition(
        snooze=snooze,
        activity=ActivityType.SET_IGNORED,
        data={
            "ignoreCount": change.count,
            "ignoreDuration": change.duration,
            "ignoreUntil": format_datetime(until),
            "ignoreUserCount": change.user_count,
            "ignoreUserWindow": change.user_window,
            "ignoreWindow": change.window,
        },
    )


@dataclass(slots=True)
class ShownStatus:
    """An issue's status as a reader sees it at a moment.

    Ignored with a snooze that holds: the snooze, with what is left of its counts without a
    window (the counts as set otherwise). Resolved: what fixed it, a release before a commit,
    and who said so (a commit's resolution names nobody). The substatus goes only with
    unresolved and ignored. `until`: the moment from which time alone changes this reading
    (a new issue turning ongoing, a snooze ending), None when only a change to the rows can;
    documents kept by their rows' text (issues.rendered) hold until then.
    """

    status: IssueStatus
    substatus: IssueSubstatus | None
    snooze: Snooze | None = None
    ignore_count: int | None = None
    ignore_user_count: int | None = None
    in_release: Release | None = None
    in_next_release: bool = False
    in_commit: Commit | None = None
    actor: User | None = None
    until: datetime | None = None


def shown(
    issue: Issue, *, snooze: Snooze | None, resolution: Resolution | None, now: datetime
) -> ShownStatus:
    """The status a reader sees (Sentry's _get_status), from the issue and its snooze (needed
    when ignored) or resolution (needed when resolved)."""
    status = issue.status
    if status == IssueStatus.UNRESOLVED:
        substatus = issue.substatus
        if substatus != IssueSubstatus.NEW:
            return ShownStatus(status, substatus)
        ongoing_from = issue.first_seen + NEW_ISSUE_PERIOD
        if ongoing_from < now:
            return ShownStatus(status, IssueSubstatus.ONGOING)
        return ShownStatus(status, substatus, until=ongoing_from)
    if status == IssueStatus.IGNORED:
        if snooze is None:
            return ShownStatus(status, issue.substatus)
        if not snooze.is_valid(issue, now=now):
            # Ended without an event to end it: it reads as it will read after the next one.
            return ShownStatus(IssueStatus.UNRESOLVED, IssueSubstatus.ONGOING)
        events_left, users_left = snooze.events_left(issue), snooze.users_left(issue)
        return ShownStatus(
            status,
            issue.substatus,
            snooze=snooze,
            ignore_count=snooze.count if events_left is None else events_left,
            ignore_user_count=snooze.user_count if users_left is None else users_left,
            actor=snooze.actor,
            until=snooze.until,
        )
    if status == IssueStatus.RESOLVED and resolution is not None:
        if resolution.release is not None:
            in_release = resolution.type == Resolution.Type.IN_RELEASE
            return ShownStatus(
                status,
                None,
                in_release=resolution.release if in_release else None,
                in_next_release=not in_release,
                actor=resolution.actor,
            )
        if resolution.commit is not None:
            return ShownStatus(status, None, in_commit=resolution.commit)
    return ShownStatus(status, None)


# The event side, which builds on the transitions above.
from issues.status.events import (  # noqa: E402
    EventWatch,
    RecentEvents,
    reopen_for_event,
    watch_for_events,
)

__all__ = [
    "EventWatch",
    "Ignore",
    "RecentEvents",
    "Resolve",
    "ShownStatus",
    "StatusChange",
    "Transition",
    "Unresolve",
    "change_status",
    "ignore",
    "reopen_for_event",
    "resolve",
    "shown",
    "unresolve",
    "watch_for_events",
]

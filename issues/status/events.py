"""The transitions an event brings to an issue's status (docs/behaviour.md §3.3): the
regression of a resolved issue and the end of a snooze.

The digest (issues.services.digest) applies events in batches, so these rules take what they
judge by as arguments: read once per issue (watch_for_events) and kept current event by event,
rather than read again for each event. Nothing here writes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max

from issues.models import (
    ActivityType,
    Event,
    Issue,
    IssueStatus,
    IssueSubstatus,
    Resolution,
    Snooze,
)
from issues.status import Transition, _move
from releases.models import Release
from releases.selectors import follows_semver
from releases.versions import compare_versions


def _release_order_date(release: Release) -> datetime:
    return release.date_released or release.date_added


def _resolution_holds(
    issue: Issue,
    resolution: Resolution | None,
    release: Release | None,
    *,
    semver: Callable[[], bool],
    current_release: Callable[[], Release | None],
) -> bool:
    """Whether an event of `release` leaves a resolved issue resolved (Sentry's
    GroupResolution.has_resolution): only when resolved in a release newer than the event's,
    by semver when the project (`semver()`: it follows semver as of this event) and the
    event's release follow it, else by date. `current_release()` is the release of the
    resolution's greatest version when it was resolved in the next release."""
    if resolution is None or resolution.release is None:
        return False
    if release is None:
        # From "no release" to "some release": the event is taken as older.
        return True
    resolved_in = resolution.release
    by_semver = release.is_semver and semver()

    if resolution.current_release_version:
        # Resolved in next release: every version up to the greatest one it was resolved at
        # is covered.
        current = resolution.current_release_version
        if by_semver:
            order = compare_versions(current, release.version)
            if order is not None:
                if order >= 0:
                    return True
                # A greatest version noted under other conditions may be stale: the event's
                # version still has to be below the release the issue was resolved in.
                order = compare_versions(resolved_in.version, release.version)
                if order is not None:
                    return order == 1
        else:
            current_release = current_release()
            if current_release is not None:
                return current_release.pk == release.pk or _release_order_date(
                    current_release
                ) > _release_order_date(release)

    if resolution.type == Resolution.Type.IN_RELEASE:
        if resolved_in.pk == release.pk:
            return False
        if by_semver:
            order = compare_versions(resolved_in.version, release.version)
            if order is not None:
                return order == 1
        return resolved_in.date_added > release.date_added
    return resolved_in.pk == release.pk or resolved_in.date_added > release.date_added


class RecentEvents:
    """An ignored issue's events as the windowed conditions of its snooze count them: read
    once (at most as many as the conditions ask, newest first, since the earliest moment a
    window may start), then told of each new event as it is counted, so that a batch of events
    is judged event by event without a query per event (issues.services.digest).

    Counting only up to the condition's number is enough: whether the window holds at least
    that many events (or users) is all the rule asks."""

    def __init__(self, issue: Issue, snooze: Snooze, *, since: datetime):
        self.times: list[datetime] = []
        self.users: dict[str, datetime] = {}
        if snooze.count and snooze.window:
            self.times = list(
                Event.objects.filter(
                    issue=issue, datetime__gte=since - timedelta(minutes=snooze.window)
                )
                .order_by("-datetime")
                .values_list("datetime", flat=True)[: snooze.count]
            )
        if snooze.user_count and snooze.user_window:
            rows = (
                Event.objects.filter(
                    issue=issue, datetime__gte=since - timedelta(minutes=snooze.user_window)
                )
                .exclude(user_key=None)
                .values("user_key")
                .annotate(latest=Max("datetime"))
                .order_by("-latest")[: snooze.user_count]
            )
            self.users = {row["user_key"]: row["latest"] for row in rows}

    def add(self, moment: datetime, user_key: str | None) -> None:
        self.times.append(moment)
        if user_key and (user_key not in self.users or self.users[user_key] < moment):
            self.users[user_key] = moment

    def events_since(self, moment: datetime) -> int:
        return sum(1 for time in self.times if time >= moment)

    def users_since(self, moment: datetime) -> int:
        return sum(1 for time in self.users.values() if time >= moment)


@dataclass
class EventWatch:
    """What the rules an event brings judge a resolved or ignored issue by, read once for a
    run of its events (watch_for_events) and kept current as they are counted: its resolution
    (and the release of the resolution's greatest version, read when first needed), or its
    snooze and recent events."""

    resolution: Resolution | None = None
    snooze: Snooze | None = None
    recent: RecentEvents | None = None
    _current_release: list = field(default_factory=list)

    def current_release(self, issue: Issue) -> Release | None:
        if not self._current_release:
            self._current_release.append(
                Release.objects.filter(
                    organization_id=issue.project.organization_id,
                    version=self.resolution.current_release_version,
                ).first()
            )
        return self._current_release[0]


def watch_for_events(issue: Issue, *, since: datetime) -> EventWatch | None:
    """What reopen_for_event needs to judge events of a resolved or ignored (and locked)
    issue, none of them earlier than `since` (their `now`); None for any other status."""
    if issue.status == IssueStatus.RESOLVED:
        resolution = Resolution.objects.select_related("release").filter(issue=issue).first()
        return EventWatch(resolution=resolution)
    if issue.status == IssueStatus.IGNORED:
        snooze = Snooze.objects.filter(issue=issue).first()
        recent = RecentEvents(issue, snooze, since=since) if snooze is not None else None
        return EventWatch(snooze=snooze, recent=recent)
    return None


def _snooze_ended(snooze: Snooze, issue: Issue, *, now: datetime, recent: RecentEvents) -> bool:
    """Whether an event ends the snooze: its own terms (Snooze.is_valid), or as many events,
    or users, within the window as its count asks."""
    if not snooze.is_valid(issue, now=now):
        return True
    window = snooze.count and snooze.window
    if window and recent.events_since(now - timedelta(minutes=window)) >= snooze.count:
        return True
    user_window = snooze.user_count and snooze.user_window
    return bool(
        user_window
        and recent.users_since(now - timedelta(minutes=user_window)) >= snooze.user_count
    )


def reopen_for_event(
    issue: Issue,
    *,
    release: Release | None,
    now: datetime,
    watch: EventWatch | None = None,
    semver: Callable[[], bool] | None = None,
) -> Transition | None:
    """A new event (of `release`, already counted, in the issue's counters and in `watch`)
    regresses a resolved issue unless its resolution holds for that release, and ends an
    ignored issue's snooze once the snooze's conditions are met; ignoring without conditions
    holds. None: the issue stays as it is. Either way back the issue comes unresolved, with
    no resolution and no snooze.

    Without `watch` (read by watch_for_events) the rule reads it, the event already stored;
    `semver()` says whether the project follows semver as of this event (by default, as its
    releases are now)."""
    if issue.status not in (IssueStatus.RESOLVED, IssueStatus.IGNORED):
        return None
    if watch is None:
        watch = watch_for_events(issue, since=now)
    if issue.status == IssueStatus.RESOLVED:
        holds = _resolution_holds(
            issue,
            watch.resolution,
            release,
            semver=semver or (lambda: follows_semver(issue.project)),
            current_release=lambda: watch.current_release(issue),
        )
        if holds:
            return None
        substatus = IssueSubstatus.REGRESSED
    else:
        snooze = watch.snooze
        if snooze is None or not _snooze_ended(snooze, issue, now=now, recent=watch.recent):
            return None
        substatus = IssueSubstatus.ONGOING
    _move(issue, IssueStatus.UNRESOLVED, substatus, now=now)
    return Transition(
        activity=ActivityType.SET_REGRESSION,
        data={"version": release.version if release is not None else ""},
    )

"""record_event: the one door through which events enter."""

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from accounts.models import Project
from issues import status
from issues.ingest import NormalizedEvent, normalize_event
from issues.models import (
    Activity,
    Environment,
    Event,
    Issue,
    IssueDailyCount,
    IssueEnvironment,
    IssueHash,
    IssueHourlyCount,
    IssueLevel,
    IssuePriority,
    IssueSubstatus,
    IssueTagKey,
    IssueTagValue,
    IssueUser,
    Resolution,
    Snooze,
)
from releases.models import Release, ReleaseProject
from releases.services import release_for_version


def _initial_priority(level: int) -> int:
    if level >= IssueLevel.ERROR:
        return IssuePriority.HIGH
    if level >= IssueLevel.WARNING:
        return IssuePriority.MEDIUM
    return IssuePriority.LOW


def _release_for_event(project: Project, version: str, seen: datetime) -> Release:
    release = release_for_version(organization_id=project.organization_id, version=version)
    ReleaseProject.objects.get_or_create(release=release, project=project)
    # Conditional updates keep first/last event right when events of a release race.
    Release.objects.filter(
        Q(first_event__isnull=True) | Q(first_event__gt=seen), pk=release.pk
    ).update(first_event=seen)
    Release.objects.filter(
        Q(last_event__isnull=True) | Q(last_event__lt=seen), pk=release.pk
    ).update(last_event=seen)
    return release


def _issue_for_event(
    project: Project, data: NormalizedEvent, release, issue_id: int | None
) -> tuple[Issue, bool]:
    """Lock the issue of the event's fingerprint, or create it."""
    lookup = IssueHash.objects.filter(project=project, hash=data.fingerprint_hash)
    if issue_id is None:
        # Creating issues is serialized per project: the row lock also guards the counter.
        project_row = Project.objects.select_for_update().get(pk=project.pk)
        issue_id = lookup.values_list("issue_id", flat=True).first()
        if issue_id is None:
            project_row.last_short_id += 1
            project_row.save(update_fields=["last_short_id"])
            issue = Issue.objects.create(
                project=project,
                short_id=project_row.last_short_id,
                substatus=IssueSubstatus.NEW,
                level=data.level,
                priority=_initial_priority(data.level),
                type=data.type,
                metadata=data.metadata,
                culprit=data.culprit,
                logger=data.logger,
                platform=data.platform,
                first_seen=data.timestamp,
                last_seen=data.timestamp.replace(microsecond=0),
                active_at=data.timestamp,
                first_release=release,
                last_release=release,
            )
            IssueHash.objects.create(project=project, hash=data.fingerprint_hash, issue=issue)
            if release is not None:
                ReleaseProject.objects.filter(release=release, project=project).update(
                    new_groups=F("new_groups") + 1
                )
            return issue, True
    return Issue.objects.select_for_update().get(pk=issue_id), False


def _count_user(issue: Issue, environment: Environment, user_key: str | None) -> tuple[bool, bool]:
    """Record a user key; return (new for the issue, new for the issue in this environment)."""
    if not user_key:
        return False, False
    seen_before = IssueUser.objects.filter(issue=issue, user_key=user_key).exists()
    _, new_in_environment = IssueUser.objects.get_or_create(
        issue=issue, environment=environment, user_key=user_key
    )
    return not seen_before, new_in_environment


def _count_tags(issue: Issue, environment: Environment, data: NormalizedEvent) -> None:
    """Upsert tag key and tag value counters in a fixed number of queries."""
    keys = [key for key, _ in data.tags]
    seen = data.timestamp.replace(microsecond=0)

    existing_keys = {
        row.key: row
        for row in IssueTagKey.objects.filter(issue=issue, environment=environment, key__in=keys)
    }
    IssueTagKey.objects.filter(pk__in=[row.pk for row in existing_keys.values()]).update(
        times_seen=F("times_seen") + 1
    )
    IssueTagKey.objects.bulk_create(
        [
            IssueTagKey(issue=issue, environment=environment, key=key, times_seen=1)
            for key in keys
            if key not in existing_keys
        ]
    )

    value_filter = Q()
    for key, value in data.tags:
        value_filter |= Q(key=key, value=value)
    existing_values = {
        (row.key, row.value): row
        for row in IssueTagValue.objects.filter(value_filter, issue=issue, environment=environment)
    }
    # One UPDATE for all: every row takes the same event time (no NULLs, so LEAST/GREATEST
    # behave alike on PostgreSQL and SQLite).
    IssueTagValue.objects.filter(pk__in=[row.pk for row in existing_values.values()]).update(
        times_seen=F("times_seen") + 1,
        first_seen=Least("first_seen", Value(seen)),
        last_seen=Greatest("last_seen", Value(seen)),
    )
    IssueTagValue.objects.bulk_create(
        [
            IssueTagValue(
                issue=issue,
                environment=environment,
                key=key,
                value=value,
                times_seen=1,
                first_seen=seen,
                last_seen=seen,
            )
            for key, value in data.tags
            if (key, value) not in existing_values
        ]
    )


def _update_counters(
    issue: Issue,
    *,
    created: bool,
    data: NormalizedEvent,
    environment: Environment,
    release: Release | None,
) -> None:
    """Counters and read models of the (locked) issue, for one new event."""
    seen = data.timestamp.replace(microsecond=0)
    new_user, new_user_in_environment = _count_user(issue, environment, data.user_key)

    if not created:
        issue.times_seen += 1
        issue.first_seen = min(issue.first_seen, data.timestamp)
        if seen >= issue.last_seen:
            # The newest event describes the issue.
            issue.last_seen = seen
            issue.level = data.level
            issue.culprit = data.culprit
            issue.metadata = data.metadata
            issue.type = data.type
            issue.logger = data.logger
            issue.platform = data.platform or issue.platform
            if release is not None:
                issue.last_release = release
    else:
        issue.times_seen = 1
    issue.is_unhandled = issue.is_unhandled or data.is_unhandled
    issue.user_count += int(new_user)
    issue.save()

    stats, stats_created = IssueEnvironment.objects.get_or_create(
        issue=issue,
        environment=environment,
        defaults={"first_seen": data.timestamp, "last_seen": seen, "first_release": release},
    )
    if not stats_created:
        stats.first_seen = min(stats.first_seen, data.timestamp)
        stats.last_seen = max(stats.last_seen, seen)
    stats.times_seen += 1
    stats.user_count += int(new_user_in_environment)
    stats.save()

    hour = data.timestamp.replace(minute=0, second=0, microsecond=0)
    updated = IssueHourlyCount.objects.filter(
        issue=issue, environment=environment, hour=hour
    ).update(count=F("count") + 1)
    if not updated:
        IssueHourlyCount.objects.create(issue=issue, environment=environment, hour=hour, count=1)
    day = hour.replace(hour=0)
    updated = IssueDailyCount.objects.filter(issue=issue, environment=environment, day=day).update(
        count=F("count") + 1
    )
    if not updated:
        IssueDailyCount.objects.create(issue=issue, environment=environment, day=day, count=1)

    _count_tags(issue, environment, data)


def _reopen_if_due(issue: Issue, *, release: Release | None, now: datetime) -> None:
    """Write the transition a new event brings to the issue's status (issues.status): a
    regression, or the end of a snooze."""
    transition = status.reopen_for_event(issue, release=release, now=now)
    if transition is None:
        return
    Resolution.objects.filter(issue=issue).delete()
    Snooze.objects.filter(issue=issue).delete()
    issue.save(update_fields=["status", "substatus", "active_at", "resolved_at"])
    Activity.objects.create(
        project_id=issue.project_id,
        issue=issue,
        type=transition.activity,
        datetime=now,
        data=transition.data,
    )


@transaction.atomic
def record_event(*, project: Project, payload: dict, now: datetime | None = None) -> Event | None:
    """Store an event: find or create its issue and update every counter in one transaction.

    A resolved issue regresses and an ignored one whose snooze ends comes back (docs/behaviour.md
    §3.3).
    An event id already stored for the project is not counted twice; its Event is returned.
    An event of a discarded issue's fingerprint is dropped: None. Raises ValueError for a
    payload that cannot be read.
    """
    now = now or timezone.now()
    data = normalize_event(payload, now=now, grouping_config=project.grouping_config)
    existing = Event.objects.filter(project=project, event_id=data.event_id).first()
    if existing is not None:
        return existing
    route = (
        IssueHash.objects.filter(project=project, hash=data.fingerprint_hash)
        .values("issue_id", "tombstone_id")
        .first()
    )
    if route is not None and route["tombstone_id"] is not None:
        return None  # the fingerprint of a discarded issue: the event is dropped

    environment, _ = Environment.objects.get_or_create(
        organization_id=project.organization_id, name=data.environment
    )
    seen = data.timestamp.replace(microsecond=0)
    release = _release_for_event(project, data.release, seen) if data.release else None
    issue, created = _issue_for_event(
        project, data, release, route["issue_id"] if route is not None else None
    )
    event = Event.objects.create(
        project=project,
        issue=issue,
        event_id=data.event_id,
        datetime=data.timestamp,
        received=data.received,
        environment=environment,
        release=release,
        platform=data.platform,
        message=data.message,
        user_key=data.user_key,
        tags=[list(pair) for pair in data.tags],
        data=payload,
    )
    _update_counters(issue, created=created, data=data, environment=environment, release=release)
    if not created:
        _reopen_if_due(issue, release=release, now=now)
    return event

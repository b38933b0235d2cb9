"""The first half of a batch: read each event, drop what one by one would not count, and find
or make in bulk what the events name (environments, releases, issues), each step a fixed
number of queries whatever the number of events."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, F, Value, When

from accounts.models import Project
from issues.ingest import NormalizedEvent, normalize_event
from issues.models import (
    Environment,
    Event,
    Issue,
    IssueHash,
    IssueLevel,
    IssuePriority,
    IssueSubstatus,
)
from issues_api.bulk import rows_for_pairs
from releases.models import Release, ReleaseProject
from releases.services import releases_for_versions


@dataclass(eq=False)
class Item:
    """One event of a batch, as it goes through it: its place in the queue order, what it
    names, and the issue it counts in."""

    index: int
    project: Project
    payload: dict
    now: datetime
    data: NormalizedEvent
    environment: Environment | None = None
    release: Release | None = None
    issue: "IssueRun | None" = None
    creates_issue: bool = False
    event: Event | None = None

    @property
    def seen(self) -> datetime:
        # Second precision, as Sentry's event store reports last_seen.
        return self.data.timestamp.replace(microsecond=0)


@dataclass(eq=False)
class IssueRun:
    """An issue of the batch and its events in queue order; `issue` is locked (or new)."""

    issue: Issue | None
    new: bool
    items: list[Item] = field(default_factory=list)


def normalized(project: Project, payload: dict, now: datetime) -> NormalizedEvent:
    """What the digest reads of a payload (raises ValueError when it cannot)."""
    return normalize_event(payload, now=now, grouping_config=project.grouping_config)


def drop_duplicates(items: list[Item]) -> tuple[list[Item], dict[int, int]]:
    """The events not yet stored for their project (the first of a batch's repeats wins), and
    for the others the pk of the Event already stored (None for a repeat within the batch,
    which counts as the first one)."""
    stored = {
        (project_id, event_id): pk
        for project_id, event_id, pk in Event.objects.filter(
            project_id__in={item.project.pk for item in items},
            event_id__in={item.data.event_id for item in items},
        ).values_list("project_id", "event_id", "pk")
    }
    kept, duplicates, firsts = [], {}, {}
    for item in items:
        key = (item.project.pk, item.data.event_id)
        if key in stored:
            duplicates[item.index] = stored[key]
        elif key in firsts:
            duplicates[item.index] = None
        else:
            firsts[key] = item
            kept.append(item)
    return kept, duplicates


def hash_routes(items: list[Item]) -> dict[tuple[int, str], tuple[int | None, int | None]]:
    """(project id, fingerprint hash) -> (issue id, tombstone id) of the batch's hashes known."""
    rows = IssueHash.objects.filter(
        project_id__in={item.project.pk for item in items},
        hash__in={item.data.fingerprint_hash for item in items},
    ).values_list("project_id", "hash", "issue_id", "tombstone_id")
    return {(project_id, hash_): (issue, tombstone) for project_id, hash_, issue, tombstone in rows}


def attach_environments(items: list[Item]) -> None:
    """Each event's environment, those missing created (in name order: two workers creating
    the same ones wait for each other in one order)."""
    keys = {(item.project.organization_id, item.data.environment) for item in items}
    found, _ = rows_for_pairs(
        Environment,
        ("organization_id", "name"),
        keys,
        lambda org, name: Environment(organization_id=org, name=name),
    )
    for item in items:
        item.environment = found[(item.project.organization_id, item.data.environment)]


def attach_releases(items: list[Item]) -> dict[tuple[int, int], ReleaseProject]:
    """Each event's release and its link to the project (created if missing); returns the
    links, (release id, project id) -> ReleaseProject, with `created_in_batch` marked on the
    new ones."""
    with_release = [item for item in items if item.data.release]
    if not with_release:
        return {}
    releases = releases_for_versions(
        {(item.project.organization_id, item.data.release) for item in with_release}
    )
    for item in with_release:
        item.release = releases[(item.project.organization_id, item.data.release)]
    pairs = {(item.release.pk, item.project.pk) for item in with_release}
    links, created = rows_for_pairs(
        ReleaseProject,
        ("release_id", "project_id"),
        pairs,
        lambda release, project: ReleaseProject(release_id=release, project_id=project),
    )
    for key in created:
        if key in links:
            links[key].created_in_batch = True
    return links


def _initial_priority(level: int) -> int:
    if level >= IssueLevel.ERROR:
        return IssuePriority.HIGH
    if level >= IssueLevel.WARNING:
        return IssuePriority.MEDIUM
    return IssuePriority.LOW


def new_issue(item: Item) -> Issue:
    """The issue an event of a new fingerprint opens, described by that event (short id and
    pk to come)."""
    data = item.data
    return Issue(
        project=item.project,
        substatus=IssueSubstatus.NEW,
        level=data.level,
        priority=_initial_priority(data.level),
        type=data.type,
        metadata=data.metadata,
        culprit=data.culprit,
        logger=data.logger,
        platform=data.platform,
        first_seen=data.timestamp,
        last_seen=item.seen,
        active_at=data.timestamp,
        first_release=item.release,
        last_release=item.release,
    )


def lock_projects(project_ids: set[int]) -> dict[int, Project]:
    """Creating issues is serialized per project: the row lock (taken in id order, so that
    workers never deadlock) also guards the short-id counter.

    FOR NO KEY UPDATE, as every lock the digest takes: it does not stop another worker from
    inserting events that refer to the project (their foreign key takes KEY SHARE), which a
    FOR UPDATE would, while that worker holds an issue this one waits for: a deadlock."""
    rows = Project.objects.select_for_update(no_key=True).filter(pk__in=project_ids).order_by("pk")
    return {row.pk: row for row in rows}


def lock_issues(issue_ids: set[int]) -> dict[int, Issue]:
    """The existing issues of the batch, locked in id order (no deadlock between workers):
    their counters and read-model rows are then written by this transaction alone."""
    rows = Issue.objects.select_for_update(no_key=True).filter(pk__in=issue_ids).order_by("pk")
    return {row.pk: row for row in rows}


def count_new_groups(links: dict, runs: list[IssueRun]) -> None:
    """ReleaseProject.new_groups: one more for each new issue first seen in the release, in
    one UPDATE (an increment: the rows were read before the projects were locked)."""
    counts: dict[int, int] = {}
    for run in runs:
        release = run.items[0].release
        if run.new and release is not None:
            link = links[(release.pk, run.issue.project_id)]
            counts[link.pk] = counts.get(link.pk, 0) + 1
    if counts:
        ReleaseProject.objects.filter(pk__in=counts).update(
            new_groups=F("new_groups")
            + Case(*(When(pk=pk, then=Value(n)) for pk, n in counts.items()), default=Value(0))
        )


def allocate_short_ids(projects: dict[int, Project], runs: list[IssueRun]) -> None:
    """Consecutive short ids per project, in the order of each new issue's first event."""
    for run in sorted((run for run in runs if run.new), key=lambda run: run.items[0].index):
        project = projects[run.issue.project_id]
        project.last_short_id += 1
        run.issue.short_id = project.last_short_id
    Project.objects.bulk_update(projects.values(), ["last_short_id"])

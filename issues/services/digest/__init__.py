"""apply_events: a batch of events applied in one transaction with set-based SQL, leaving
exactly what applying them one by one, in the same order, would leave (docs/ingest.md).

The number of queries does not grow with the number of events: bulk reads with `__in`, bulk
inserts, one upsert per read-model table. What does grow is bounded by the issues, not the
events: a resolved or ignored issue that receives events has its resolution or snooze read
(issues.status.watch_for_events) and, when an event brings it back, its own activity row.

record_event is the batch of one; events_digest applies the queue batch by batch.
"""

import json
from dataclasses import dataclass
from datetime import datetime

import orjson
from django.db import OperationalError, connection, transaction
from django.db.models.expressions import RawSQL

from accounts.models import Project
from issues import status
from issues.models import Activity, Event, Issue, IssueHash, Resolution, Snooze
from issues.services.digest.counters import Tally, widen_release_bounds
from issues.services.digest.routing import (
    IssueRun,
    Item,
    allocate_short_ids,
    attach_environments,
    attach_releases,
    count_new_groups,
    drop_duplicates,
    hash_routes,
    lock_issues,
    lock_projects,
    new_issue,
    normalized,
)
from releases.selectors import SEMVER_SAMPLE, follows_semver_among, project_releases

__all__ = ["Incoming", "Outcome", "RoutesChanged", "apply_events"]


class RoutesChanged(OperationalError):
    """The batch read a route that another transaction removed before the batch could lock
    it: like a deadlock, nothing is written and the batch is to be tried again (as
    digest_events does), when the route is read afresh."""


@dataclass
class Incoming:
    """An event to apply: its project, its payload as received, and the moment it was
    received (the `now` of its status changes, and its time when the payload has none)."""

    project: Project
    payload: dict
    now: datetime


@dataclass
class Outcome:
    """What became of an Incoming: the Event stored; or `duplicate` (the pk of the Event an
    earlier one stored, None when that one is in the same batch); or `dropped` (the
    fingerprint of a discarded issue); or `error`, why it could not be applied: the
    ValueError of a payload that cannot be read (nothing written for it), or what the
    database said of it (events_digest)."""

    event: Event | None = None
    duplicate: bool = False
    duplicate_of: int | None = None
    dropped: bool = False
    error: Exception | None = None


# No savepoint of its own: its callers hold one (record_event, and events_digest for each
# try), so that a database error undoes the batch and nothing else.
@transaction.atomic(savepoint=False)
def apply_events(incoming: list[Incoming]) -> list[Outcome]:
    """Apply the events in one transaction, as if one by one in list order; one Outcome each.

    A payload that cannot be read is set aside (its Outcome's error) and the others applied.
    A database error (a value the database refuses) is raised: the caller decides which
    event to blame (events_digest retries without it)."""
    outcomes = [Outcome() for _ in incoming]
    items = []
    for index, event in enumerate(incoming):
        try:
            data = normalized(event.project, event.payload, event.now)
        except ValueError as error:
            outcomes[index].error = error
            continue
        items.append(Item(index, event.project, event.payload, event.now, data))
    if not items:
        return outcomes

    items, duplicates = drop_duplicates(items)
    for index, pk in duplicates.items():
        outcomes[index].duplicate, outcomes[index].duplicate_of = True, pk
    routes = hash_routes(items) if items else {}
    items = [item for item in items if not _tombstoned(item, routes, outcomes)]
    if not items:
        return outcomes

    attach_environments(items)
    links = attach_releases(items)
    runs = _route(items, routes, outcomes)
    tally = Tally(runs)
    watches = {
        run: status.watch_for_events(run.issue, since=min(item.now for item in run.items))
        for run in runs
        if not run.new
    }
    semver = _SemverJudge(items, links)
    activities, regressed = [], []
    for item in items:
        tally.count(item)
        watch = watches.get(item.issue)
        if watch is None:
            continue
        if watch.recent is not None:
            watch.recent.add(item.data.timestamp, item.data.user_key)
        transition = status.reopen_for_event(
            item.issue.issue,
            release=item.release,
            now=item.now,
            watch=watch,
            semver=lambda item=item: semver(item),
        )
        if transition is not None:
            regressed.append(item.issue.issue.pk)
            activities.append(
                Activity(
                    project_id=item.project.pk,
                    issue=item.issue.issue,
                    type=transition.activity,
                    datetime=item.now,
                    data=transition.data,
                )
            )

    _create_issues(runs, links)
    Event.objects.bulk_create([_event(item) for item in items])
    for item in items:
        item.event.data = item.payload  # the value, where bulk_create had its text
    tally.write(runs)
    if regressed:
        Resolution.objects.filter(issue_id__in=regressed).delete()
        Snooze.objects.filter(issue_id__in=regressed).delete()
        Activity.objects.bulk_create(activities)
    widen_release_bounds(items, {item.release.pk: item.release for item in items if item.release})
    for item in items:
        outcomes[item.index].event = item.event
    return outcomes


def _tombstoned(item: Item, routes: dict, outcomes: list[Outcome]) -> bool:
    route = routes.get((item.project.pk, item.data.fingerprint_hash))
    if route is not None and route[1] is not None:
        outcomes[item.index].dropped = True  # the fingerprint of a discarded issue
        return True
    return False


def _route(items: list[Item], routes: dict, outcomes: list[Outcome]) -> list[IssueRun]:
    """Each event's issue: the one its hash routes to (locked), or a new one opened by the
    first event of its fingerprint. Hashes unknown when first read are read again once their
    projects are locked: another worker may have opened their issue meanwhile."""
    unknown = [
        item for item in items if (item.project.pk, item.data.fingerprint_hash) not in routes
    ]
    projects = {}
    if unknown:
        projects = lock_projects({item.project.pk for item in unknown})
        routes = {**routes, **hash_routes(unknown)}
    routed = {issue for issue, _ in routes.values() if issue is not None}
    issues = lock_issues(routed)
    if issues.keys() != routed:
        # Deleted (run_deletions) since its hash was read, the hash with it.
        raise RoutesChanged("An issue of the batch was deleted meanwhile; try again.")
    runs: dict[tuple[int, str], IssueRun] = {}
    kept = []
    for item in items:
        key = (item.project.pk, item.data.fingerprint_hash)
        run = runs.get(key)
        if run is None:
            if _tombstoned(item, routes, outcomes):
                continue  # discarded while this batch waited for the project's lock
            issue_id, _ = routes.get(key, (None, None))
            if issue_id is None:
                run = IssueRun(new_issue(item), new=True)
                item.creates_issue = True
            else:
                run = IssueRun(issues[issue_id], new=False)
            runs[key] = run
        item.issue = run
        run.items.append(item)
        kept.append(item)
    items[:] = kept
    if projects:
        allocate_short_ids(projects, list(runs.values()))
    return list(runs.values())


def _create_issues(runs: list[IssueRun], links: dict) -> None:
    """The new issues and their hashes, in the order of their first events."""
    new = [run for run in runs if run.new]  # runs are in the order of their first events
    if not new:
        return
    Issue.objects.bulk_create([run.issue for run in new])
    IssueHash.objects.bulk_create(
        [
            IssueHash(
                project_id=run.issue.project_id,
                hash=run.items[0].data.fingerprint_hash,
                issue=run.issue,
            )
            for run in new
        ]
    )
    count_new_groups(links, new)


def _event(item: Item) -> Event:
    data = item.data
    item.event = Event(
        project=item.project,
        issue=item.issue.issue,
        event_id=data.event_id,
        datetime=data.timestamp,
        received=data.received,
        environment=item.environment,
        release=item.release,
        platform=data.platform,
        message=data.message,
        user_key=data.user_key,
        tags=[list(pair) for pair in data.tags],
        data=_json_text(item.payload),
    )
    return item.event


def _json_text(value) -> RawSQL:
    """A payload for a JSON column as its text, written by orjson: Django's JSONField would
    write it with the json module, and bulk_create would then send it to PostgreSQL in an
    array (UNNEST) that psycopg escapes character by character; together most of a batch's
    time for SDK events of a few KB. An expression makes bulk_create use VALUES instead."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # integers past 64 bits, which the json module writes
        text = json.dumps(value)
    sql = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    return RawSQL(sql, (text,))  # noqa: S611 (the text is a parameter)


class _SemverJudge:
    """Whether an event's project follows semver as of that event (releases.selectors'
    follows_semver): its releases before the batch and those the batch linked to it up to
    that event. Read once per project, when a resolved issue first asks."""

    def __init__(self, items: list[Item], links: dict):
        self.linked_at: dict[tuple[int, int], int] = {}
        for item in items:
            if item.release is not None:
                key = (item.release.pk, item.project.pk)
                if getattr(links[key], "created_in_batch", False):
                    self.linked_at.setdefault(key, item.index)
        self.releases: dict[int, list] = {}

    def __call__(self, item: Item) -> bool:
        project = item.project
        if project.pk not in self.releases:
            added = sum(1 for _, project_id in self.linked_at if project_id == project.pk)
            self.releases[project.pk] = list(
                project_releases(project).order_by("-date_added")[: SEMVER_SAMPLE + added]
            )
        recent = [
            release
            for release in self.releases[project.pk]
            if self.linked_at.get((release.pk, project.pk), -1) <= item.index
        ]
        return follows_semver_among(recent[:SEMVER_SAMPLE])

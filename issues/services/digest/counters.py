"""The second half of a batch: every counter and read model of its issues, computed in memory
event by event exactly as one by one would (the issues are locked, so nobody else writes
their rows), then written with one upsert per table."""

from datetime import datetime

from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Greatest, Least

from issues.models import (
    Issue,
    IssueDailyCount,
    IssueDailyTotal,
    IssueEnvironment,
    IssueHourlyCount,
    IssueHourlyTotal,
    IssueTagKey,
    IssueTagValue,
    IssueUser,
)
from issues.services.digest.routing import IssueRun, Item
from releases.models import Release

# What an event may change on an existing issue (issues.status's fields included).
ISSUE_FIELDS = [
    "times_seen",
    "first_seen",
    "last_seen",
    "level",
    "culprit",
    "metadata",
    "type",
    "logger",
    "platform",
    "last_release",
    "is_unhandled",
    "user_count",
    "status",
    "substatus",
    "active_at",
    "resolved_at",
]


class Tally:
    """The read-model rows of a batch's issues: those that exist, read once per table for the
    batch's keys, and those the batch adds, counted event by event (`count`), then written
    (`write`). Keys name the issue by its IssueRun, since new issues have no pk yet."""

    def __init__(self, runs: list[IssueRun]):
        existing = {run.issue.pk: run for run in runs if not run.new}
        items = [item for run in runs for item in run.items]
        self.environments: dict[tuple, IssueEnvironment] = {}
        self.users: set[tuple] = set()
        self.users_any: set[tuple] = set()
        self.new_users: list[IssueUser] = []
        self.hours: dict[tuple, IssueHourlyCount] = {}
        self.days: dict[tuple, IssueDailyCount] = {}
        self.tag_keys: dict[tuple, IssueTagKey] = {}
        self.tag_values: dict[tuple, IssueTagValue] = {}
        # Rows to write, in the order the events first touch them.
        self.touched: dict[str, dict[tuple, None]] = {
            name: {} for name in ("environments", "hours", "days", "tag_keys", "tag_values")
        }
        if existing:
            self._read(existing, items)

    def _read(self, existing: dict[int, IssueRun], items: list[Item]) -> None:
        ids = existing.keys()
        for row in IssueEnvironment.objects.filter(issue_id__in=ids):
            self.environments[(existing[row.issue_id], row.environment_id)] = row
        user_keys = {item.data.user_key for item in items if item.data.user_key}
        if user_keys:
            for issue_id, environment_id, user_key in IssueUser.objects.filter(
                issue_id__in=ids, user_key__in=user_keys
            ).values_list("issue_id", "environment_id", "user_key"):
                self.users.add((existing[issue_id], environment_id, user_key))
                self.users_any.add((existing[issue_id], user_key))
        hours = {_hour(item.data.timestamp) for item in items}
        for row in IssueHourlyCount.objects.filter(issue_id__in=ids, hour__in=hours):
            self.hours[(existing[row.issue_id], row.environment_id, row.hour)] = row
        days = {hour.replace(hour=0) for hour in hours}
        for row in IssueDailyCount.objects.filter(issue_id__in=ids, day__in=days):
            self.days[(existing[row.issue_id], row.environment_id, row.day)] = row
        keys = {key for item in items for key, _ in item.data.tags}
        values = {value for item in items for _, value in item.data.tags}
        if keys:
            for row in IssueTagKey.objects.filter(issue_id__in=ids, key__in=keys):
                self.tag_keys[(existing[row.issue_id], row.environment_id, row.key)] = row
            for row in IssueTagValue.objects.filter(
                issue_id__in=ids, key__in=keys, value__in=values
            ):
                key = (existing[row.issue_id], row.environment_id, row.key, row.value)
                self.tag_values[key] = row

    def _touch(self, table: str, key: tuple) -> None:
        self.touched[table][key] = None

    def count(self, item: Item) -> None:
        """Count one event in its (locked or new) issue and its read models: record_event's
        arithmetic, event by event."""
        run, data, environment = item.issue, item.data, item.environment
        issue, seen = run.issue, item.seen
        new_user = new_user_in_environment = False
        if data.user_key:
            new_user = (run, data.user_key) not in self.users_any
            new_user_in_environment = (run, environment.pk, data.user_key) not in self.users
            if new_user_in_environment:
                self.users.add((run, environment.pk, data.user_key))
                self.new_users.append(
                    IssueUser(issue=issue, environment=environment, user_key=data.user_key)
                )
            self.users_any.add((run, data.user_key))

        if item.creates_issue:
            issue.times_seen = 1
        else:
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
                if item.release is not None:
                    issue.last_release = item.release
        issue.is_unhandled = issue.is_unhandled or data.is_unhandled
        issue.user_count += int(new_user)

        key = (run, environment.pk)
        stats = self.environments.get(key)
        if stats is None:
            stats = self.environments[key] = IssueEnvironment(
                issue=issue,
                environment=environment,
                first_seen=data.timestamp,
                last_seen=seen,
                first_release=item.release,
            )
        else:
            stats.first_seen = min(stats.first_seen, data.timestamp)
            stats.last_seen = max(stats.last_seen, seen)
        stats.times_seen += 1
        stats.user_count += int(new_user_in_environment)
        self._touch("environments", key)

        hour = _hour(data.timestamp)
        day = hour.replace(hour=0)
        env_id = environment.pk
        self._bump("hours", (run, env_id, hour), IssueHourlyCount, environment_id=env_id, hour=hour)
        self._bump("days", (run, env_id, day), IssueDailyCount, environment_id=env_id, day=day)

        for tag, _ in data.tags:
            key = (run, environment.pk, tag)
            row = self.tag_keys.get(key)
            if row is None:
                row = self.tag_keys[key] = IssueTagKey(
                    issue=issue, environment=environment, key=tag, times_seen=0
                )
            row.times_seen += 1
            self._touch("tag_keys", key)
        for tag, value in data.tags:
            key = (run, environment.pk, tag, value)
            row = self.tag_values.get(key)
            if row is None:
                row = self.tag_values[key] = IssueTagValue(
                    issue=issue,
                    environment=environment,
                    key=tag,
                    value=value,
                    times_seen=0,
                    first_seen=seen,
                    last_seen=seen,
                )
            row.times_seen += 1
            row.first_seen = min(row.first_seen, seen)
            row.last_seen = max(row.last_seen, seen)
            self._touch("tag_values", key)

    def _bump(self, table: str, key: tuple, model, **fields) -> None:
        """One more event in a count row (`table` names its dict), made with `fields` (its
        bucket, and its environment for a per-environment row) if new; key[0] is the run."""
        rows = getattr(self, table)
        row = rows.get(key)
        if row is None:
            row = rows[key] = model(issue=key[0].issue, count=0, **fields)
        row.count += 1
        self._touch(table, key)

    def write(self, runs: list[IssueRun]) -> None:
        """The counters as counted: existing issues in one statement, each read-model table in
        one upsert (existing rows take their new totals, new rows are inserted in the order
        the events first touched them)."""
        existing = [run.issue for run in runs if not run.new]
        if existing:
            # An upsert on the primary key rather than bulk_update: its CASE WHEN per field
            # and issue costs more to build than the database takes to run it.
            Issue.objects.bulk_create(
                existing, update_conflicts=True, unique_fields=["id"], update_fields=ISSUE_FIELDS
            )
        IssueUser.objects.bulk_create(self.new_users)
        _upsert(
            IssueEnvironment,
            [self.environments[key] for key in self.touched["environments"]],
            unique=["issue", "environment"],
            update=["first_seen", "last_seen", "times_seen", "user_count"],
        )
        for table, model, bucket, total in (
            ("hours", IssueHourlyCount, "hour", IssueHourlyTotal),
            ("days", IssueDailyCount, "day", IssueDailyTotal),
        ):
            rows, touched = getattr(self, table), self.touched[table]
            _upsert(
                model,
                [rows[key] for key in touched],
                unique=["issue", "environment", bucket],
                update=["count"],
            )
            _upsert(
                total,
                _totals(rows, touched, total, bucket),
                unique=["issue", bucket],
                update=["count"],
            )
        _upsert(
            IssueTagKey,
            [self.tag_keys[key] for key in self.touched["tag_keys"]],
            unique=["issue", "environment", "key"],
            update=["times_seen"],
        )
        _upsert(
            IssueTagValue,
            [self.tag_values[key] for key in self.touched["tag_values"]],
            unique=["issue", "environment", "key", "value"],
            update=["times_seen", "first_seen", "last_seen"],
        )


def _totals(rows: dict, touched: dict, model, bucket: str) -> list:
    """The all-environment totals of the buckets the batch touched, summed from the
    per-environment rows (keyed (run, environment id, bucket)). The batch read every
    environment's row of those buckets, so the sums are whole: no total is read."""
    sums = {(run, at): 0 for run, _, at in touched}
    for (run, _, at), row in rows.items():
        if (run, at) in sums:
            sums[(run, at)] += row.count
    return [
        model(issue=run.issue, count=count, **{bucket: at}) for (run, at), count in sums.items()
    ]


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _upsert(model, rows: list, *, unique: list[str], update: list[str]) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE for new and existing rows alike (an existing row's
    pk is dropped, so that all go in one statement: the conflict finds it by its key)."""
    if not rows:
        return
    for row in rows:
        row.pk = None
    model.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=unique, update_fields=update
    )


def widen_release_bounds(items: list[Item], known: dict[int, Release]) -> None:
    """Releases' first_event/last_event (second precision) stretched to the batch's events,
    in one UPDATE of the releases it moves, locked first in id order: releases are shared by
    every project of an organization, so workers of other projects write them too."""
    bounds: dict[int, tuple[datetime, datetime]] = {}
    for item in items:
        if item.release is None:
            continue
        low, high = bounds.get(item.release.pk, (item.seen, item.seen))
        bounds[item.release.pk] = (min(low, item.seen), max(high, item.seen))
    moved = {
        pk: (low, high)
        for pk, (low, high) in bounds.items()
        if known[pk].first_event is None
        or known[pk].first_event > low
        or known[pk].last_event is None
        or known[pk].last_event < high
    }
    if not moved:
        return
    list(
        Release.objects.select_for_update(no_key=True)
        .filter(pk__in=moved)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # No NULLs reach LEAST/GREATEST, which PostgreSQL and SQLite treat differently.
    Release.objects.filter(pk__in=moved).update(
        first_event=Case(
            *(
                When(pk=pk, then=Least(Coalesce("first_event", Value(low)), Value(low)))
                for pk, (low, _) in moved.items()
            ),
            default=F("first_event"),
        ),
        last_event=Case(
            *(
                When(pk=pk, then=Greatest(Coalesce("last_event", Value(high)), Value(high)))
                for pk, (_, high) in moved.items()
            ),
            default=F("last_event"),
        ),
    )

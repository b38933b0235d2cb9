"""The events table partitioned by week on PostgreSQL, and its retention (docs/scaling.md).

issues_event is partitioned by range of the event's time (`datetime`, its timestamp), one
partition a week (Monday 00:00 UTC to the next), named issues_event_<yyyymmdd> after its
first day, and a DEFAULT partition, issues_event_default, for any event outside them: the
digest never has to create a table and never loses an event. event_partitions_maintain,
run daily by manage_event_partitions, keeps the weeks from the retention's start to a few
weeks ahead, moves the rows the default holds into partitions of their weeks, and drops the
partitions wholly older than the retention: old events go by DROP TABLE, never by DELETE.

Weekly rather than daily: a query that names no time (an issue's events, an event by its id,
the digest's duplicate check) reads every partition's index, so their number is what it
costs; 90 days of retention is 14 or 15 weekly partitions against 91 daily ones. The price
is granularity: an event is kept 90 days at least and up to 97.

SQLite keeps one plain table: every function here does nothing there.
"""

# The SQL here names tables built from the model and dates, never from input.
# ruff: noqa: S608

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from issues.models import Event

TABLE = Event._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
WEEK = timedelta(days=7)
# pg_advisory_xact_lock's key for the partitions' maintenance (one at a time).
LOCK_KEY = 0x1550E5_0E7E47


@dataclass
class PartitionsReport:
    """What a run of event_partitions_maintain did: partitions created and dropped (names),
    and the rows it moved out of the default partition."""

    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    moved: int = 0


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the moment's week."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def partition_name(start: datetime) -> str:
    return f"{TABLE}_{start:%Y%m%d}"


def is_partitioned() -> bool:
    """Whether the events table is partitioned (PostgreSQL, after migration 0009)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", [TABLE])
        return cursor.fetchone()[0]


def event_partitions() -> list[tuple[str, datetime, datetime]]:
    """The events table's weekly partitions as (name, start, end), oldest first; the
    default partition aside."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, bounds[1]::timestamptz, bounds[2]::timestamptz"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,"
            " regexp_match(pg_get_expr(c.relpartbound, c.oid),"
            " $$FROM \\('([^']*)'\\) TO \\('([^']*)'\\)$$) AS bounds"
            " WHERE i.inhparent = %s::regclass AND bounds IS NOT NULL ORDER BY 2",
            [TABLE],
        )
        return cursor.fetchall()


@transaction.atomic
def event_partitions_maintain(
    *, now: datetime, retention_days: int, weeks_ahead: int, lock_timeout_ms: int = 2_000
) -> PartitionsReport:
    """Partitions for the weeks from `now - retention_days` to `weeks_ahead` weeks after
    now's, and for every week of a row in the default partition (moved there); then those
    wholly older than the retention dropped (retention_days 0: none). Idempotent; one run
    at a time (an advisory lock: a second waits for the first, then finds nothing to do).

    DDL on a partitioned table locks it: its statements wait at most `lock_timeout_ms` for
    their lock (behind a long read), else the run fails whole and is to be run again, so
    that the API's reads never queue behind it for long."""
    report = PartitionsReport()
    if not is_partitioned():
        return report
    _lock()
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
    first = week_start(now - timedelta(days=retention_days or 0))
    weeks = {first + WEEK * n for n in range((week_start(now) - first) // WEEK + weeks_ahead + 1)}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('week', datetime AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
            f' FROM "{DEFAULT_PARTITION}"'
        )
        weeks |= {row[0] for row in cursor.fetchall()}
    _create(sorted(weeks), report)
    if retention_days:
        cutoff = now - timedelta(days=retention_days)
        for name, _, end in event_partitions():
            if end <= cutoff:
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP TABLE "{name}"')
                report.dropped.append(name)
    _checks_deferred_again()
    return report


@transaction.atomic
def event_partitions_ensure(*, since: datetime, until: datetime) -> PartitionsReport:
    """Partitions for every week from since's to until's (bench/setup_data.py, before it
    loads events by SQL); rows of those weeks in the default partition moved into them."""
    report = PartitionsReport()
    if not is_partitioned():
        return report
    _lock()
    first = week_start(since)
    _create([first + WEEK * n for n in range((week_start(until) - first) // WEEK + 1)], report)
    _checks_deferred_again()
    return report


def _lock() -> None:
    """One maintenance at a time (the others wait, however long: no statement budget for
    this transaction); and the foreign-key checks the transaction deferred run now:
    PostgreSQL alters no table with checks pending (a caller that wrote events before, as
    bench/setup_data.py and the tests do)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _checks_deferred_again() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' own mode


def _create(weeks: list[datetime], report: PartitionsReport) -> None:
    """A partition for each week that has none. A week of rows held by the default
    partition cannot be attached beside it (PostgreSQL refuses a partition whose rows the
    default holds): the default is detached, the partition made, the rows copied through the
    parent (to their partitions) and deleted from the default, and the default attached
    again, in the caller's transaction, so no reader sees them missing."""
    existing = {start for _, start, _ in event_partitions()}
    for start in weeks:
        if start in existing:
            continue
        end = start + WEEK
        name = partition_name(start)
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT EXISTS (SELECT FROM "{DEFAULT_PARTITION}"'
                " WHERE datetime >= %s AND datetime < %s)",
                [start, end],
            )
            held = cursor.fetchone()[0]
            if held:
                cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{DEFAULT_PARTITION}"')
            # DDL takes no parameters: the bounds are written in, from the dates above.
            cursor.execute(
                f'CREATE TABLE "{name}" PARTITION OF "{TABLE}"'
                f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            if held:
                columns = ", ".join(f'"{f.column}"' for f in Event._meta.concrete_fields)
                cursor.execute(
                    f'INSERT INTO "{TABLE}" ({columns}) SELECT {columns}'
                    f' FROM "{DEFAULT_PARTITION}" WHERE datetime >= %s AND datetime < %s',
                    [start, end],
                )
                report.moved += cursor.rowcount
                cursor.execute(
                    f'DELETE FROM "{DEFAULT_PARTITION}" WHERE datetime >= %s AND datetime < %s',
                    [start, end],
                )
                cursor.execute(
                    f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{DEFAULT_PARTITION}" DEFAULT'
                )
        report.created.append(name)

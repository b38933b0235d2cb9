"""The events table partitioned by week on PostgreSQL, and its retention
(issues.services.partitions, manage_event_partitions): partitions made ahead and back to the
retention's start, old events dropped with their whole partitions while the issues' lifetime
counters stay, the events routes no longer listing them, events far in the past or future
stored (in the default partition, then moved to partitions of their own), the command
idempotent and one run at a time. SQLite keeps one plain table."""

import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from issues.models import Event, Issue
from issues.services import record_event
from issues.services.digest import Incoming, apply_events
from issues.services.partitions import (
    DEFAULT_PARTITION,
    LOCK_KEY,
    WEEK,
    event_partitions,
    event_partitions_maintain,
    is_partitioned,
    partition_name,
    week_start,
)
from tests.concurrency import run_together
from tests.factories import EventPayloadFactory, make_event
from tests.helpers import NOT_FOUND, assert_error, events_url, get_issue, get_json

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite keeps one plain events table"
)


def run_command(*args) -> str:
    out = StringIO()
    call_command("manage_event_partitions", *args, stdout=out)
    return out.getvalue()


def partition_of(event: Event) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM issues_event WHERE id = %s", [event.pk]
        )
        return cursor.fetchone()[0]


def event_at(project, moment: datetime, **payload) -> Event:
    return make_event(project, timestamp=moment.isoformat(), **payload)


def listed(api, issue) -> list[str]:
    return [event["eventID"] for event in get_json(api, events_url(issue))]


@postgresql_only
def test_the_events_table_is_partitioned_with_every_index_on_every_partition():
    assert is_partitioned()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'issues_event'::regclass AND contype IN ('p', 'u') ORDER BY 1"
        )
        keys = [row[0] for row in cursor.fetchall()]
        # The parent's indexes (partitioned ones) and, per partition, the indexes attached.
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'issues_event'::regclass")
        [parent_indexes] = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname, count(x.indexrelid) FILTER (WHERE x.indisvalid)"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " LEFT JOIN pg_index x ON x.indrelid = c.oid"
            " WHERE i.inhparent = 'issues_event'::regclass GROUP BY c.relname"
        )
        per_partition = dict(cursor.fetchall())
    assert keys == ["PRIMARY KEY (id, datetime)", "UNIQUE (project_id, event_id, datetime)"]
    assert parent_indexes == 8  # the keys, (issue, datetime), (issue, environment, ...) and FKs'
    assert DEFAULT_PARTITION in per_partition
    # The migration made this week's partition and 4 ahead.
    assert partition_name(week_start(timezone.now())) in per_partition
    assert partition_name(week_start(timezone.now()) + 4 * WEEK) in per_partition
    assert set(per_partition.values()) == {parent_indexes}


@postgresql_only
def test_the_command_makes_the_weeks_from_the_retentions_start_to_weeks_ahead(settings):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 30
    output = run_command("--weeks-ahead", "6")

    this_week = week_start(timezone.now())
    first = week_start(timezone.now() - timedelta(days=30))
    expected = [first + WEEK * n for n in range((this_week - first) // WEEK + 7)]
    assert [
        start
        for start in [start for _, start, _ in event_partitions()]
        if first <= start <= expected[-1]
    ] == expected
    assert all(end - start == WEEK for _, start, end in event_partitions())
    assert f"created {partition_name(this_week + 6 * WEEK)}" in output


@postgresql_only
def test_the_command_is_idempotent(settings):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 90
    run_command()
    made = event_partitions()

    assert run_command() == (
        "Created 0 partition(s), moved 0 event(s) out of the default partition, "
        "dropped 0 partition(s).\n"
    )
    assert event_partitions() == made


@postgresql_only
def test_expired_partitions_go_with_exactly_their_events_and_the_counters_stay(
    api, project, settings
):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 90
    now = timezone.now()
    cutoff = now - timedelta(days=90)
    expired = [event_at(project, cutoff - timedelta(days=8)), event_at(project, cutoff - WEEK * 3)]
    # Past the retention, but in the week that ends after the cutoff: its partition stays.
    kept_old = event_at(project, week_start(cutoff) + WEEK - timedelta(minutes=1))
    recent = event_at(project, now - timedelta(minutes=1))
    issue = recent.issue
    assert {event.issue_id for event in [*expired, kept_old]} == {issue.pk}
    document = get_issue(api, issue)
    assert (document["count"], document["userCount"]) == ("4", 4)

    output = run_command()

    for event in expired:
        assert f"dropped {partition_name(week_start(event.datetime))}" in output
    assert set(Event.objects.values_list("event_id", flat=True)) == {
        kept_old.event_id,
        recent.event_id,
    }
    after = get_issue(api, issue)
    # Lifetime counters, as Sentry's times_seen: the same before and after.
    assert (after["count"], after["userCount"], after["firstSeen"], after["lastSeen"]) == (
        document["count"],
        document["userCount"],
        document["firstSeen"],
        document["lastSeen"],
    )
    assert listed(api, issue) == [recent.event_id, kept_old.event_id]
    assert get_json(api, events_url(issue, "oldest"))["eventID"] == kept_old.event_id
    assert get_json(api, events_url(issue, "latest"))["eventID"] == recent.event_id
    response = api.get(events_url(issue, expired[0].event_id))
    assert_error(response, 404, NOT_FOUND)


@postgresql_only
def test_an_issue_whose_events_all_went_still_answers_and_has_no_latest_event(
    api, project, settings
):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 90
    event = event_at(project, timezone.now() - timedelta(days=200), message="Gone")
    issue = event.issue

    run_command()

    assert not Event.objects.filter(issue=issue).exists()
    assert get_issue(api, issue)["count"] == "1"
    assert listed(api, issue) == []
    for alias in ("latest", "oldest", "recommended"):
        assert_error(api.get(events_url(issue, alias)), 404, NOT_FOUND)


@postgresql_only
def test_events_far_in_the_past_or_future_are_stored_then_put_in_their_own_weeks(project, settings):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 0  # keep every event
    past = event_at(project, datetime(2001, 2, 3, 4, 5, tzinfo=UTC))
    future = event_at(project, datetime(2090, 6, 7, 8, 9, tzinfo=UTC))
    assert partition_of(past) == partition_of(future) == DEFAULT_PARTITION

    output = run_command()

    assert "moved 2 event(s) out of the default partition" in output
    assert partition_of(past) == "issues_event_20010129"
    assert partition_of(future) == "issues_event_20900605"
    assert Event.objects.filter(pk__in=[past.pk, future.pk]).count() == 2


@postgresql_only
def test_the_default_partition_never_blocks_a_new_weeks_partition(api, project, settings):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 90
    # Ten weeks ahead: no partition yet, so the default partition holds it.
    ahead = event_at(project, timezone.now() + WEEK * 10)
    neighbour = event_at(project, timezone.now())
    assert partition_of(ahead) == DEFAULT_PARTITION

    output = run_command("--weeks-ahead", "12")

    week = partition_name(week_start(ahead.datetime))
    assert f"created {week}" in output
    assert "moved 1 event(s)" in output
    assert partition_of(ahead) == week
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{DEFAULT_PARTITION}"')  # noqa: S608
        assert cursor.fetchone() == (0,)
    assert listed(api, neighbour.issue) == [ahead.event_id, neighbour.event_id]


@postgresql_only
def test_an_event_id_is_stored_once_per_project_whatever_its_time(project):
    payload = EventPayloadFactory(timestamp=(timezone.now() - timedelta(days=20)).isoformat())
    first = record_event(project=project, payload=payload)
    again = dict(payload, timestamp=timezone.now().isoformat())  # another week, partition

    [outcome] = apply_events([Incoming(project, again, timezone.now())])

    assert outcome.duplicate and outcome.duplicate_of == first.pk
    assert Event.objects.filter(event_id=first.event_id).count() == 1
    assert Issue.objects.get(pk=first.issue_id).times_seen == 1
    # The database's own guard, for the same time (a retry's payload is the same).
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(
            project=project,
            issue=first.issue,
            event_id=first.event_id,
            datetime=first.datetime,
            environment=first.environment,
        )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_runs_at_the_same_time_wait_for_each_other(settings):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 90
    outputs = run_together([run_command, run_command, run_command])

    assert not [output for output in outputs if isinstance(output, Exception)], outputs
    created = [line for output in outputs for line in output.splitlines() if "  created" in line]
    assert len(created) == len(set(created))
    assert run_command().startswith("Created 0 partition(s)")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_run_waits_for_the_advisory_lock_past_the_statement_budget(settings):
    if settings.DATABASE_POOLER:
        # The session's shorter budget below would stay on a pooled server connection and
        # cut the next test's statements; the direct run covers the same code.
        pytest.skip("a session SET outlives the test through a pooler")
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 90
    holder = connections.create_connection("default")
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        done = threading.Event()

        def run():
            try:
                # A statement budget shorter than the wait: the wait is not a statement to cut.
                with connection.cursor() as cursor:
                    cursor.execute("SET statement_timeout = 300")
                run_command()
                done.set()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(1)
        assert not done.is_set()
        holder.rollback()
        thread.join(timeout=30)
        assert done.is_set()
    finally:
        holder.close()


class LongRead:
    """A read of the events table in a transaction of another connection (its own thread),
    holding the table's ACCESS SHARE lock until `end` is set."""

    def __init__(self):
        self.reading, self.end = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._read)
        self.thread.start()
        assert self.reading.wait(timeout=10)

    def _read(self):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM issues_event")
                self.reading.set()
                self.end.wait(timeout=30)
        finally:
            connection.close()

    def stop(self):
        self.end.set()
        self.thread.join(timeout=10)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_run_gives_up_rather_than_queue_the_api_behind_a_long_read(settings):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 90
    before = event_partitions()
    read = LongRead()
    try:
        started = time.monotonic()
        with pytest.raises(CommandError, match=r"Nothing changed, run it again \(2 tries\)"):
            run_command(
                *("--weeks-ahead", "8", "--lock-timeout", "0.3"),
                *("--attempts", "2", "--retry-pause", "0.2"),
            )
        assert time.monotonic() - started < 5
    finally:
        read.stop()
    assert event_partitions() == before


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_run_that_gave_up_on_a_lock_tries_again_and_succeeds(settings):
    settings.ISSUES_API_EVENT_RETENTION_DAYS = 90
    read = LongRead()
    # The read ends while the command waits between its tries.
    ending = threading.Timer(0.6, read.stop)
    ending.start()
    out, errors = StringIO(), StringIO()
    try:
        call_command(
            "manage_event_partitions",
            *("--weeks-ahead", "9", "--lock-timeout", "0.3", "--retry-pause", "1"),
            stdout=out,
            stderr=errors,
        )
    finally:
        ending.join()

    assert "Try 1 gave up on a lock" in errors.getvalue()
    assert f"created {partition_name(week_start(timezone.now()) + 9 * WEEK)}" in out.getvalue()


@postgresql_only
def test_maintenance_with_no_retention_drops_nothing(project):
    old = event_at(project, timezone.now() - timedelta(days=3650))
    report = event_partitions_maintain(now=timezone.now(), retention_days=0, weeks_ahead=1)
    assert report.dropped == []
    assert Event.objects.filter(pk=old.pk).exists()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's plain table")
def test_sqlite_keeps_one_plain_table(project):
    event = event_at(project, timezone.now() - timedelta(days=400))
    assert not is_partitioned()
    assert run_command() == ("The events table is not partitioned here (SQLite): nothing to do.\n")
    assert Event.objects.filter(pk=event.pk).exists()


@postgresql_only
def test_the_migration_converts_the_table_both_ways_keeping_every_event(project):
    from django.db.migrations.executor import MigrationExecutor

    events = [
        event_at(project, datetime(2020, 3, 17, tzinfo=UTC)),
        event_at(project, timezone.now() - timedelta(days=40)),
        event_at(project, timezone.now()),
    ]
    rows = sorted(Event.objects.values_list("id", "event_id", "datetime", "issue_id"))

    def migrate(target=None):
        """To `target`, or to the newest migration."""
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        if target is None:
            (target,) = [name for app, name in executor.loader.graph.leaf_nodes("issues")]
        executor.migrate([("issues", target)])

    migrate("0008_lz4_payloads")
    assert not is_partitioned()
    assert sorted(Event.objects.values_list("id", "event_id", "datetime", "issue_id")) == rows

    migrate("0009_partition_events")
    assert is_partitioned()
    assert sorted(Event.objects.values_list("id", "event_id", "datetime", "issue_id")) == rows
    assert partition_of(events[0]) == "issues_event_20200316"
    assert partition_of(events[2]) == partition_name(week_start(events[2].datetime))
    # The identity goes on after the rows copied (recorded with the newest tables).
    migrate()
    assert make_event(project).pk > max(event.pk for event in events)

"""digest_events: queued events become issues, counted once; what it cannot apply is set
aside, never retried; on PostgreSQL, workers claim different rows, and a worker killed in the
middle of a batch loses nothing and counts nothing twice."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from urllib.parse import quote

import orjson
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.timezone import now

from accounts.models import ProjectKey
from issues.models import (
    Event,
    IngestFailure,
    IngestItem,
    Issue,
    IssueDailyCount,
    IssueDailyTotal,
    IssueHourlyCount,
    IssueHourlyTotal,
)
from issues.services import events_accept, events_digest
from tests.concurrency import run_together
from tests.factories import EventPayloadFactory
from tests.helpers import envelope, ingest_url, issue_url, sentry_auth

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks: one digest worker"
)


def send(project, *events) -> None:
    key = ProjectKey.objects.get(project=project)
    for event in events:
        response = Client().post(
            ingest_url(project),
            envelope(({"type": "event"}, event)),
            content_type="application/x-sentry-envelope",
            **sentry_auth(key.public_key),
        )
        assert response.status_code == 200, response.content


def digest() -> None:
    call_command("digest_events", "--once", "--batch", "2", stdout=StringIO())


def test_digested_events_are_counted_in_the_issue_document(api, project):
    events = [EventPayloadFactory(message="Queued", user={"id": str(n % 2)}) for n in range(3)]
    send(project, *events)
    send(project, events[0])  # an SDK's retry

    digest()

    assert IngestItem.objects.count() == 0
    issue = Issue.objects.get(project=project)
    document = api.get(issue_url(issue)).json()
    assert document["count"] == "3"
    assert document["userCount"] == 2
    assert document["title"] == "Queued"


def test_an_event_queued_again_after_its_digest_is_not_counted_twice(api, project):
    event = EventPayloadFactory()
    send(project, event)
    digest()
    send(project, event)
    digest()

    assert Event.objects.filter(project=project).count() == 1
    assert api.get(issue_url(Event.objects.get().issue)).json()["count"] == "1"


def test_an_event_of_a_discarded_issue_is_dropped_by_the_digest(api, project, issue):
    assert api.put(issue_url(issue), {"discard": True}, format="json").status_code == 204
    events_before = Event.objects.count()
    issues_before = Issue.objects.count()
    send(project, EventPayloadFactory())  # the fingerprint of `issue`

    digest()

    assert IngestItem.objects.count() == 0
    assert (Event.objects.count(), Issue.objects.count()) == (events_before, issues_before)


def test_a_payload_the_digest_cannot_read_is_set_aside_with_a_log_line(project, caplog):
    # Written past the accept check, as an older version of it could have let through.
    IngestItem.objects.create(
        project=project,
        event_id="a" * 32,
        payload=orjson.dumps({"tags": 5}).decode(),
        received=timezone.now(),
    )
    good = EventPayloadFactory()
    send(project, good)

    with caplog.at_level(logging.WARNING, logger="issues.ingest"):
        digest()

    assert IngestItem.objects.count() == 0
    assert list(Event.objects.values_list("event_id", flat=True)) == [good["event_id"]]
    assert list(IngestFailure.objects.values_list("event_id", flat=True)) == ["a" * 32]
    assert any("a" * 32 in record.getMessage() for record in caplog.records)


def test_the_loop_digests_then_stops_on_sigterm(project):
    send(project, EventPayloadFactory())
    original = signal.getsignal(signal.SIGTERM)

    def stop_when_listening():
        deadline = time.monotonic() + 10
        while signal.getsignal(signal.SIGTERM) is original and time.monotonic() < deadline:
            time.sleep(0.01)
        # Time for a batch of one and a few idle turns (no query here: on SQLite another
        # thread's connection would wait for the test's transaction).
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_listening)
    stopper.start()
    call_command("digest_events", "--idle-sleep", "0.05", stdout=StringIO())
    stopper.join()

    assert Event.objects.count() == 1
    assert signal.getsignal(signal.SIGTERM) is original


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_claim_different_rows_on_postgresql(project):
    for n in range(2):
        IngestItem.objects.create(
            project=project, event_id=f"{n:032x}", payload="{}", received=timezone.now()
        )
    claimed_first = threading.Event()
    release = threading.Event()
    seen = {}

    def first_worker():
        try:
            with transaction.atomic():
                rows = IngestItem.objects.select_for_update(skip_locked=True).order_by("id")[:1]
                seen["first"] = [row.event_id for row in rows]
                claimed_first.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        assert claimed_first.wait(10)
        with transaction.atomic():
            rows = IngestItem.objects.select_for_update(skip_locked=True).order_by("id")[:1]
            seen["second"] = [row.event_id for row in rows]
    finally:
        release.set()
        worker.join()

    assert seen == {"first": [f"{0:032x}"], "second": [f"{1:032x}"]}


def queue_stream(project, count: int) -> set[str]:
    """`count` events over a few issues (some new, some known), environments, releases and
    hours, queued; their ids."""
    now = timezone.now()
    events = [
        EventPayloadFactory(
            message=f"Problem {n % 7}",
            # Seven issues: grouping takes the number out of the message.
            fingerprint=[f"problem-{n % 7}"],
            environment=["production", "staging"][n % 2],
            release=f"app@1.{n % 3}.0",
            timestamp=(now - timedelta(minutes=n % 500)).isoformat(),
        )
        for n in range(count)
    ]
    for start in range(0, count, 500):
        chunk = events[start : start + 500]
        events_accept(
            project_id=project.pk, events=[(e["event_id"], e) for e in chunk], received=now
        )
    return {event["event_id"] for event in events}


def assert_counted_once(project, event_ids: set[str]) -> None:
    """Every event stored once, and counted once in each counter."""
    assert IngestItem.objects.count() == 0
    stored = list(Event.objects.filter(project=project).values_list("event_id", flat=True))
    assert sorted(stored) == sorted(event_ids)
    issues = Issue.objects.filter(project=project)
    assert sum(issues.values_list("times_seen", flat=True)) == len(event_ids)
    for model in (IssueHourlyCount, IssueDailyCount, IssueHourlyTotal, IssueDailyTotal):
        counts = model.objects.filter(issue__project=project).values_list("count", flat=True)
        assert sum(counts) == len(event_ids), model
    assert sorted(issues.values_list("short_id", flat=True)) == list(range(1, 8))


def worker_environment() -> dict:
    """A digest_events process's environment: the test database's URL."""
    database = connection.settings_dict
    url = (
        f"postgres://{quote(database['USER'])}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}"
    )
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "issues_api.settings", "DATABASE_URL": url}


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_loses_nothing_and_counts_nothing_twice(project):
    event_ids = queue_stream(project, 1500)
    killed = 0
    for _ in range(2):
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "digest_events", "--batch", "50", "--idle-sleep", "0.05"],
            cwd=settings.BASE_DIR,
            env=worker_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # Killed once it has committed a batch or more, while it is still at work.
            before = IngestItem.objects.count()
            deadline = time.monotonic() + 30
            while IngestItem.objects.count() > before - 60 and time.monotonic() < deadline:
                time.sleep(0.01)
            worker.send_signal(signal.SIGKILL)
        finally:
            worker.kill()
            worker.wait(10)
        remaining = IngestItem.objects.count()
        if 0 < remaining < before:
            killed += 1
    assert killed == 2  # each kill came after a commit and before the queue was empty

    # Restarted until the queue is empty: a killed worker's claim ends with its connection.
    deadline = time.monotonic() + 30
    while IngestItem.objects.exists() and time.monotonic() < deadline:
        call_command("digest_events", "--once", "--batch", "500", stdout=StringIO())
    assert_counted_once(project, event_ids)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_digesting_one_queue_count_every_event_once(project):
    event_ids = queue_stream(project, 400)

    def worker():
        batches = 0
        while events_digest(batch=20):
            batches += 1
        return batches

    results = run_together([worker, worker])

    assert all(isinstance(batches, int) for batches in results), results  # no deadlock
    while events_digest(batch=200):  # what a worker left, when it saw the other's claim
        pass
    assert_counted_once(project, event_ids)


# Durability


def test_accepted_events_commit_durably_unless_the_setting_says_off(project, settings):
    event = EventPayloadFactory()
    with CaptureQueriesContext(connection) as durable:
        events_accept(project_id=project.pk, events=[(event["event_id"], event)], received=now())
    settings.ISSUES_API_INGEST_SYNCHRONOUS_COMMIT = False
    event = EventPayloadFactory()
    with CaptureQueriesContext(connection) as fast:
        events_accept(project_id=project.pk, events=[(event["event_id"], event)], received=now())

    def asynchronous(queries) -> bool:
        return any("synchronous_commit TO OFF" in query["sql"] for query in queries)

    assert not asynchronous(durable)
    # PostgreSQL's own setting, for this transaction only; SQLite has none.
    assert asynchronous(fast) == (connection.vendor == "postgresql")
    assert IngestItem.objects.count() == 2


def test_a_synchronous_commit_setting_neither_on_nor_off_refuses_to_start():
    process = subprocess.run(
        [sys.executable, "-c", "import issues_api.settings"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "ISSUES_API_INGEST_SYNCHRONOUS_COMMIT": "of"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode != 0
    assert "ISSUES_API_INGEST_SYNCHRONOUS_COMMIT must be on or off" in process.stderr

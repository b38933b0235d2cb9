"""digest_events: queued events become issues, counted once; what it cannot record is
dropped, never retried; on PostgreSQL, workers claim different rows."""

import logging
import os
import signal
import threading
import time
from io import StringIO

import orjson
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import ProjectKey
from issues.models import Event, IngestItem, Issue
from tests.factories import EventPayloadFactory
from tests.helpers import envelope, ingest_url, issue_url, sentry_auth

pytestmark = pytest.mark.django_db


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


def test_a_payload_record_event_refuses_is_dropped_with_a_log_line(project, caplog):
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


@pytest.mark.django_db(transaction=True)
def test_two_workers_claim_different_rows_on_postgresql(project):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: one digest worker")
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

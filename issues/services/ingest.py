"""The two halves of ingest: accept (queue an SDK's events with one INSERT) and digest (apply
queued events batch by batch with apply_events, setting aside what cannot be applied)."""

import logging
from datetime import datetime

import orjson
from django.conf import settings
from django.db import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.utils import timezone

from accounts.models import Project
from issues.models import IngestFailure, IngestItem
from issues.services.digest import Incoming, Outcome, apply_events

logger = logging.getLogger("issues.ingest")


def events_accept(*, project_id: int, events: list[tuple[str, dict]], received: datetime) -> None:
    """Queue events of a project, one row each; an event id already queued for the project
    (an SDK's retry) is skipped by the database (ON CONFLICT DO NOTHING).

    One INSERT statement, outside any transaction of its own: it is atomic by itself, and the
    request then waits for one round trip and its commit, not three (BEGIN, INSERT, COMMIT,
    as bulk_create in a transaction sends them). SDKs post thousands of envelopes a second;
    this is what each costs the database.

    The commit is durable (the SDK's 200 means the event survives a crash of the server),
    unless ISSUES_API_INGEST_SYNCHRONOUS_COMMIT is off: then PostgreSQL answers before the
    commit reaches the disk, and a crash of the database server may lose the events of its
    last moments (docs/ingest.md). The SET LOCAL goes with the INSERT in one statement text:
    one implicit transaction, whose end ends the setting too."""
    if not events:
        return
    sql, params = accept_statement(
        accepted_rows(project_id, events, connection.ops.adapt_datetimefield_value(received)),
        commit_late=connection.vendor == "postgresql"
        and not settings.ISSUES_API_INGEST_SYNCHRONOUS_COMMIT,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def accepted_rows(project_id: int, events: list[tuple[str, dict]], received) -> list[tuple]:
    """The queue's rows of these events: project id, event id, payload (JSON text), when
    received."""
    return [
        (project_id, event_id, orjson.dumps(payload).decode(), received)
        for event_id, payload in events
    ]


def accept_statement(rows: list[tuple], *, commit_late: bool = False) -> tuple[str, list]:
    """The statement that queues these rows (accepted_rows), and its parameters: one per
    request in events_accept, one per batch of requests in the ASGI front's queue
    (issues.services.accept_async). `commit_late`: with PostgreSQL's synchronous_commit
    off for this statement alone."""
    table = IngestItem._meta.db_table
    params = [value for row in rows for value in row]
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    # Names from the model, values as parameters.
    sql = f'INSERT INTO "{table}" ("project_id", "event_id", "payload", "received") VALUES {values}'  # noqa: S608
    sql += ' ON CONFLICT ("project_id", "event_id") DO NOTHING'
    if commit_late:
        sql = "SET LOCAL synchronous_commit TO OFF; " + sql
    return sql, params


@transaction.atomic
def events_digest(*, batch: int) -> int:
    """Claim up to `batch` queued events, apply them, delete them, in one transaction; the
    number claimed.

    On PostgreSQL the claim is FOR UPDATE SKIP LOCKED, so several workers take different rows;
    SQLite ignores it (one worker). The batch is applied as one (apply_events); an event it
    cannot apply (an unreadable payload, a value the database refuses, whatever else it makes
    the digest raise) is set aside in IngestFailure with its error and a log line, and the
    rest of the batch applied: one bad event never holds back the queue. An OperationalError
    (a deadlock, the statement budget, the connection) rolls the whole batch back: it stays
    queued for the next try (digest_events)."""
    items = list(IngestItem.objects.select_for_update(skip_locked=True).order_by("id")[:batch])
    if not items:
        return 0
    projects = Project.objects.in_bulk({item.project_id for item in items})
    readable, failures = [], []
    for item in items:
        try:
            payload = orjson.loads(item.payload)
        except orjson.JSONDecodeError as error:
            failures.append((item, error))
            continue
        readable.append((item, Incoming(projects[item.project_id], payload, item.received)))
    outcomes = _apply_isolating([incoming for _, incoming in readable])
    failures += [
        (item, outcome.error)
        for (item, _), outcome in zip(readable, outcomes, strict=True)
        if outcome.error is not None
    ]
    if failures:
        _set_aside(failures)
    IngestItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    return len(items)


def _apply_isolating(incoming: list[Incoming]) -> list[Outcome]:
    """apply_events on the batch; when it fails, on each half in turn (in a savepoint each, in
    queue order), down to the one event that fails alone: a value the database refuses, or
    anything else about one event that the digest cannot apply. Errors of the moment rather
    than of an event (OperationalError: a deadlock chosen, the time budget, the connection)
    abort the whole batch, which stays queued for the next try."""
    if not incoming:
        return []
    try:
        with transaction.atomic():
            return apply_events(incoming)
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        if len(incoming) == 1:
            if not isinstance(error, DataError | IntegrityError):
                logger.exception("The digest failed on a queued event")
            return [Outcome(error=error)]
    middle = len(incoming) // 2
    return _apply_isolating(incoming[:middle]) + _apply_isolating(incoming[middle:])


def _set_aside(failures: list[tuple[IngestItem, Exception]]) -> None:
    now = timezone.now()
    for item, error in failures:
        # What the accept check let through and the digest cannot store: retrying would fail
        # the same way, and hold back the rows behind it.
        logger.warning(
            "Set aside queued event %s of project %s: %s", item.event_id, item.project_id, error
        )
    IngestFailure.objects.bulk_create(
        [
            IngestFailure(
                project_id=item.project_id,
                event_id=item.event_id,
                payload=item.payload,
                error=f"{type(error).__name__}: {error}",
                received=item.received,
                failed_at=now,
            )
            for item, error in failures
        ]
    )

"""The two halves of ingest: accept (queue an SDK's events with one INSERT) and digest (apply
queued events through record_event, batch by batch)."""

import logging
from datetime import datetime

import orjson
from django.db import DataError, IntegrityError, connection, transaction

from accounts.models import Project
from issues.models import IngestItem
from issues.services.events import record_event

logger = logging.getLogger("issues.ingest")


def events_accept(*, project_id: int, events: list[tuple[str, dict]], received: datetime) -> None:
    """Queue events of a project, one row each; an event id already queued for the project
    (an SDK's retry) is skipped by the database (ON CONFLICT DO NOTHING).

    One INSERT statement, outside any transaction of its own: it is atomic by itself, and the
    request then waits for one round trip and its commit, not three (BEGIN, INSERT, COMMIT,
    as bulk_create in a transaction sends them). SDKs post thousands of envelopes a second;
    this is what each costs the database."""
    if not events:
        return
    table = connection.ops.quote_name(IngestItem._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(received)
    params: list = []
    for event_id, payload in events:
        params += [project_id, event_id, orjson.dumps(payload).decode(), at]
    values = ", ".join(["(%s, %s, %s, %s)"] * len(events))
    # Names from the model, values as parameters.
    sql = f'INSERT INTO {table} ("project_id", "event_id", "payload", "received") VALUES {values}'  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f'{sql} ON CONFLICT ("project_id", "event_id") DO NOTHING', params)


@transaction.atomic
def events_digest(*, batch: int) -> int:
    """Claim up to `batch` queued events, record each, delete them, in one transaction; the
    number claimed.

    On PostgreSQL the claim is FOR UPDATE SKIP LOCKED, so several workers take different rows;
    SQLite ignores it (one worker). A payload record_event refuses is dropped with a log line,
    never retried. Each event is still applied on its own (record_event, a savepoint each):
    set-based batch SQL (bulk inserts, counter upserts per issue) is a later step (DESIGN.md,
    Ingest)."""
    items = list(IngestItem.objects.select_for_update(skip_locked=True).order_by("id")[:batch])
    if not items:
        return 0
    projects = Project.objects.in_bulk({item.project_id for item in items})
    for item in items:
        try:
            record_event(
                project=projects[item.project_id],
                payload=orjson.loads(item.payload),
                now=item.received,
            )
        except (ValueError, DataError, IntegrityError) as error:
            # What the accept check let through and the digest cannot store: retrying would
            # fail the same way, and hold back the rows behind it.
            logger.warning(
                "Dropped queued event %s of project %s: %s",
                item.event_id,
                item.project_id,
                error,
            )
    IngestItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    return len(items)

"""record_event: the one door through which events enter, as the batch of one."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Project
from issues.models import Event
from issues.services.digest import Incoming, apply_events


@transaction.atomic
def record_event(*, project: Project, payload: dict, now: datetime | None = None) -> Event | None:
    """Store an event: find or create its issue and update every counter in one transaction
    (apply_events with one event, so that the digest's batches and this are one code path).

    A resolved issue regresses and an ignored one whose snooze ends comes back (docs/behaviour.md
    §3.3).
    An event id already stored for the project is not counted twice; its Event is returned.
    An event of a discarded issue's fingerprint is dropped: None. Raises ValueError for a
    payload that cannot be read.
    """
    [outcome] = apply_events([Incoming(project, payload, now or timezone.now())])
    if outcome.error is not None:
        raise outcome.error
    if outcome.duplicate:
        return Event.objects.get(pk=outcome.duplicate_of)
    return outcome.event

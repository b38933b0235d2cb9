"""DELETE and discard hide an issue at once; delete_pending_issues removes it later
(docs/behaviour.md §5, §3.6)."""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import ForeignKey
from django.utils import timezone

from issues.models import Issue, IssueHash, IssueStatus, IssueTombstone

logger = logging.getLogger(__name__)

DELETABLE_STATUSES = (IssueStatus.PENDING_DELETION, IssueStatus.DELETION_IN_PROGRESS)


@transaction.atomic
def issue_delete(*, issue_id: int, now: datetime | None = None) -> bool:
    """Mark an issue pending deletion (hidden from then on) and forget its fingerprints, so
    that new events open a new issue. False when it was already being deleted."""
    updated = (
        Issue.objects.filter(pk=issue_id)
        .exclude(status__in=DELETABLE_STATUSES)
        .update(status=IssueStatus.PENDING_DELETION, deletion_requested_at=now or timezone.now())
    )
    if updated:
        IssueHash.objects.filter(issue_id=issue_id).delete()
    return bool(updated)


@transaction.atomic
def issue_discard(*, issue_id: int, actor, now: datetime | None = None) -> IssueTombstone:
    """Leave a tombstone that drops the issue's future events, then delete the issue."""
    issue = Issue.objects.select_for_update().get(pk=issue_id)
    if issue.status in DELETABLE_STATUSES:
        raise Issue.DoesNotExist
    tombstone = IssueTombstone.objects.create(
        project_id=issue.project_id,
        previous_issue_id=issue.pk,
        level=issue.level,
        message=issue.title,
        culprit=issue.culprit,
        data={"type": issue.type, "metadata": issue.metadata},
        actor=actor,
    )
    IssueHash.objects.filter(issue=issue).update(issue=None, tombstone=tombstone)
    issue_delete(issue_id=issue.pk, now=now)
    return tombstone


def _dependent_models():
    """Every model with a foreign key to Issue, including those without a reverse accessor
    (related_name="+", the read models): deleting them first leaves no orphan."""
    return [
        (relation.related_model, relation.field.name)
        for relation in Issue._meta.get_fields(include_hidden=True)
        if relation.auto_created
        and not relation.concrete
        and isinstance(getattr(relation, "field", None), ForeignKey)
    ]


def _delete_issue(issue_id: int, *, batch_size: int) -> None:
    """Remove one issue and what hangs off it, in batches of bounded size and transactions."""
    for model, field in _dependent_models():
        rows = model.objects.filter(**{field: issue_id})
        while True:
            with transaction.atomic():
                batch = list(rows.values_list("pk", flat=True)[:batch_size])
                if not batch:
                    break
                model.objects.filter(pk__in=batch).delete()
    # What is left (one-to-one rows: share, assignee, snooze, resolution) cascades here.
    Issue.objects.filter(pk=issue_id).delete()


def delete_pending_issues(*, older_than: datetime, batch_size: int = 1000) -> int:
    """Delete issues whose deletion was requested before `older_than`; return how many."""
    issue_ids = list(
        Issue.objects.filter(
            status__in=DELETABLE_STATUSES, deletion_requested_at__lte=older_than
        ).values_list("pk", flat=True)
    )
    for issue_id in issue_ids:
        Issue.objects.filter(pk=issue_id).update(status=IssueStatus.DELETION_IN_PROGRESS)
        _delete_issue(issue_id, batch_size=batch_size)
        logger.info("Deleted issue %s", issue_id)
    return len(issue_ids)

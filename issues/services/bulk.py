"""Bulk changes (PUT and DELETE on the issue lists, docs/behaviour.md §13): the single issue's
services, applied to each issue in its own transaction, as Sentry's update_groups does. The
changes were validated once, before the first issue is touched; an issue deleted meanwhile
is left out."""

from issues.changes import IssueChanges
from issues.models import Issue
from issues.services.deletions import issue_delete, issue_discard
from issues.services.updates import issue_update


def issues_bulk_update(*, issue_ids: list[int], actor, changes: IssueChanges) -> list[int]:
    """issue_update on each issue, one transaction each (the issue's row locked in it), with
    the activity it writes for one issue; the ids of the issues it updated."""
    updated = []
    for issue_id in issue_ids:
        try:
            issue_update(issue_id=issue_id, actor=actor, changes=changes)
        except Issue.DoesNotExist:
            continue  # deleted since it was selected
        updated.append(issue_id)
    return updated


def issues_bulk_discard(*, issue_ids: list[int], actor) -> int:
    """issue_discard on each issue, one transaction each; how many it discarded."""
    discarded = 0
    for issue_id in issue_ids:
        try:
            issue_discard(issue_id=issue_id, actor=actor)
        except Issue.DoesNotExist:
            continue
        discarded += 1
    return discarded


def issues_bulk_delete(*, issue_ids: list[int]) -> int:
    """issue_delete on each issue, one transaction each; how many it marked for deletion."""
    return sum(issue_delete(issue_id=issue_id) for issue_id in issue_ids)

"""Writes. Every change to issues goes through these functions, each one transaction.

- events: record_event, the one door through which events enter;
- updates: issue_update, what PUT (and the admin) change, with writes: its statements, sent
  together;
- deletions: issue_delete, issue_discard and delete_pending_issues;
- bulk: the list routes' PUT and DELETE, those services on each issue of a selection;
- ingest: events_accept, which queues what SDKs send, and events_digest, which records it.
"""

from issues.services.bulk import issues_bulk_delete, issues_bulk_discard, issues_bulk_update
from issues.services.deletions import delete_pending_issues, issue_delete, issue_discard
from issues.services.events import record_event
from issues.services.ingest import events_accept, events_digest
from issues.services.updates import issue_update

__all__ = [
    "delete_pending_issues",
    "events_accept",
    "events_digest",
    "issue_delete",
    "issue_discard",
    "issue_update",
    "issues_bulk_delete",
    "issues_bulk_discard",
    "issues_bulk_update",
    "record_event",
]

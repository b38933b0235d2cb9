"""The admin of issues and everything hanging off them.

Issues change only through the services, as over the API: the change form's status,
assignment and bookmark, and the resolve/ignore/unresolve actions, call issue_update with the
admin user as actor (so the Activity rows name the admin); deleting, from the delete button or
the delete action, calls issue_delete (pending deletion; run_deletions removes the issue after
the grace period). Events and the read models are written only by record_event, and the rows
issue_update and issue_discard keep (activity, assignee, snooze, resolution, share, bookmarks,
subscriptions, seen, hashes, tombstones) only by them: all of these are read-only here.

One module per concern: issues (the issue admin; issue_writes, its calls of the services),
events (environments, events, the read models, user feedback), activity (the rows the
services keep) and base (what they share).
"""

# Imported for their @admin.register: admin.autodiscover imports this package only.
from issues.admin import activity, events, issues  # noqa: F401

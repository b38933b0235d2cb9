"""An issue's events, the read side: everything the event routes read and show.

- apis: the thin views (an issue's events list, one event, the short-id lookup);
- selectors: one event with its neighbours and release, in one statement;
- pages: a page of an events list, in one statement;
- serializers: Sentry's event documents (list item, full event, detail), with entries (the
  payload's interfaces as Sentry's `entries`) and payload (reading the stored JSON).

Writes do not live here: events enter only through issues.services.record_event
(issues/services/events.py), which also keeps the issue's counters and read models.
"""

"""What hangs off one issue beyond its document, each a route of its own as in Sentry: its
tags (read from the tag read models, never from events), its notes (comments), its activity
and its hashes. Reads in selectors, note writes in issues.services.notes, thin endpoints in
apis, the routes in urls and their OpenAPI in openapi. Where they depart from Sentry's code:
docs/behaviour.md §13."""

"""Events from SDKs: what an event payload means (normalize; grouping: which issue it belongs
to, by the project's grouping version), and how one arrives over HTTP
(bodies: bounded decompression; envelopes: Sentry's envelope format and its auth; apis: the
ingest endpoints, which queue events for `digest_events`)."""

from issues.ingest.normalize import EVENT_ID, LEVELS, NormalizedEvent, normalize_event

__all__ = ["EVENT_ID", "LEVELS", "NormalizedEvent", "normalize_event"]

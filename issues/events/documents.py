"""Sentry's event documents, each key declared once: its name, its OpenAPI schema, how its
value is computed and the ?collapse= values that leave it out (issues.documents.Key).

Three documents, as in Sentry: the list item (SimpleEventSerializer, EVENT_SUMMARY), the
full event (EventSerializer, the list's ?full=true, EVENT) and the detail (IssueEventSerializer
with the ids of its neighbours, EVENT_DETAIL). issues/openapi.py builds their components
from the same declarations. Every value comes from the event row, its payload and what the
detail's one statement read with it (issues.events.selectors.EventParts): no queries here.
"""

from issues.documents import Key, render, shown_keys
from issues.events.entries import event_entries
from issues.events.payload import as_dict, as_text
from issues.events.serializers import (
    annotations,
    contexts,
    derive,
    event_user,
    location,
    payload_size,
    resolved_with,
    sdk,
    shown_tags,
    user_report,
)
from issues.ingest.grouping import NEWEST
from issues.schemas import DATETIME, INTEGER, OPEN_OBJECT, RELEASE, STRING, nullable, obj
from issues_api.api.dates import format_datetime
from releases.serializers import serialize_release


class EventContext:
    """What the keys of one event document are computed from. The derivation (type, title,
    metadata...) and the entries are computed once, when a key first asks for them."""

    __slots__ = ("_derived", "_entries", "event", "grouping_config", "parts", "requester")

    def __init__(self, event, *, grouping_config=None, parts=None, requester=None):
        self.event = event
        # The project's grouping version: the full event shows its hash; a list item none.
        self.grouping_config = grouping_config
        self.parts = parts
        self.requester = requester
        self._derived = self._entries = None

    @property
    def derived(self):
        if self._derived is None:
            self._derived = derive(self.event, grouping_config=self.grouping_config)
        return self._derived

    @property
    def entries(self) -> list[dict]:
        if self._entries is None:
            self._entries = event_entries(self.event.data)
        return self._entries


def _release(d: EventContext) -> dict | None:
    event, parts = d.event, d.parts
    if event.release is None:
        return None
    return serialize_release(
        event.release,
        release_projects=parts.release_projects,
        emails_by_user=parts.emails_by_user,
        requester=d.requester,
    )


NULLABLE_STRING = nullable(STRING)
EVENT_USER = nullable(
    obj(
        {
            "id": NULLABLE_STRING,
            "email": NULLABLE_STRING,
            "username": NULLABLE_STRING,
            "ip_address": NULLABLE_STRING,
            "name": NULLABLE_STRING,
            "data": nullable(OPEN_OBJECT),
            "geo": OPEN_OBJECT,
        },
        optional=("geo",),
        description="The event's user: its five known attributes and the rest in data.",
    )
)
TAGS = {
    "type": "array",
    "items": obj({"key": STRING, "value": STRING}),
    "description": 'Sorted by key, "sentry:" stripped.',
}
CRASH_FILE = {
    **nullable(OPEN_OBJECT),
    "description": "Sentry: the event's minidump attachment. Always null (no attachments).",
}
ANNOTATIONS = obj(
    {
        "entries": {**OPEN_OBJECT, "description": "By the entry's position: {data: ...}."},
        "message": nullable(OPEN_OBJECT),
        "user": nullable(OPEN_OBJECT),
        "contexts": nullable(OPEN_OBJECT),
        "sdk": nullable(OPEN_OBJECT),
        "context": nullable(OPEN_OBJECT),
        "packages": nullable(OPEN_OBJECT),
        "tags": {**OPEN_OBJECT, "description": "By the tag's position: {value: ...}."},
    },
    description="Sentry's _meta: what processing noted about the event's values.",
)
USER_REPORT = nullable(
    obj(
        {
            "id": STRING,
            "eventID": STRING,
            "name": NULLABLE_STRING,
            "email": NULLABLE_STRING,
            "comments": STRING,
            "dateCreated": DATETIME,
            "user": nullable(
                obj(
                    {
                        "id": STRING,
                        "username": NULLABLE_STRING,
                        "email": NULLABLE_STRING,
                        "name": NULLABLE_STRING,
                        "ipAddress": NULLABLE_STRING,
                        "avatarUrl": NULLABLE_STRING,
                    }
                )
            ),
            "event": obj({"id": STRING, "eventID": STRING}),
        },
        description="The feedback a user left about the event (Sentry's UserReportSerializer).",
    )
)

# SimpleEventSerializer: what a list item shows, from the row and the payload's derivation.
EVENT_SUMMARY = (
    Key("id", STRING, lambda d: d.event.event_id),
    Key("eventID", STRING, lambda d: d.event.event_id),
    Key("event.type", STRING, lambda d: d.derived.type),
    Key("groupID", STRING, lambda d: str(d.event.issue_id)),
    Key("projectID", STRING, lambda d: str(d.event.project_id)),
    Key("title", STRING, lambda d: d.derived.title),
    Key("message", STRING, lambda d: d.event.message),
    Key("location", NULLABLE_STRING, lambda d: location(d.derived)),
    Key("culprit", NULLABLE_STRING, lambda d: d.derived.culprit),
    Key("user", EVENT_USER, lambda d: event_user(d.event.data)),
    Key("tags", TAGS, lambda d: shown_tags(d.event)),
    Key("platform", NULLABLE_STRING, lambda d: d.event.platform),
    Key("dateCreated", DATETIME, lambda d: format_datetime(d.event.datetime)),
    Key("metadata", OPEN_OBJECT, lambda d: d.derived.metadata),
    Key("crashFile", CRASH_FILE, lambda d: None),
)

# EventSerializer: the full event. `fingerprints` are the hashes of the project's grouping
# version; `occurrence` is the issue platform's (null for error events, the only kind here).
EVENT = (
    Key("id", STRING, lambda d: d.event.event_id),
    Key("eventID", STRING, lambda d: d.event.event_id),
    Key("groupID", STRING, lambda d: str(d.event.issue_id)),
    Key("projectID", STRING, lambda d: str(d.event.project_id)),
    Key("title", STRING, lambda d: d.derived.title),
    Key("message", STRING, lambda d: d.event.message),
    Key("location", NULLABLE_STRING, lambda d: location(d.derived)),
    Key("culprit", NULLABLE_STRING, lambda d: d.derived.culprit),
    Key("type", STRING, lambda d: d.derived.type),
    Key("metadata", OPEN_OBJECT, lambda d: d.derived.metadata),
    Key("platform", NULLABLE_STRING, lambda d: d.event.platform),
    Key("dateCreated", DATETIME, lambda d: format_datetime(d.event.datetime)),
    Key("dateReceived", DATETIME, lambda d: format_datetime(d.event.received)),
    Key("environment", NULLABLE_STRING, lambda d: d.event.environment.name or None),
    Key("dist", NULLABLE_STRING, lambda d: as_text(d.event.data.get("dist"))),
    Key("tags", TAGS, lambda d: shown_tags(d.event)),
    Key("user", EVENT_USER, lambda d: event_user(d.event.data)),
    Key(
        "contexts",
        {"type": "object", "additionalProperties": OPEN_OBJECT},
        lambda d: contexts(d.event.data),
    ),
    Key("context", OPEN_OBJECT, lambda d: as_dict(d.event.data.get("extra")) or {}),
    Key(
        "sdk",
        nullable(obj({"name": STRING, "version": NULLABLE_STRING})),
        lambda d: sdk(d.event.data),
    ),
    Key("packages", OPEN_OBJECT, lambda d: as_dict(d.event.data.get("modules")) or {}),
    Key("fingerprints", {"type": "array", "items": STRING}, lambda d: d.derived.fingerprints),
    Key("errors", {"type": "array", "items": OPEN_OBJECT}, lambda d: []),
    Key(
        "entries",
        {"type": "array", "items": obj({"type": STRING, "data": OPEN_OBJECT})},
        lambda d: d.entries,
    ),
    Key(
        "size",
        {**INTEGER, "description": "The length of the stored payload's compact JSON."},
        lambda d: payload_size(d.event.data),
    ),
    Key("crashFile", CRASH_FILE, lambda d: None),
    Key("occurrence", nullable(OPEN_OBJECT), lambda d: None),
    Key(
        "_meta",
        ANNOTATIONS,
        lambda d: annotations(d.event.data, d.entries, d.event.tags),
    ),
)

# The detail: the full event with its release, its user report, Sentry's SDK update
# suggestions (none: they need Sentry's SDK index), how its frames were resolved and its
# neighbours in the issue. ?collapse=stacktraceOnly leaves them out, as Sentry's answers
# with its plain EventSerializer then.
_DETAIL_ONLY = (
    Key("release", nullable(RELEASE), _release),
    Key("userReport", USER_REPORT, lambda d: user_report(d.parts.user_report, d.event.data)),
    Key("sdkUpdates", {"type": "array", "items": OPEN_OBJECT}, lambda d: []),
    Key("resolvedWith", {"type": "array", "items": STRING}, lambda d: resolved_with(d.event.data)),
    Key("previousEventID", NULLABLE_STRING, lambda d: d.parts.previous_event_id),
    Key("nextEventID", NULLABLE_STRING, lambda d: d.parts.next_event_id),
)
EVENT_DETAIL = (
    *EVENT,
    *(Key(key.name, key.schema, key.value, collapse=("stacktraceOnly",)) for key in _DETAIL_ONLY),
)


def serialize_event_summary(event) -> dict:
    """A list item (Sentry's SimpleEventSerializer)."""
    return render(EVENT_SUMMARY, EventContext(event))


def serialize_event(event, *, grouping_config: str = NEWEST) -> dict:
    """The full event (Sentry's EventSerializer). `event.environment` must be loaded."""
    return render(EVENT, EventContext(event, grouping_config=grouping_config))


def serialize_event_detail(
    event,
    *,
    parts,
    requester,
    grouping_config: str = NEWEST,
    collapse: frozenset[str] = frozenset(),
) -> dict:
    """The event detail: `parts` (issues.events.selectors.EventParts) holds what the
    detail's statement read beyond the event."""
    context = EventContext(event, grouping_config=grouping_config, parts=parts, requester=requester)
    return render(shown_keys(EVENT_DETAIL, collapse), context)

"""Sentry's event documents, built from the stored payload: camelCase only here, no queries.

Three shapes, as in Sentry: the list item (SimpleEventSerializer), the full event
(EventSerializer, the list's ?full=true) and the detail (the full event plus its release and
its neighbours in the issue). The event row keeps the payload as received; what record_event
derived from it (type, metadata, culprit, fingerprint) is derived again by the same pure
function, and the interfaces become Sentry's `entries` (issues.events.entries).
"""

from contextlib import suppress
from operator import itemgetter
from typing import NamedTuple

from issues.events.entries import event_entries
from issues.events.payload import as_dict, as_text
from issues.ingest.grouping import NEWEST, grouping_strategy
from issues.ingest.normalize import describe
from issues.models import issue_title
from issues_api.api.dates import format_datetime
from releases.serializers import serialize_release

USER_FIELDS = ("id", "email", "username", "ip_address", "name")
# Context types Sentry knows; a context without a "type" takes its key when the key is one of
# them, else "default".
KNOWN_CONTEXT_TYPES = frozenset(
    {"app", "browser", "cloud_resource", "culture", "device", "gpu", "os", "otel", "profile"}
    | {"replay", "response", "runtime", "state", "trace"}
)


class Derived(NamedTuple):
    type: str
    metadata: dict
    culprit: str | None
    title: str
    fingerprints: list[str]


def derive(event, *, grouping_config: str | None = None) -> Derived:
    """Type, metadata, culprit and title of one event, as record_event saw them, and, when
    `grouping_config` (its project's grouping version) is given, its grouping hash. Only what
    is shown is read: a list of 100 events derives no hash and checks no other interface."""
    payload = event.data
    try:
        described = describe(payload)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        # A payload stored before a stricter reader: show it as a plain message event.
        metadata = {"title": (event.message.splitlines() or ["<unlabeled event>"])[0][:200]}
        return Derived("default", metadata, None, metadata["title"], [])
    fingerprints = []
    # A fingerprint of a shape no grouping version reads has no hash to show.
    with suppress(ValueError, TypeError, AttributeError, KeyError, IndexError):
        if grouping_config is not None:
            fingerprints.append(grouping_strategy(grouping_config)(payload))
    title = issue_title(described.type, described.metadata)
    return Derived(described.type, described.metadata, described.culprit, title, fingerprints)


def _location(derived: Derived) -> str | None:
    # Sentry: an error event's location is its top frame's file; other events have none.
    return derived.metadata.get("filename") if derived.type == "error" else None


def _tags(event) -> list[dict]:
    """[{key, value}] sorted by key, "sentry:" stripped (sentry:release is "release")."""
    tags = [{"key": key.removeprefix("sentry:"), "value": value} for key, value in event.tags]
    tags.sort(key=itemgetter("key"))
    return tags


def _user(payload: dict) -> dict | None:
    """The user interface: its five known attributes (null when absent) and `data`, which
    also collects any other attribute the SDK sent."""
    user = as_dict(payload.get("user"))
    if not user:
        return None
    result = {name: as_text(user.get(name)) for name in USER_FIELDS}
    data = dict(as_dict(user.get("data")) or {})
    data.update(
        {key: value for key, value in user.items() if key not in (*USER_FIELDS, "data", "geo")}
    )
    result["data"] = data or None
    if as_dict(user.get("geo")):
        result["geo"] = user["geo"]
    return result


def _contexts(payload: dict) -> dict:
    contexts = {}
    for alias, value in (as_dict(payload.get("contexts")) or {}).items():
        if not isinstance(value, dict):
            continue
        kind = value.get("type")
        if not isinstance(kind, str) or not kind:
            kind = alias if alias in KNOWN_CONTEXT_TYPES else "default"
        contexts[alias] = {**value, "type": kind}
    return contexts


def _sdk(payload: dict) -> dict | None:
    sdk = as_dict(payload.get("sdk"))
    if not sdk or not sdk.get("name"):
        return None
    return {"name": str(sdk["name"]), "version": as_text(sdk.get("version"))}


def serialize_event_summary(event) -> dict:
    """A list item: Sentry's SimpleEventSerializer (no fingerprints)."""
    derived = derive(event)
    return {
        "id": event.event_id,
        "eventID": event.event_id,
        "event.type": derived.type,
        "groupID": str(event.issue_id),
        "projectID": str(event.project_id),
        "title": derived.title,
        "message": event.message,
        "location": _location(derived),
        "culprit": derived.culprit,
        "user": _user(event.data),
        "tags": _tags(event),
        "platform": event.platform,
        "dateCreated": format_datetime(event.datetime),
        "metadata": derived.metadata,
    }


def serialize_event(event, *, grouping_config: str = NEWEST) -> dict:
    """The full event (Sentry's EventSerializer). `event.environment` must be loaded.
    `size` (the stored payload's bytes in Sentry's node store) is not shown; `fingerprints`
    are the hashes of the project's grouping version."""
    payload = event.data
    derived = derive(event, grouping_config=grouping_config)
    return {
        "id": event.event_id,
        "eventID": event.event_id,
        "groupID": str(event.issue_id),
        "projectID": str(event.project_id),
        "title": derived.title,
        "message": event.message,
        "location": _location(derived),
        "culprit": derived.culprit,
        "type": derived.type,
        "metadata": derived.metadata,
        "platform": event.platform,
        "dateCreated": format_datetime(event.datetime),
        "dateReceived": format_datetime(event.received),
        "environment": event.environment.name or None,
        "dist": as_text(payload.get("dist")),
        "tags": _tags(event),
        "user": _user(payload),
        "contexts": _contexts(payload),
        "context": as_dict(payload.get("extra")) or {},
        "sdk": _sdk(payload),
        "packages": as_dict(payload.get("modules")) or {},
        "fingerprints": derived.fingerprints,
        "errors": [],
        "entries": event_entries(payload),
    }


def serialize_event_detail(event, *, parts, requester, grouping_config: str = NEWEST) -> dict:
    """The full event plus its release (the issue document's release shape) and the ids of
    the previous and next events of its issue."""
    document = serialize_event(event, grouping_config=grouping_config)
    release = None
    if event.release is not None:
        release = serialize_release(
            event.release,
            release_projects=parts.release_projects,
            emails_by_user=parts.emails_by_user,
            requester=requester,
        )
    document.update(
        {
            "release": release,
            "previousEventID": parts.previous_event_id,
            "nextEventID": parts.next_event_id,
        }
    )
    return document

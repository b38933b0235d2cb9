"""The values of Sentry's event documents, computed from the stored payload: no queries.

The documents themselves (which keys, their OpenAPI schemas, what ?collapse= leaves out) are
declared once in issues.events.documents. The event row keeps the payload as received; what
record_event derived from it (type, metadata, culprit, fingerprint) is derived again by the
same pure function, and the interfaces become Sentry's `entries` (issues.events.entries).
"""

import json
from contextlib import suppress
from operator import itemgetter
from typing import NamedTuple

import orjson

from accounts.serializers import gravatar_url
from issues.events.payload import as_dict, as_list, as_text
from issues.ingest.grouping import grouping_strategy
from issues.ingest.normalize import describe
from issues.models import issue_title
from issues_api.api.dates import format_datetime

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


def location(derived: Derived) -> str | None:
    # Sentry: an error event's location is its top frame's file; other events have none.
    return derived.metadata.get("filename") if derived.type == "error" else None


def shown_tags(event) -> list[dict]:
    """[{key, value}] sorted by key, "sentry:" stripped (sentry:release is "release")."""
    tags = [{"key": key.removeprefix("sentry:"), "value": value} for key, value in event.tags]
    tags.sort(key=itemgetter("key"))
    return tags


def event_user(payload: dict) -> dict | None:
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


def contexts(payload: dict) -> dict:
    contexts = {}
    for alias, value in (as_dict(payload.get("contexts")) or {}).items():
        if not isinstance(value, dict):
            continue
        kind = value.get("type")
        if not isinstance(kind, str) or not kind:
            kind = alias if alias in KNOWN_CONTEXT_TYPES else "default"
        contexts[alias] = {**value, "type": kind}
    return contexts


def sdk(payload: dict) -> dict | None:
    sdk = as_dict(payload.get("sdk"))
    if not sdk or not sdk.get("name"):
        return None
    return {"name": str(sdk["name"]), "version": as_text(sdk.get("version"))}


def payload_size(payload: dict) -> int:
    """Sentry's `size`: the length of the event's JSON as its node store holds it
    (len(json.dumps(data)) with compact separators, non-ASCII characters written as \\u
    escapes). Here: of the payload as stored. orjson writes the same text for ASCII payloads
    in a twentieth of the time; any other payload (or an integer beyond 64 bits) is measured
    with the json module."""
    try:
        encoded = orjson.dumps(payload)
    except TypeError:  # orjson.JSONEncodeError included
        encoded = None
    if encoded is not None and encoded.isascii():
        return len(encoded)
    return len(json.dumps(payload, separators=(",", ":")))


# The payload keys of the interfaces behind each entry type (Sentry keys an entry's
# annotations by its interface: the message entry is the logentry interface).
ENTRY_INTERFACES = {
    "message": "logentry",
    "exception": "exception",
    "stacktrace": "stacktrace",
    "breadcrumbs": "breadcrumbs",
    "request": "request",
}


def _message_annotation(payload: dict, meta: dict) -> dict | None:
    """The annotation of the text the message entry shows: logentry.formatted, else
    logentry.message (Sentry's _get_legacy_message_with_meta)."""
    logentry = as_dict(payload.get("logentry")) or {}
    logentry_meta = as_dict(meta.get("logentry")) or {}
    for part in ("formatted", "message"):
        if logentry.get(part):
            return as_dict(logentry_meta.get(part))
    return None


# Sentry's _meta of an event nothing annotated.
NO_ANNOTATIONS = {
    "entries": {},
    "message": None,
    "user": None,
    "contexts": None,
    "sdk": None,
    "context": None,
    "packages": None,
    "tags": {},
}


def annotations(payload: dict, entries: list[dict], tags: list) -> dict:
    """Sentry's `_meta`: the payload's own `_meta` (what Relay, or the service's accept
    step, noted about changed values) for the parts of the document Sentry annotates.
    Unannotated, `entries` and `tags` are {} and the other parts null, as in Sentry.
    Sentry's `chunks` (a redacted string cut into its kept and removed parts) are not
    computed: the service removes nothing from strings but NUL characters."""
    meta = as_dict(payload.get("_meta"))
    if not meta:
        return {**NO_ANNOTATIONS, "entries": {}, "tags": {}}

    def part(interface: str) -> dict | None:
        # Sentry annotates an interface only when it has data.
        return as_dict(meta.get(interface)) if payload.get(interface) else None

    tags_meta = as_dict(meta.get("tags")) or {}
    # The tags ([key, value] as stored) in the order the document shows them (shown_tags).
    shown = sorted(tags, key=lambda pair: pair[0].removeprefix("sentry:")) if tags_meta else []
    return {
        "entries": {
            str(index): {"data": annotation}
            for index, entry in enumerate(entries)
            if (annotation := as_dict(meta.get(ENTRY_INTERFACES[entry["type"]])))
        },
        "message": _message_annotation(payload, meta),
        "user": part("user"),
        "contexts": part("contexts"),
        "sdk": part("sdk"),
        "context": as_dict(meta.get("extra")),
        "packages": as_dict(meta.get("modules")),
        # By the position of the tag in the document; tags are annotated by their key.
        "tags": {
            str(index): {"value": annotation}
            for index, (key, _) in enumerate(shown)
            if (annotation := as_dict(tags_meta.get(key)))
        },
    }


def user_report(report, payload: dict) -> dict | None:
    """Sentry's UserReportSerializer of the event's report: its name falls back to its email,
    and `user` is the event's user (Sentry's EventUser.from_event(...).serialize(), which
    exists whenever the event does: its id is str() of the user's id, "None" without one)."""
    if report is None:
        return None
    user = as_dict(payload.get("user")) or {}
    user_email = as_text(user.get("email"))
    user_name = as_text(user.get("name"))
    username = as_text(user.get("username"))
    return {
        "id": str(report.pk),
        "eventID": report.event_id,
        "name": report.name or report.email or user_name,
        "email": report.email or user_email,
        "comments": report.comments,
        "dateCreated": format_datetime(report.date_added),
        "user": {
            "id": str(user.get("id")),
            "username": username,
            "email": user_email,
            "name": user_name or user_email or username,
            "ipAddress": as_text(user.get("ip_address")),
            "avatarUrl": gravatar_url(user_email),
        },
        "event": {"id": report.event_id, "eventID": report.event_id},
    }


def _stacktraces(payload: dict):
    """The stacktraces Sentry's find_stacktraces_in_data finds: the event's own, each
    exception's and each thread's."""
    yield payload.get("stacktrace")
    for interface in ("exception", "threads"):
        values = payload.get(interface)
        if isinstance(values, dict):
            values = values.get("values")
        for value in as_list(values):
            if isinstance(value, dict):
                yield value.get("stacktrace")


def resolved_with(payload: dict) -> list[str]:
    """Sentry's `resolvedWith`: the distinct ways the frames of the event's stacktraces
    were resolved (the `resolved_with` symbolication notes in each frame's `data`, e.g.
    "debug-id" or "release" for source maps), sorted. [] for frames no symbolicator
    touched, which is every frame an SDK sends."""
    methods = set()
    for stacktrace in _stacktraces(payload):
        for frame in as_list(as_dict(stacktrace) and stacktrace.get("frames")):
            data = as_dict(frame.get("data")) if isinstance(frame, dict) else None
            if data is not None and isinstance(data.get("resolved_with"), str):
                methods.add(data["resolved_with"])
    return sorted(methods)

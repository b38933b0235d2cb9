"""Sentry's event documents, built from the stored payload: camelCase only here, no queries.

Three shapes, as in Sentry: the list item (SimpleEventSerializer), the full event
(EventSerializer, the list's ?full=true) and the detail (the full event plus its release and
its neighbours in the issue). The event row keeps the payload as received; what record_event
derived from it (type, metadata, culprit, fingerprint) is derived again by the same pure
function, and the interfaces become Sentry's `entries`.
"""

import contextlib
import json
from datetime import UTC, datetime
from operator import itemgetter
from typing import NamedTuple
from urllib.parse import parse_qsl

from django.utils.dateparse import parse_datetime

from issues.ingest import normalize_event
from issues.models import issue_title
from issues.serializers import standardized_tag_key
from issues_api.api.dates import format_datetime
from releases.serializers import serialize_release

USER_FIELDS = ("id", "email", "username", "ip_address", "name")
# Context types Sentry knows; a context without a "type" takes its key when the key is one of
# them, else "default".
KNOWN_CONTEXT_TYPES = frozenset(
    {"app", "browser", "cloud_resource", "culture", "device", "gpu", "os", "otel", "profile"}
    | {"replay", "response", "runtime", "state", "trace"}
)
# Sentry's display scores: entries are listed highest first.
MESSAGE_SCORE = 2050
EXCEPTION_SCORE = 2000
STACKTRACE_SCORE = 1950
BREADCRUMBS_SCORE = 1100
REQUEST_SCORE = 1000


def _text(value) -> str | None:
    return None if value is None or value == "" else str(value)


def _dict(value) -> dict | None:
    return value if isinstance(value, dict) else None


def _list(value) -> list:
    return value if isinstance(value, list) else []


class Derived(NamedTuple):
    type: str
    metadata: dict
    culprit: str | None
    title: str
    fingerprints: list[str]


def derive(event) -> Derived:
    """Type, metadata, culprit, title and grouping hash of one event, as record_event saw it."""
    try:
        data = normalize_event(event.data, now=event.received, tags=False)
    except ValueError:
        # A payload stored before a stricter reader: show it as a plain message event.
        metadata = {"title": (event.message.splitlines() or ["<unlabeled event>"])[0][:200]}
        return Derived("default", metadata, None, metadata["title"], [])
    title = issue_title(data.type, data.metadata)
    return Derived(data.type, data.metadata, data.culprit, title, [data.fingerprint_hash])


def _location(derived: Derived) -> str | None:
    # Sentry: an error event's location is its top frame's file; other events have none.
    return derived.metadata.get("filename") if derived.type == "error" else None


def _tags(event) -> list[dict]:
    """[{key, value}] sorted by key, "sentry:" stripped (sentry:release is "release")."""
    tags = ({"key": standardized_tag_key(key), "value": value} for key, value in event.tags)
    return sorted(tags, key=itemgetter("key"))


def _user(payload: dict) -> dict | None:
    """The user interface: its five known attributes (null when absent) and `data`, which
    also collects any other attribute the SDK sent."""
    user = _dict(payload.get("user"))
    if not user:
        return None
    result = {name: _text(user.get(name)) for name in USER_FIELDS}
    data = dict(_dict(user.get("data")) or {})
    data.update(
        {key: value for key, value in user.items() if key not in (*USER_FIELDS, "data", "geo")}
    )
    result["data"] = data or None
    if _dict(user.get("geo")):
        result["geo"] = user["geo"]
    return result


def _contexts(payload: dict) -> dict:
    contexts = {}
    for alias, value in (_dict(payload.get("contexts")) or {}).items():
        if not isinstance(value, dict):
            continue
        kind = value.get("type")
        if not isinstance(kind, str) or not kind:
            kind = alias if alias in KNOWN_CONTEXT_TYPES else "default"
        contexts[alias] = {**value, "type": kind}
    return contexts


def _sdk(payload: dict) -> dict | None:
    sdk = _dict(payload.get("sdk"))
    if not sdk or not sdk.get("name"):
        return None
    return {"name": str(sdk["name"]), "version": _text(sdk.get("version"))}


def _timestamp(value) -> str | None:
    """A breadcrumb time (ISO 8601 or Unix seconds) in the API's UTC form."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            moment = parse_datetime(value)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment)


# ---- entries -------------------------------------------------------------------------------


def _context_lines(frame: dict) -> list[list]:
    """Sentry's frame context: [[line number, line], ...] around lineno."""
    lineno = frame.get("lineno")
    context_line = frame.get("context_line")
    before = [line for line in _list(frame.get("pre_context")) if isinstance(line, str)]
    after = [line for line in _list(frame.get("post_context")) if isinstance(line, str)]
    if not isinstance(lineno, int) or isinstance(lineno, bool):
        return []
    if context_line is None and not (before or after):
        return []
    lines = [*before, *([str(context_line)] if context_line is not None else []), *after]
    start = lineno - len(before)
    return [[start + index, line] for index, line in enumerate(lines)]


def _frame(frame: dict) -> dict:
    return {
        "filename": _text(frame.get("filename")),
        "absPath": _text(frame.get("abs_path")),
        "module": _text(frame.get("module")),
        "package": _text(frame.get("package")),
        "platform": _text(frame.get("platform")),
        "instructionAddr": _text(frame.get("instruction_addr")),
        "symbolAddr": _text(frame.get("symbol_addr")),
        "function": _text(frame.get("function")),
        "symbol": _text(frame.get("symbol")),
        "context": _context_lines(frame),
        "lineNo": frame.get("lineno"),
        "colNo": frame.get("colno"),
        "inApp": bool(frame.get("in_app")),
        "trust": _text(frame.get("trust")),
        "errors": None,
        "vars": _dict(frame.get("vars")),
    }


def _stacktrace(stacktrace) -> dict | None:
    """hasSystemFrames: some frames are the application's and some are not (Sentry turns an
    all-in-app stacktrace into an all-system one; frames here keep the SDK's in_app)."""
    stacktrace = _dict(stacktrace)
    if stacktrace is None:
        return None
    frames = [frame for frame in _list(stacktrace.get("frames")) if isinstance(frame, dict)]
    in_app = [bool(frame.get("in_app")) for frame in frames]
    return {
        "frames": [_frame(frame) for frame in frames],
        "framesOmitted": stacktrace.get("frames_omitted"),
        "registers": _dict(stacktrace.get("registers")),
        "hasSystemFrames": any(in_app) and not all(in_app),
    }


def _exception(payload: dict) -> dict | None:
    exception = payload.get("exception")
    if isinstance(exception, dict):
        exception = exception.get("values")
    values = [value for value in _list(exception) if isinstance(value, dict)]
    if not values:
        return None
    rendered = [
        {
            "type": _text(value.get("type")),
            "value": _text(value.get("value")),
            "module": _text(value.get("module")),
            "mechanism": _dict(value.get("mechanism")),
            "threadId": _text(value.get("thread_id")),
            "stacktrace": _stacktrace(value.get("stacktrace")),
            "rawStacktrace": _stacktrace(value.get("raw_stacktrace")),
        }
        for value in values
    ]
    return {
        "values": rendered,
        "hasSystemFrames": any(
            value["stacktrace"]["hasSystemFrames"] for value in rendered if value["stacktrace"]
        ),
        "excOmitted": None,
    }


def _message(payload: dict) -> dict | None:
    """The log entry, or the plain `message` string as its formatted text."""
    logentry = payload.get("logentry") or payload.get("sentry.interfaces.Message")
    message = payload.get("message")
    if isinstance(message, dict):
        logentry, message = message, None
    logentry = _dict(logentry) or {}
    template = _text(logentry.get("message"))
    formatted = _text(logentry.get("formatted"))
    params = logentry.get("params")
    if formatted is None and template is not None:
        formatted = template
        if isinstance(params, list | dict) and params:
            with contextlib.suppress(TypeError, ValueError, KeyError):
                formatted = template % (tuple(params) if isinstance(params, list) else params)
    if formatted is None:
        text = _text(message)
        if text is None:
            return None
        return {"formatted": text, "message": None, "params": None}
    return {"formatted": formatted, "message": template, "params": params or None}


def _pairs(value, *, cookies: bool = False) -> list[list[str]]:
    """Query strings and cookies as Sentry lists them: [[name, value], ...]."""
    if isinstance(value, str):
        if cookies:
            parts = (part.partition("=") for part in value.split(";") if part.strip())
            return [[name.strip(), text.strip()] for name, _, text in parts]
        return [[name, text] for name, text in parse_qsl(value.lstrip("?"), keep_blank_values=True)]
    items = sorted(value.items()) if isinstance(value, dict) else _list(value)
    pairs = []
    for pair in items:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            name, text = pair
            pairs.append([str(name), "" if text is None else str(text)])
    return pairs


def _headers(value) -> tuple[list[list[str]], str | None]:
    """Headers with Title-Case names; a Cookie header is taken out (it becomes `cookies`)."""
    items = sorted(value.items()) if isinstance(value, dict) else _list(value)
    headers, cookie = [], None
    for pair in items:
        if not (isinstance(pair, list | tuple) and len(pair) == 2) or pair[0] is None:
            continue
        name, text = str(pair[0]).title(), pair[1]
        if isinstance(text, list):
            text = ", ".join(str(item) for item in text)
        text = "" if text is None else str(text)
        if name == "Cookie":
            cookie = text
        else:
            headers.append([name, text])
    return headers, cookie


def _request(payload: dict) -> dict | None:
    request = _dict(payload.get("request")) or _dict(payload.get("sentry.interfaces.Http"))
    if request is None:
        return None
    url = _text(request.get("url"))
    query = request.get("query_string")
    fragment = _text(request.get("fragment"))
    if url is not None:
        url, _, url_fragment = url.partition("#")
        url, _, url_query = url.partition("?")
        fragment = fragment or _text(url_fragment)
        query = query or url_query
    headers, cookie_header = _headers(request.get("headers"))
    content_type = next((text for name, text in headers if name == "Content-Type"), None)
    inferred = (content_type.split(";")[0].strip() or None) if content_type else None
    data = request.get("data")
    if isinstance(data, str) and inferred == "application/json":
        with contextlib.suppress(ValueError):
            data = json.loads(data)
    if inferred is None and isinstance(data, dict | list):
        inferred = "application/json"
    method = request.get("method")
    return {
        "method": method.upper() if isinstance(method, str) and method else None,
        "url": url or None,
        "query": _pairs(query or []),
        "fragment": fragment,
        "data": data,
        "headers": headers,
        "cookies": _pairs(request.get("cookies") or cookie_header or [], cookies=True),
        "env": _dict(request.get("env")) or None,
        "inferredContentType": inferred,
    }


def _breadcrumbs(payload: dict) -> dict | None:
    crumbs = payload.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs = crumbs.get("values")
    values = [
        {
            "type": _text(crumb.get("type")) or "default",
            "timestamp": _timestamp(crumb.get("timestamp")),
            "level": _text(crumb.get("level")) or "info",
            "message": _text(crumb.get("message")),
            "category": _text(crumb.get("category")),
            "data": _dict(crumb.get("data")) or None,
            "event_id": _text(crumb.get("event_id")),
        }
        for crumb in _list(crumbs)
        if isinstance(crumb, dict)
    ]
    return {"values": values} if values else None


def event_entries(payload: dict) -> list[dict]:
    """The interfaces of a payload as Sentry's entries, highest display score first:
    message, exception, stacktrace, breadcrumbs, request. Others are not shown."""
    builders = (
        (MESSAGE_SCORE, "message", _message),
        (EXCEPTION_SCORE, "exception", _exception),
        (STACKTRACE_SCORE, "stacktrace", lambda data: _stacktrace(data.get("stacktrace"))),
        (BREADCRUMBS_SCORE, "breadcrumbs", _breadcrumbs),
        (REQUEST_SCORE, "request", _request),
    )
    entries = []
    for _, kind, build in sorted(builders, key=lambda builder: -builder[0]):
        data = build(payload)
        if data is not None:
            entries.append({"type": kind, "data": data})
    return entries


# ---- documents -----------------------------------------------------------------------------


def serialize_event_summary(event) -> dict:
    """A list item: Sentry's SimpleEventSerializer."""
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


def serialize_event(event) -> dict:
    """The full event (Sentry's EventSerializer). `event.environment` must be loaded.
    `size` (the stored payload's bytes in Sentry's node store) is not shown."""
    payload = event.data
    derived = derive(event)
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
        "dist": _text(payload.get("dist")),
        "tags": _tags(event),
        "user": _user(payload),
        "contexts": _contexts(payload),
        "context": _dict(payload.get("extra")) or {},
        "sdk": _sdk(payload),
        "packages": _dict(payload.get("modules")) or {},
        "fingerprints": derived.fingerprints,
        "errors": [],
        "entries": event_entries(payload),
    }


def serialize_event_detail(event, *, parts, requester) -> dict:
    """The full event plus its release (the issue document's release shape) and the ids of
    the previous and next events of its issue."""
    document = serialize_event(event)
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

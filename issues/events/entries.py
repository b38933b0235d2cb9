"""Sentry's `entries` of an event: the interfaces of its stored payload (message, exception,
stacktrace, breadcrumbs, request) as the full event and the event detail show them."""

import contextlib
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from django.utils.dateparse import parse_datetime

from issues.events.payload import as_dict, as_list, as_text
from issues_api.api.dates import format_datetime

# Sentry's display scores: entries are listed highest first.
MESSAGE_SCORE = 2050
EXCEPTION_SCORE = 2000
STACKTRACE_SCORE = 1950
BREADCRUMBS_SCORE = 1100
REQUEST_SCORE = 1000


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


def _context_lines(frame: dict) -> list[list]:
    """Sentry's frame context: [[line number, line], ...] around lineno."""
    lineno = frame.get("lineno")
    context_line = frame.get("context_line")
    before = [line for line in as_list(frame.get("pre_context")) if isinstance(line, str)]
    after = [line for line in as_list(frame.get("post_context")) if isinstance(line, str)]
    if not isinstance(lineno, int) or isinstance(lineno, bool):
        return []
    if context_line is None and not (before or after):
        return []
    lines = [*before, *([str(context_line)] if context_line is not None else []), *after]
    start = lineno - len(before)
    return [[start + index, line] for index, line in enumerate(lines)]


def _frame(frame: dict) -> dict:
    return {
        "filename": as_text(frame.get("filename")),
        "absPath": as_text(frame.get("abs_path")),
        "module": as_text(frame.get("module")),
        "package": as_text(frame.get("package")),
        "platform": as_text(frame.get("platform")),
        "instructionAddr": as_text(frame.get("instruction_addr")),
        "symbolAddr": as_text(frame.get("symbol_addr")),
        "function": as_text(frame.get("function")),
        "symbol": as_text(frame.get("symbol")),
        "context": _context_lines(frame),
        "lineNo": frame.get("lineno"),
        "colNo": frame.get("colno"),
        "inApp": bool(frame.get("in_app")),
        "trust": as_text(frame.get("trust")),
        "errors": None,
        "vars": as_dict(frame.get("vars")),
    }


def _stacktrace(stacktrace) -> dict | None:
    """hasSystemFrames: some frames are the application's and some are not (Sentry turns an
    all-in-app stacktrace into an all-system one; frames here keep the SDK's in_app)."""
    stacktrace = as_dict(stacktrace)
    if stacktrace is None:
        return None
    frames = [frame for frame in as_list(stacktrace.get("frames")) if isinstance(frame, dict)]
    in_app = [bool(frame.get("in_app")) for frame in frames]
    return {
        "frames": [_frame(frame) for frame in frames],
        "framesOmitted": stacktrace.get("frames_omitted"),
        "registers": as_dict(stacktrace.get("registers")),
        "hasSystemFrames": any(in_app) and not all(in_app),
    }


def _exception(payload: dict) -> dict | None:
    exception = payload.get("exception")
    if isinstance(exception, dict):
        exception = exception.get("values")
    values = [value for value in as_list(exception) if isinstance(value, dict)]
    if not values:
        return None
    rendered = [
        {
            "type": as_text(value.get("type")),
            "value": as_text(value.get("value")),
            "module": as_text(value.get("module")),
            "mechanism": as_dict(value.get("mechanism")),
            "threadId": as_text(value.get("thread_id")),
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
    logentry = as_dict(logentry) or {}
    template = as_text(logentry.get("message"))
    formatted = as_text(logentry.get("formatted"))
    params = logentry.get("params")
    if formatted is None and template is not None:
        formatted = template
        if isinstance(params, list | dict) and params:
            with contextlib.suppress(TypeError, ValueError, KeyError):
                formatted = template % (tuple(params) if isinstance(params, list) else params)
    if formatted is None:
        text = as_text(message)
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
    items = sorted(value.items()) if isinstance(value, dict) else as_list(value)
    pairs = []
    for pair in items:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            name, text = pair
            pairs.append([str(name), "" if text is None else str(text)])
    return pairs


def _headers(value) -> tuple[list[list[str]], str | None]:
    """Headers with Title-Case names; a Cookie header is taken out (it becomes `cookies`)."""
    items = sorted(value.items()) if isinstance(value, dict) else as_list(value)
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
    request = as_dict(payload.get("request")) or as_dict(payload.get("sentry.interfaces.Http"))
    if request is None:
        return None
    url = as_text(request.get("url"))
    query = request.get("query_string")
    fragment = as_text(request.get("fragment"))
    if url is not None:
        url, _, url_fragment = url.partition("#")
        url, _, url_query = url.partition("?")
        fragment = fragment or as_text(url_fragment)
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
        "env": as_dict(request.get("env")) or None,
        "inferredContentType": inferred,
    }


def _breadcrumbs(payload: dict) -> dict | None:
    crumbs = payload.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs = crumbs.get("values")
    values = [
        {
            "type": as_text(crumb.get("type")) or "default",
            "timestamp": _timestamp(crumb.get("timestamp")),
            "level": as_text(crumb.get("level")) or "info",
            "message": as_text(crumb.get("message")),
            "category": as_text(crumb.get("category")),
            "data": as_dict(crumb.get("data")) or None,
            "event_id": as_text(crumb.get("event_id")),
        }
        for crumb in as_list(crumbs)
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

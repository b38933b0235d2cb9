"""Grouping: the hash that decides which issue an event belongs to, one algorithm per version.

A project groups by its own version (accounts.Project.grouping_config), so changing the
algorithm is a new version here and never a change to an old one: the events of an existing
project keep landing in the issues they always did until the project is moved, on purpose, to
a newer version (docs/grouping.md). Pure functions, no database: normalize_event calls the
project's version on each payload.

- `legacy:2026-10`: the first algorithm of this service, kept byte for byte (its own frozen
  copies of the payload readers it needs, so a change to normalize.py cannot move its hashes).
- `newstyle:2026-11`: Sentry's newstyle grouping in its main lines: a fingerprint with
  `{{ default }}`, exception types with their in-app frames, else types with parameterised
  values, else the message template or the parameterised message.
"""

import hashlib
import json
import re
from collections.abc import Callable

from accounts.models import Project

from .parameterize import parameterize

GroupingConfig = Project.GroupingConfig
NEWEST = GroupingConfig.NEWSTYLE

# `{{ default }}`, `{{default}}`, any spacing or case (Sentry's fingerprint variable).
DEFAULT_VARIABLE = re.compile(r"\{\{\s*default\s*\}\}", re.IGNORECASE)
# Sentry's recursion check: a frame equal to the one before it in all of these is the same
# call repeated, and counts once.
RECURSION_FIELDS = ("abs_path", "package", "module", "filename", "function", "lineno", "colno")
PATH_SEPARATORS = re.compile(r"[/\\]")
QUERY_OR_FRAGMENT = re.compile(r"[?#]")


def grouping_strategy(version: str) -> Callable[[dict], str]:
    """The algorithm of a grouping version: payload -> hash. LookupError for an unknown one
    (a project's setting, not the payload, is wrong then)."""
    try:
        return STRATEGIES[version]
    except KeyError:
        raise LookupError(f"Unknown grouping version: {version!r}") from None


def grouping_hash(payload: dict, *, version: str = NEWEST) -> str:
    """The grouping hash of an event payload under a version. Raises TypeError, AttributeError
    or ValueError for a payload it cannot read (normalize_event turns them into ValueError)."""
    return grouping_strategy(version)(payload)


# ---- legacy:2026-10 ---------------------------------------------------------------------------


def _legacy(payload: dict) -> str:
    """md5 of [type, culprit, top frame's function] for an exception, [message, culprit]
    otherwise, where culprit is the payload's culprit or transaction, else the top frame's
    "module in function"; `{{ default }}` (exactly so) in a fingerprint stands for them."""
    exception = payload.get("exception")
    if isinstance(exception, dict):
        exception = exception.get("values")
    exceptions = [value for value in exception or [] if isinstance(value, dict)]
    culprit = payload.get("culprit") or payload.get("transaction")
    if exceptions:
        last = exceptions[-1]
        frames = (last.get("stacktrace") or {}).get("frames") or []
        candidates = [frame for frame in frames if frame.get("in_app")] or frames
        frame = (candidates[-1] if candidates else None) or {}
        if not culprit and frame:
            location = frame.get("module") or frame.get("filename") or "?"
            culprit = f"{location} in {frame.get('function') or '?'}"
        function = str(frame["function"]) if frame.get("function") else ""
        # str(): a culprit that is not a string failed the join before; stringified, it
        # cannot collide with a hash stored then.
        default = [str(last.get("type") or "Error"), str(culprit) if culprit else "", function]
    else:
        logentry = payload.get("logentry") or payload.get("sentry.interfaces.Message") or {}
        message = payload.get("message")
        if isinstance(message, dict):
            logentry, message = message, None
        message = str(message or logentry.get("formatted") or logentry.get("message") or "")
        default = [message, str(culprit) if culprit else ""]

    parts = []
    for item in payload.get("fingerprint") or ["{{ default }}"]:
        if item == "{{ default }}":
            parts.extend(default)
        else:
            parts.append(str(item))
    return hashlib.md5("\x00".join(parts).encode(), usedforsecurity=False).hexdigest()


# ---- newstyle:2026-11 -------------------------------------------------------------------------


def _newstyle(payload: dict) -> str:
    """md5 of the JSON list of [kind, value, ...] components: unambiguous, whatever the values
    hold, and a fingerprint's own entries ("fingerprint") never equal a default component."""
    default = _default_components(payload)
    fingerprint = _fingerprint(payload.get("fingerprint"))
    if fingerprint is None:
        components = default
    else:
        components = []
        for entry in fingerprint:
            if DEFAULT_VARIABLE.fullmatch(entry.strip()):
                components.extend(default)
            else:
                components.append(["fingerprint", entry])
    encoded = json.dumps(components, separators=(",", ":")).encode()  # ASCII: \u escapes
    return hashlib.md5(encoded, usedforsecurity=False).hexdigest()


def _fingerprint(value) -> list[str] | None:
    """The fingerprint's entries as strings; None for none (null or empty). A bare string is
    one entry; any other shape is refused, as it always was."""
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ValueError("Invalid fingerprint: a list of strings is expected.")
    return [item if isinstance(item, str) else str(item) for item in value]


def _default_components(payload: dict) -> list[list[str]]:
    """What Sentry groups by when no fingerprint overrides it: the exceptions if they say
    anything, else the message. Never the transaction nor the culprit (the same error raised
    under two routes is one issue) and never a line number (an edit above it moves it)."""
    exception = payload.get("exception")
    if isinstance(exception, dict):
        exception = exception.get("values")
    exceptions = [value for value in exception or [] if isinstance(value, dict)]
    components = _exception_components(exceptions) if exceptions else []
    return components or _message_components(payload)


def _exception_components(exceptions: list[dict]) -> list[list[str]]:
    """Every exception of the chain, in order: its type, and its in-app frames. When no
    exception of the event has an in-app frame, each type takes its parameterised value
    instead: the frames, when there are some, say where better than a value that may hold
    ids, and a value never splits an issue that frames define (Sentry: "ignored because
    stacktrace takes precedence", decided here for the whole chain)."""
    frames_of = [_in_app_frame_components(exception) for exception in exceptions]
    use_frames = any(frames_of)
    components = []
    for exception, frames in zip(exceptions, frames_of, strict=True):
        mechanism = exception.get("mechanism")
        synthetic = isinstance(mechanism, dict) and mechanism.get("synthetic") is True
        # A synthetic exception's type is made up by the SDK (a signal's name, say): Sentry
        # leaves it out.
        if exception.get("type") and not synthetic:
            components.append(["type", str(exception["type"])])
        if use_frames:
            components.extend(frames)
        elif exception.get("value") not in (None, ""):
            components.append(["value", parameterize(str(exception["value"]))])
    return components


def _in_app_frame_components(exception: dict) -> list[list[str]]:
    stacktrace = exception.get("stacktrace")
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    if not isinstance(frames, list):
        return []
    components = []
    previous = None
    for frame in frames:
        if not isinstance(frame, dict):
            continue
        recursion = previous is not None and all(
            frame.get(name) == previous.get(name) for name in RECURSION_FIELDS
        )
        previous = frame
        if frame.get("in_app") is not True or recursion:
            continue
        component = _frame_component(frame)
        if component is not None:
            components.append(component)
    return components


def _frame_component(frame: dict) -> list[str] | None:
    """["frame", module or file basename, function]: what names the code, not where in it
    (no line, column or context line)."""
    location = ""
    if frame.get("module"):
        location = str(frame["module"])
    elif frame.get("filename") or frame.get("abs_path"):
        path = QUERY_OR_FRAGMENT.split(str(frame.get("filename") or frame["abs_path"]), 1)[0]
        location = PATH_SEPARATORS.split(path)[-1].lower()
    function = frame.get("function") or frame.get("raw_function")
    function = str(function) if function else ""
    if not location and not function:
        return None
    return ["frame", location, function]


def _message_components(payload: dict) -> list[list[str]]:
    """The message template (logentry.message, the same for every value it was formatted
    with) before the formatted message, parameterised either way."""
    logentry = payload.get("logentry") or payload.get("sentry.interfaces.Message")
    message = payload.get("message")
    if isinstance(message, dict):
        logentry, message = message, None
    logentry = logentry if isinstance(logentry, dict) else {}
    for candidate in (logentry.get("message"), logentry.get("formatted"), message):
        if candidate not in (None, ""):
            return [["message", parameterize(str(candidate))]]
    return []


STRATEGIES: dict[str, Callable[[dict], str]] = {
    GroupingConfig.LEGACY: _legacy,
    GroupingConfig.NEWSTYLE: _newstyle,
}
assert set(STRATEGIES) == set(GroupingConfig.values), "every grouping version has its algorithm"

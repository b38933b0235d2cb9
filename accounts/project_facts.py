"""Facts about projects that other apps keep: the project documents show them, yet accounts
imports neither issues nor releases (tests/test_architecture.py). Those apps register a reader
here when they are ready (their AppConfig.ready); a document asks for a page of projects at
once, one query per fact, whatever the page's size.

Facts: "latestRelease" ({"version": ...} or None; releases) and "firstEvent" (the first
event's time or None; issues). Without a reader, a fact has Sentry's value for a project with
no such data.
"""

from collections.abc import Callable, Sequence

Reader = Callable[[Sequence[int]], dict[int, object]]

DEFAULTS: dict[str, object] = {"latestRelease": None, "firstEvent": None}
_readers: dict[str, Reader] = {}


def provide(name: str, reader: Reader) -> None:
    """Register the reader of one fact: project ids -> {project id: value} (ids it leaves out
    have the default)."""
    if name not in DEFAULTS:
        raise ValueError(f"no project fact {name!r}")
    _readers[name] = reader


def read(project_ids: Sequence[int]) -> dict[str, dict[int, object]]:
    """Every fact of these projects, by fact name then project id: one query per reader."""
    if not project_ids:
        return {name: {} for name in DEFAULTS}
    return {name: _readers[name](project_ids) if name in _readers else {} for name in DEFAULTS}


def fact(facts: dict[str, dict[int, object]], name: str, project_id: int):
    return facts[name].get(project_id, DEFAULTS[name])

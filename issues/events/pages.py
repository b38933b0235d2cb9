"""The read behind an issue's events list: a page of events, newest first, in one statement.

The list shows a hundred events a page, each built from its stored payload: reading them as
model instances through the ORM, and compiling its query, cost more than the documents' own
work. Here a page is one statement of only the columns the items show, which come back as
ListedEvent tuples, converted as the ORM converts them.

On PostgreSQL the statement is prepared once per connection and planned generically, as
issues_api.statements prepares every statement of the read side: the events table is
partitioned by week (issues migration 0009), and planning the page's statement over its
partitions took 0.6-1 ms against 0.2-0.3 ms to run it (the 1,000,000-event issue of the
benchmark, 19 partitions). The generic plan is the custom one: each partition's (issue,
datetime) index read backwards, merged, and only the window's rows read (EXPLAIN ANALYZE of
EXECUTE, 1 and 1,000,000 events, with and without environments).
"""

# The SQL here is built from declarations in the code, never from input; values travel as
# parameters.
# ruff: noqa: S608

import json
from collections.abc import Callable, Hashable
from datetime import datetime
from functools import partial
from typing import NamedTuple

import orjson
from django.db import connection
from django.db.models import JSONField, Model
from django.db.models.base import ModelState

from issues.events.filters import NO_FILTERS, EventFilters
from issues.models import Environment, Event, Issue
from issues.selectors import environments_by_name
from issues_api.jsonrows import Dialect
from issues_api.memo import TextMemo
from issues_api.statements import Statements, execute


class ListedEvent(NamedTuple):
    """An event as the list shows it (Sentry's SimpleEventSerializer or, with ?full=true, its
    EventSerializer): the event's columns they read, and with ?full=true its environment."""

    event_id: str
    issue_id: int
    project_id: int
    message: str
    platform: str | None
    datetime: datetime
    received: datetime
    tags: list
    data: dict
    environment: Environment | None


# The event's fields in ListedEvent's order (its environment aside).
LISTED_FIELDS = tuple(
    Event._meta.get_field(name)
    for name in (
        "event_id",
        "issue",
        "project",
        "message",
        "platform",
        "datetime",
        "received",
        "tags",
        "data",
    )
)

_statements = Statements()

# An event's document, by what it is made of: the columns of its row as they were read (its
# payload and tags as text). Rows are events as stored, which ingest never rewrites; a page
# of a list repeated shows documents made once (issues_api.memo). Bounded by the payloads'
# text kept (about ten times that in objects).
# The positions of the row's text columns (its payload and tags), which the bound counts.
_TEXT_COLUMNS = tuple(
    position
    for position, field in enumerate(LISTED_FIELDS)
    if isinstance(field, JSONField) or field.name == "message"
)


def _text_of(key: tuple) -> int:
    _, row = key
    return sum(len(value) for position in _TEXT_COLUMNS if isinstance(value := row[position], str))


_shown = TextMemo(entries=4096, text=8_000_000, size_of=_text_of)


def _statement(
    *, environment: bool, number_of_environments: int, filters: EventFilters = NO_FILTERS
) -> str:
    vendor = connection.vendor
    forms = number_of_environments if vendor != "postgresql" else min(number_of_environments, 1)
    return _statements.get_or_build(
        (vendor, environment, forms, filters.form),
        lambda: _build_statement(
            Dialect(vendor),
            environment=environment,
            number_of_environments=number_of_environments,
            filters=filters,
        ),
    )


def _filters_sql(d: Dialect, filters: EventFilters) -> list[str]:
    """The conditions of the list's filters on the alias e (their values: _filters_params).
    The date range bounds the (issue, datetime) index scan and, on PostgreSQL, the weeks'
    partitions read; the others are checked on the rows that scan reads."""
    conditions = []
    if filters.start is not None:
        conditions.append('e."datetime" >= %(start)s')
    if filters.end is not None:
        conditions.append('e."datetime" < %(end)s')
    conditions += [f'e."event_id" = %(event_id_{i})s' for i in range(len(filters.event_ids))]
    like = "ILIKE" if d.postgresql else "LIKE"  # SQLite's LIKE ignores the case of ASCII
    conditions += [
        f"e.\"message\" {like} %(text_{i})s ESCAPE '\\'" for i in range(len(filters.texts))
    ]
    for i, (keys, _) in enumerate(filters.tags):
        if d.postgresql:
            # jsonb containment of the [key, value] pair.
            pairs = [f'e."tags" @> %(tag_{i}_{k})s::jsonb' for k in range(len(keys))]
            conditions.append(f"({' OR '.join(pairs)})")
        else:
            names = ", ".join(f"%(tag_{i}_{k})s" for k in range(len(keys)))
            conditions.append(
                'EXISTS (SELECT 1 FROM json_each(e."tags") t'
                f" WHERE json_extract(t.value, '$[0]') IN ({names})"
                f" AND json_extract(t.value, '$[1]') = %(tag_{i})s)"
            )
    return conditions


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters_params(d: Dialect, filters: EventFilters) -> dict:
    params = {}
    # As the ORM writes datetimes (SQLite compares them as text).
    adapt = connection.ops.adapt_datetimefield_value
    if filters.start is not None:
        params["start"] = adapt(filters.start)
    if filters.end is not None:
        params["end"] = adapt(filters.end)
    params |= {f"event_id_{i}": value for i, value in enumerate(filters.event_ids)}
    params |= {f"text_{i}": _like_pattern(value) for i, value in enumerate(filters.texts)}
    for i, (keys, value) in enumerate(filters.tags):
        if d.postgresql:
            params |= {f"tag_{i}_{k}": json.dumps([[key, value]]) for k, key in enumerate(keys)}
        else:
            params |= {f"tag_{i}_{k}": key for k, key in enumerate(keys)}
            params[f"tag_{i}"] = value
    return params


def _build_statement(
    d: Dialect, *, environment: bool, number_of_environments: int, filters: EventFilters
) -> str:
    """A window of the issue's events, newest first: the (issue, datetime) index reads them
    in order, and only the window's rows. With environment=True, each with its
    environment's columns."""
    columns = [f'e."{f.column}"' for f in LISTED_FIELDS]
    source = '"issues_event" e'
    if environment:
        columns += [f'v."{f.column}"' for f in Environment._meta.concrete_fields]
        source += ' JOIN "issues_environment" v ON v."id" = e."environment_id"'
    where = 'e."issue_id" = %(issue_id)s'
    if number_of_environments:
        where += " AND " + d.any('e."environment_id"', "environments", number_of_environments)
    for condition in _filters_sql(d, filters):
        where += f" AND {condition}"
    return (
        f"SELECT {', '.join(columns)} FROM {source} WHERE {where}"
        ' ORDER BY e."datetime" DESC, e."id" DESC LIMIT %(limit)s OFFSET %(offset)s'
    )


# Runs of 19 digits: an integer beyond 64 bits, which orjson reads as a float, has one.
_DIGITS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_RUN = b"0" * 19


def _json_from_db(value, expression, connection):
    """JSONField.from_db_value (of a field without a decoder), with orjson for the JSON it
    reads as the json module does: any without a run of 19 digits that it accepts. Any
    other text goes to from_db_value's json.loads."""
    if isinstance(value, str):
        encoded = value.encode("utf-8", "surrogatepass")
        if _LONG_RUN not in encoded.translate(_DIGITS):
            try:
                return orjson.loads(encoded)
            except orjson.JSONDecodeError:
                pass
    if value is None:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


# The ORM's converters of columns (JSON decoded, SQLite's datetimes parsed), per database
# vendor and fields: (position, column, functions) for the columns that have some.
_converters: dict[tuple, tuple] = {}


def _column_converters(fields: tuple) -> tuple:
    key = (connection.vendor, fields)
    converters = _converters.get(key)
    if converters is None:
        found = []
        for position, model_field in enumerate(fields):
            column = model_field.get_col(model_field.model._meta.db_table)
            functions = connection.ops.get_db_converters(column)
            functions += column.get_db_converters(connection)
            if isinstance(model_field, JSONField) and model_field.decoder is None:
                functions = [
                    _json_from_db if function == model_field.from_db_value else function
                    for function in functions
                ]
            if functions:
                found.append((position, column, tuple(functions)))
        converters = _converters[key] = tuple(found)
    return converters


def _converted(values: list, converters: tuple) -> list:
    for position, column, functions in converters:
        value = values[position]
        for function in functions:
            value = function(value, column, connection)
        values[position] = value
    return values


def _environment(values: list) -> Environment:
    """An Environment from its columns, as the ORM's from_db makes it but without
    Model.__init__'s per-field work (Environment has no pre_init or post_init receivers)."""
    fields = tuple(Environment._meta.concrete_fields)
    state = ModelState()
    state.adding = False
    state.db = connection.alias
    instance = Model.__new__(Environment)
    instance.__dict__ = {
        "_state": state,
        **dict(
            zip(
                (f.attname for f in fields),
                _converted(values, _column_converters(fields)),
                strict=True,
            )
        ),
    }
    return instance


class IssueEvents:
    """The issue's events, newest first (by time, then id), narrowed by the environments; a
    slice of it (what pagination asks for) is one statement. With environment=True each
    event has its environment."""

    def __init__(
        self,
        issue_id: int,
        *,
        environment_ids: list[int],
        environment: bool,
        shown: Callable[[ListedEvent], dict],
        shape: Hashable,
        filters: EventFilters = NO_FILTERS,
    ):
        self.issue_id = issue_id
        self.environment_ids = environment_ids
        self.environment = environment
        self.shown = shown
        self.shape = shape
        self.filters = filters

    def __getitem__(self, window: slice) -> list[dict]:
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("IssueEvents gives slices (start:stop) of events only")
        start, stop = window.start or 0, window.stop
        if stop is None or start < 0 or stop < start:
            raise ValueError("IssueEvents gives bounded slices only")
        sql = _statement(
            environment=self.environment,
            number_of_environments=len(self.environment_ids),
            filters=self.filters,
        )
        params = {"issue_id": self.issue_id, "limit": stop - start, "offset": start}
        d = Dialect(connection.vendor)
        if self.environment_ids:
            params |= d.any_params("environments", self.environment_ids)
        if self.filters is not NO_FILTERS:
            params |= _filters_params(d, self.filters)
        rows = execute(sql, params)
        return [_shown.get((self.shape, row), partial(self._shown, row)) for row in rows]

    def _shown(self, row: tuple) -> dict:
        """The document of the event of a row, as `shown` makes it from the event."""
        width = len(LISTED_FIELDS)
        values = _converted(list(row[:width]), _column_converters(LISTED_FIELDS))
        environment = _environment(list(row[width:])) if self.environment else None
        return self.shown(ListedEvent._make([*values, environment]))


def issue_events(
    issue: Issue,
    *,
    environments: list[Environment],
    shown: Callable[[ListedEvent], dict],
    shape: Hashable,
    environment: bool = True,
    filters: EventFilters = NO_FILTERS,
) -> IssueEvents:
    """The issue's events, newest first (by time, then id), each as `shown` makes its
    document, with their environment unless environment=False (the list's items do not show
    it), narrowed by `filters` (issues.events.filters). `shape` names what `shown` makes (and
    anything else it depends on, such as a grouping version): the documents are kept per
    process by it and the event's row, whatever the filters that found it."""
    return IssueEvents(
        issue.pk,
        environment_ids=[item.pk for item in environments],
        environment=environment,
        shown=shown,
        shape=shape,
        filters=filters,
    )


def issue_events_in(
    issue: Issue,
    *,
    environment_names: list[str],
    shown: Callable[[ListedEvent], dict],
    shape: Hashable,
    environment: bool = True,
    filters: EventFilters = NO_FILTERS,
) -> IssueEvents | list:
    """issue_events narrowed by environment names: an environment the issue's organization
    does not have has no events (Sentry's events list answers an empty page; the issue's
    other routes answer 404)."""
    try:
        environments = environments_by_name(
            organization_id=issue.project.organization_id, names=environment_names
        )
    except Environment.DoesNotExist:
        return []
    return issue_events(
        issue,
        environments=environments,
        shown=shown,
        shape=shape,
        environment=environment,
        filters=filters,
    )

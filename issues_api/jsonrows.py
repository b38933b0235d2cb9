"""Rows and their related rows as JSON, read in one SQL statement, then built into models.

The ORM reads a document of many small parts as one query per part, and compiling those
queries costs more CPU than running them (issue 10). Here a part is *declared* (a model, the
related rows to nest, the child rows to list) and turned once into SQL that asks the database
to build the JSON itself, with correlated subqueries on indexed keys; the statement's text is
the same from request to request, so PostgreSQL can keep its plan. The JSON comes back as
model instances, with the nested rows in their relation caches, so that serializers read
them as they would read rows from the ORM.

The same declaration gives PostgreSQL's and SQLite's SQL: only the JSON functions differ.
"""

# The SQL here is built from model metadata and declarations in the code, never from input;
# values travel as parameters.
# ruff: noqa: S608

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count

import orjson
from django.db import connection
from django.db.models import ForeignKey, Model, OneToOneRel
from django.db.models.base import ModelState
from psycopg.types.json import set_json_loads

from issues_api.statements import Statements, execute


class Dialect:
    """The JSON functions of one database."""

    def __init__(self, vendor: str):
        self.postgresql = vendor == "postgresql"
        self._aliases = count()

    def alias(self) -> str:
        return f"t{next(self._aliases)}"

    def any(self, column: str, name: str, number: int) -> str:
        """`column` among `number` values of the named parameter(s) any_params gives: one
        array parameter on PostgreSQL (one text for any number), one per value elsewhere."""
        if self.postgresql:
            return f"{column} = ANY(%({name})s)"
        if not number:
            return "1 = 0"
        return f"{column} IN ({', '.join(f'%({name}_{index})s' for index in range(number))})"

    def any_params(self, name: str, values) -> dict:
        values = list(values)
        if self.postgresql:
            return {name: values}
        return {f"{name}_{index}": value for index, value in enumerate(values)}

    def object(self, pairs: list[tuple[str, str]]) -> str:
        function = "json_build_object" if self.postgresql else "json_object"
        return f"{function}({', '.join(f"'{key}', {value}" for key, value in pairs)})"

    def values(self, values: list[str]) -> str:
        """A JSON array of the values, by position. PostgreSQL (15) builds one in about half
        the time of an object of the same values: an object's keys cost as much as its values,
        in every row."""
        function = "json_build_array" if self.postgresql else "json_array"
        return f"{function}({', '.join(values)})"

    def nested(self, sql: str) -> str:
        """JSON from a subquery, kept JSON (SQLite turns it into a string otherwise)."""
        return f"({sql})" if self.postgresql else f"json(({sql}))"

    def column(self, alias: str, model_field) -> str:
        sql = f'{alias}."{model_field.column}"'
        if model_field.get_internal_type() == "JSONField" and self.postgresql:
            # As its text, which build() decodes as Django would: stored JSON is the users'
            # own data, whose numbers may not fit the fast decoder of the statement's JSON.
            return f"{sql}::text"
        return sql

    def text(self, sql: str) -> str:
        """A JSON value as its text, left for the caller to decode (psycopg decodes json
        itself; SQLite gives text anyway)."""
        return f"({sql})::text" if self.postgresql else sql

    def array(self, value: str, order: str = "") -> str:
        """The aggregate of a subquery's JSON values, [] when there are none."""
        if self.postgresql:
            ordered = f" ORDER BY {order}" if order else ""
            return f"coalesce(json_agg({value}{ordered}), '[]'::json)"
        # SQLite 3.40 has no ORDER BY in aggregates; it aggregates in its subquery's order.
        return f"coalesce(json_group_array(json({value})), '[]')"

    def epoch(self, sql: str) -> str:
        """A timestamp (or date) column as whole seconds since the epoch (UTC)."""
        if self.postgresql:
            # date_part's double, not EXTRACT's numeric: a third of the cost per row, and
            # exact for whole seconds.
            return f"date_part('epoch', {sql})::bigint"
        # %% as the statement goes through the driver's %-style parameters.
        return f"CAST(strftime('%%s', {sql}) AS INTEGER)"

    def boolean(self, sql: str) -> str:
        return sql if self.postgresql else f"({sql}) = 1"


def dialect() -> Dialect:
    return Dialect(connection.vendor)


@dataclass(frozen=True)
class Newest:
    """Keep the newest row (by the Rows' order) of each group of equal `columns`, among the
    `among` newest rows, and every row for which `unless` (SQL on the alias `{a}`) holds."""

    columns: tuple[str, ...]
    among: int
    unless: str = "1 = 0"


@dataclass(frozen=True)
class Rows:
    """Child rows listed under a row: `model` rows whose `key` column equals the parent's
    primary key, with `where` (SQL on the alias `{a}`) and `order` ((column, descending)
    pairs), at most `limit`."""

    model: type[Model]
    key: str
    shape: "Shape | None" = None
    where: str = ""
    order: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    newest: Newest | None = None


@dataclass(frozen=True)
class Shape:
    """A row with the related rows to nest (forward foreign keys and reverse one-to-ones, by
    field name) and the child rows to list (by a name of one's choosing)."""

    related: dict[str, "Shape"] = field(default_factory=dict)
    children: dict[str, Rows] = field(default_factory=dict)


def object_sql(d: Dialect, model: type[Model], shape: Shape, alias: str) -> str:
    """SQL for the JSON of the row at `alias`, as build() reads it: an array of its columns
    (in the model's concrete field order), then its related rows and its child rows (in the
    shape's order). Inner aliases are numbered by the dialect, so one declaration gives one
    text."""
    values = [d.column(alias, f) for f in model._meta.concrete_fields]
    for name, related_shape in shape.related.items():
        relation = model._meta.get_field(name)
        inner = d.alias()
        if isinstance(relation, ForeignKey):
            target = relation.related_model
            condition = f'{inner}."{target._meta.pk.column}" = {alias}."{relation.column}"'
        elif isinstance(relation, OneToOneRel):
            target = relation.related_model
            condition = f'{inner}."{relation.field.column}" = {alias}."{model._meta.pk.column}"'
        else:
            raise TypeError(f"{model.__name__}.{name} is not a foreign key or a one-to-one")
        body = object_sql(d, target, related_shape, inner)
        values.append(
            d.nested(f'SELECT {body} FROM "{target._meta.db_table}" {inner} WHERE {condition}')
        )
    for rows in shape.children.values():
        values.append(rows_sql(d, rows, f'{alias}."{model._meta.pk.column}"'))
    return d.values(values)


def _rows_from(d: Dialect, rows: Rows, parent_key: str) -> tuple[str, str, str]:
    """The FROM and WHERE (with ORDER BY and LIMIT) of the child rows whose key column equals
    `parent_key`, the alias their columns are read at, and their ordering there."""
    table = rows.model._meta.db_table
    columns = {f.name: f.column for f in rows.model._meta.concrete_fields}

    def ordering(alias: str) -> str:
        return ", ".join(
            f'{alias}."{columns[name]}"{" DESC" if descending else ""}'
            for name, descending in rows.order
        )

    source = d.alias()
    where = f'{source}."{columns[rows.key]}" = {parent_key}'
    if rows.where:
        where += f" AND ({rows.where.format(a=source)})"
    if rows.newest is None:
        inner, rows_from = source, f'"{table}" {source} WHERE {where}'
    else:
        # Only the newest row of each group (its `newest` columns), among the newest
        # `newest.among` rows, unless `newest.unless` holds for it.
        window, inner = d.alias(), d.alias()
        partition = ", ".join(f'{window}."{columns[name]}"' for name in rows.newest.columns)
        candidates = f'SELECT * FROM "{table}" {source} WHERE {where}'
        candidates += f" ORDER BY {ordering(source)} LIMIT {int(rows.newest.among)}"
        ranked = (
            f"SELECT {window}.*, ROW_NUMBER() OVER (PARTITION BY {partition}"
            f" ORDER BY {ordering(window)}) AS newest_rank FROM ({candidates}) {window}"
        )
        rows_from = f"({ranked}) {inner}"
        rows_from += f" WHERE ({inner}.newest_rank = 1 OR {rows.newest.unless.format(a=inner)})"
    if rows.order:
        rows_from += f" ORDER BY {ordering(inner)}"
    if rows.limit is not None:
        rows_from += f" LIMIT {int(rows.limit)}"
    return rows_from, inner, columns


def rows_sql(d: Dialect, rows: Rows, parent_key: str) -> str:
    """SQL for the JSON array of the child rows whose key column equals `parent_key`."""
    rows_from, inner, columns = _rows_from(d, rows, parent_key)
    body = object_sql(d, rows.model, rows.shape or Shape(), inner)
    order_columns = ", ".join(
        f'{inner}."{columns[name]}" AS o{index}' for index, (name, _) in enumerate(rows.order)
    )
    outer_order = ", ".join(
        f"s.o{index}{' DESC' if descending else ''}"
        for index, (_, descending) in enumerate(rows.order)
    )
    select = f"{body} AS j" + (f", {order_columns}" if order_columns else "")
    return d.nested(
        f"SELECT {d.array('s.j', outer_order)} FROM (SELECT {select} FROM {rows_from}) s"
    )


def column_sql(d: Dialect, rows: Rows, parent_key: str, name: str) -> str:
    """SQL selecting the column of field `name` of the same child rows as rows_sql (its
    where, newest, order and limit), as `SELECT k FROM ...`, for `IN (...)` or a UNION."""
    rows_from, inner, columns = _rows_from(d, rows, parent_key)
    return f'SELECT s.k FROM (SELECT {inner}."{columns[name]}" AS k FROM {rows_from}) s'


_selects = Statements()


def select(model: type[Model], shape: Shape, where: str, params: dict) -> list:
    """The `model` rows matching `where` (SQL on the alias `a`, named parameters), each with
    the related rows `shape` nests (a module-level declaration: its text is kept)."""

    def build_select():
        body = object_sql(Dialect(connection.vendor), model, shape, "a")
        return f'SELECT {body} FROM "{model._meta.db_table}" a WHERE {where}'

    sql = _selects.get_or_build((connection.vendor, model, id(shape), where), build_select)
    children: dict = {}
    return [build(model, loads(row[0]), shape, children) for row in execute(sql, params)]


def loads(value):
    """A JSON column as Python: psycopg decodes json itself, sqlite3 gives the text."""
    return orjson.loads(value) if isinstance(value, str) else value


# The statements' JSON is made of the database's own values (64-bit integers, timestamps,
# text), which orjson decodes exactly and several times faster than the json module; stored
# JSON columns arrive as text inside it (Dialect.column). Django reads jsonb columns as text
# and decodes them itself, so only json values, which the ORM does not produce, come here.
set_json_loads(orjson.loads)


# A number of 19 digits or more may not fit 64 bits, which orjson reads as a float.
_LONG_NUMBER = re.compile(r"[0-9]{19}")


def _json_text(value):
    """A stored JSON column's text as Django reads it (json.loads): with orjson when the text
    has no number orjson would read otherwise (beyond 64 bits, infinite) or reject (NaN,
    lone surrogates), which it then says by raising."""
    if not isinstance(value, str):
        return value
    if _LONG_NUMBER.search(value) is None:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            pass
    return json.loads(value)


def parse_datetime(value):
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _converter(model_field, vendor: str):
    kind = model_field.get_internal_type()
    if kind == "DateTimeField":
        return parse_datetime
    if kind == "BooleanField" and vendor != "postgresql":
        # SQLite's JSON has 1 and 0 for them; PostgreSQL's has true and false.
        return lambda value: None if value is None else bool(value)
    if kind == "JSONField":
        return _json_text
    return None


@dataclass(frozen=True)
class _Layout:
    """How build() reads a model's row: its attribute names, the converters of the values
    that need one (by position), and the position of its primary key."""

    attnames: tuple[str, ...]
    converters: tuple[tuple[int, object], ...]
    pk_index: int
    width: int


_layouts: dict[tuple[type[Model], str], _Layout] = {}


def _layout(model: type[Model], vendor: str) -> _Layout:
    layout = _layouts.get((model, vendor))
    if layout is None:
        fields = model._meta.concrete_fields
        converters = tuple(
            (index, convert)
            for index, f in enumerate(fields)
            if (convert := _converter(f, vendor)) is not None
        )
        layout = _layouts[model, vendor] = _Layout(
            attnames=tuple(f.attname for f in fields),
            converters=converters,
            pk_index=[f.attname for f in fields].index(model._meta.pk.attname),
            width=len(fields),
        )
    return layout


def column_index(model: type[Model], attname: str | None = None) -> int:
    """Where a column (by default the primary key) is in a row's JSON from object_sql, for
    reading a row without building the instance."""
    _, vendor = _default_connection()
    layout = _layouts.get((model, vendor)) or _layout(model, vendor)
    return layout.pk_index if attname is None else layout.attnames.index(attname)


_PLAIN = Shape()


def build(model: type[Model], data: list | None, shape: Shape, children: dict, alias=None):
    """The model instance of a row's JSON from object_sql, its related rows in its relation
    caches. Child rows are put in `children`, under (name, the row's primary key), and the
    instances built, under (model, primary key, id of the shape).

    The instance is made as a row read from the database is, but without Model.__init__'s
    per-field work (a tenth of a large document's time): its attributes are set at once.
    The models read this way have no pre_init or post_init receivers.
    """
    default_alias, vendor = _default_connection()
    return _build(model, data, shape, children, alias or default_alias, vendor)


def build_rows(rows: Rows, data, children: dict, alias=None) -> list:
    default_alias, vendor = _default_connection()
    return _build_rows(rows, data, children, alias or default_alias, vendor)


@functools.cache
def _default_connection() -> tuple[str, str]:
    """The default connection's alias and vendor, which do not change in a process's life.
    `connection` is a proxy to a per-thread object: asked for them for every row, it cost a
    large document a seventh of its time, and a list of 25 issues a twentieth."""
    return connection.alias, connection.vendor


def _build(model, data, shape, children, alias, vendor):
    if data is None:
        return None
    layout = _layouts.get((model, vendor)) or _layout(model, vendor)
    pk = data[layout.pk_index]
    # A row shown several times (a user in activity, seen-by and participants) is built once.
    key = (model, pk, id(shape))
    instance = children.get(key)
    if instance is not None:
        return instance
    width = layout.width
    values = data[:width]
    for index, convert in layout.converters:
        value = values[index]
        if value is not None:
            values[index] = convert(value)
    state = ModelState()
    state.adding = False
    state.db = alias
    instance = children[key] = model.__new__(model)
    attributes = instance.__dict__
    attributes["_state"] = state
    attributes.update(zip(layout.attnames, values, strict=True))
    position = width
    if shape.related:
        cache = state.fields_cache
        for name, related_shape in shape.related.items():
            relation = model._meta.get_field(name)
            cache[relation.cache_name] = _build(
                relation.related_model, data[position], related_shape, children, alias, vendor
            )
            position += 1
    for name, rows in shape.children.items():
        children[name, pk] = _build_rows(rows, data[position], children, alias, vendor)
        position += 1
    return instance


def _build_rows(rows: Rows, data, children: dict, alias, vendor) -> list:
    shape = rows.shape or _PLAIN
    model = rows.model
    return [_build(model, item, shape, children, alias, vendor) for item in loads(data) or []]

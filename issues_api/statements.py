"""Running the statements issues_api.jsonrows builds: prepared once per PostgreSQL connection,
then only executed; and the bounded store of their texts, built once per form."""

import hashlib
import re
import weakref

from django.conf import settings

from issues_api.db_router import read_connection

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# The names of the statements each PostgreSQL connection has prepared, and their texts.
_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()
_texts: dict[str, str] = {}
_EXECUTE = re.compile(r"EXECUTE (jsonrows_[0-9a-f]+)")


def statement_text(executed: str) -> str:
    """The SQL a logged query ran: the prepared statement's text for an EXECUTE."""
    match = _EXECUTE.match(executed)
    return _texts.get(match.group(1), executed) if match else executed


def _form(sql: str) -> tuple[str, list[str], str]:
    """A statement's name (from its text's digest), its parameters' names in order, and the
    EXECUTE that runs it with them."""
    name = "jsonrows_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]
    _texts[name] = sql
    names = list(dict.fromkeys(_PLACEHOLDER.findall(sql)))
    arguments = ", ".join(f"%({key})s" for key in names)
    return name, names, f"EXECUTE {name}({arguments})" if names else f"EXECUTE {name}"


def execute(sql: str, params: dict) -> list[tuple]:
    """Run a statement with named parameters and return its rows.

    On PostgreSQL the statement is prepared once per connection (PREPARE, with the types
    the database infers) and then only EXECUTEd: planning a statement of many subqueries
    costs several times running it. The connection plans it generically
    (plan_cache_mode=force_generic_plan, set in settings), so no run plans again.
    ISSUES_API_PREPARED_STATEMENTS=0 turns this off, as DATABASE_POOLER does: PgBouncer in
    transaction mode keeps no SQL-level PREPARE from one transaction to the next.
    """
    connection = read_connection()
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or not settings.ISSUES_API_PREPARED_STATEMENTS:
            cursor.execute(sql, params)
            return cursor.fetchall()
        name, names, executed = _forms.get_or_build(sql, lambda: _form(sql))
        prepared = _prepared.setdefault(connection.connection, set())
        if name not in prepared:
            positions = {key: f"${index}" for index, key in enumerate(names, start=1)}
            text = _PLACEHOLDER.sub(lambda match: positions[match.group(1)], sql)
            # Once in a connection's life, as its own set-up (time zone, role) is: it goes
            # past the cursor, so that it is not counted among the queries of the request
            # that happens to come first.
            with connection.wrap_database_errors:
                connection.connection.execute(f"PREPARE {name} AS {text}")
            prepared.add(name)
        cursor.execute(executed, params)
        return cursor.fetchall()


class Statements(dict):
    """Statement texts built once per form, at most `limit` of them: SQLite's texts vary with
    the number of values a request names (environments, ids), and a bound keeps a client from
    growing a worker's memory with them."""

    def __init__(self, limit: int = 256):
        super().__init__()
        self.limit = limit

    def get_or_build(self, key, build):
        statement = self.get(key)
        if statement is None:
            if len(self) >= self.limit:
                self.clear()
            statement = self[key] = build()
        return statement


# Each statement text's name and parameters, worked out once: the issue GET's text is 15 KB,
# which hashing and scanning for placeholders on every request cost 25 µs.
_forms = Statements(limit=1024)

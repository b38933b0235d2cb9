"""Which database a read goes to: the primary ("default"), or the replica that
issues_api.replicas chose for the request.

The choice is made once per request and kept in a context variable, which is "default"
unless a read request (GET, HEAD) was given a replica. Writes always go to the primary, and
so does every read made inside a transaction opened on it (a write service's
transaction.atomic, select_for_update) and every read of the tables that must be current
(the database cache, the sessions, the admin's login lockouts).

The ORM asks ReplicaRouter (DATABASE_ROUTERS, set only when DATABASE_REPLICA_URLS is); the
SQL the service runs itself (issues_api.statements, the events pages, the subresources) asks
`read_connection()`. Without replicas the variable never changes: `read_connection()` is the
primary's connection and no router is installed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

# The alias the request's reads go to.
_read_alias: ContextVar[str] = ContextVar("issues_api_read_alias", default=DEFAULT_DB_ALIAS)

# Tables read on the primary only: the database cache (which also holds the writers' WAL
# positions), the admin's sessions and django-axes' lockouts, which a request may have
# written a moment ago.
PRIMARY_ONLY_APPS = frozenset({"django_cache", "sessions", "axes", "admin"})


def read_alias() -> str:
    """The alias of the database the current read goes to."""
    alias = _read_alias.get()
    if alias == DEFAULT_DB_ALIAS or in_write_transaction():
        return DEFAULT_DB_ALIAS
    return alias


def read_connection():
    """The connection the SQL of a read runs on (the service's own SQL, which no router sees)."""
    return connections[read_alias()]


def in_write_transaction() -> bool:
    """A transaction is open on the primary (not counting the ones a test case opens around
    each test): what is read in it must be what it writes and locks."""
    primary = connections[DEFAULT_DB_ALIAS]
    return primary.in_atomic_block and any(
        not getattr(block, "_from_testcase", False) for block in primary.atomic_blocks
    )


@contextmanager
def reads_from(alias: str) -> Iterator[None]:
    """The reads made in the block go to `alias` (a replica or "default")."""
    token = _read_alias.set(alias)
    try:
        yield
    finally:
        _read_alias.reset(token)


def reading_replica() -> bool:
    return _read_alias.get() != DEFAULT_DB_ALIAS


class ReplicaRouter:
    """Django's router: reads where the request's context says, writes on the primary."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replicas hold the primary's rows: any two of them may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas are read-only copies: the primary's migrations reach them by replication.
        return db == DEFAULT_DB_ALIAS

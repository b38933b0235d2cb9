"""Django's `migrate`, without the statement budget of requests (ISSUES_API_STATEMENT_TIMEOUT_MS):
a schema change on a big table may take minutes, and cancelling it halfway helps nobody.

Through a pooler in transaction mode (DATABASE_POOLER) a session's settings would stay on a
server connection that serves other clients next, so there the budget is lifted for one
transaction that holds every migration (PostgreSQL's DDL is transactional), and the service's
connection settings (ISSUES_API_CONNECTION_SETTINGS), which PgBouncer does not let ride in the
start-up packet, become the role's defaults in this database: every server connection the
pooler opens from then on starts with them."""

from django.conf import settings
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections, transaction


class Command(MigrateCommand):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        if settings.DATABASE_POOLER:
            with transaction.atomic(using=connection.alias):
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = 0")
                result = super().handle(*args, **options)
                set_role_defaults(connection, settings.ISSUES_API_CONNECTION_SETTINGS)
            return result
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        try:
            return super().handle(*args, **options)
        finally:
            # Back to the connection's own setting, for a process that goes on (the tests).
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")


def set_role_defaults(connection, values: dict[str, str | None]) -> None:
    """The connecting role's defaults in the current database (None: the server's own), for
    every session that starts from now on; and the same settings for this session, so that
    the server connection migrate ran on is like the ones opened after it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = connection.ops.quote_name(cursor.fetchone()[0])
        for name, value in values.items():
            # Names and values from the settings (validated numbers and a keyword), not input.
            if value is None:
                cursor.execute(f"ALTER ROLE CURRENT_USER IN DATABASE {database} RESET {name}")
                cursor.execute(f"RESET {name}")
            else:
                literal = "'" + value.replace("'", "''") + "'"
                cursor.execute(
                    f"ALTER ROLE CURRENT_USER IN DATABASE {database} SET {name} = {literal}"
                )
                cursor.execute(f"SET {name} = {literal}")

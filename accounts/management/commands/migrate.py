"""Django's `migrate`, without the statement budget of requests (ISSUES_API_STATEMENT_TIMEOUT_MS):
a schema change on a big table may take minutes, and cancelling it halfway helps nobody."""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections


class Command(MigrateCommand):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        try:
            return super().handle(*args, **options)
        finally:
            # Back to the connection's own setting, for a process that goes on (the tests).
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")

"""The database cache table (rate-limit counters shared by gunicorn workers), created with
migrate so that no deployment step is forgotten. Nothing is done when the cache is Redis."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_open_membership_and_token_revocation")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]

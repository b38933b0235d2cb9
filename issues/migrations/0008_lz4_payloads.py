"""The payload columns of the queue and of the events compressed with lz4 on PostgreSQL.

Their values (SDK events of a few KB) go to TOAST, compressed with pglz by default: per
INSERT of a 6.6 KB event, 170 us with pglz against 128 us with lz4 for the same size on disk
(PostgreSQL 15, this project's bench). Only values written from now on are affected; nothing
is rewritten. A server built without lz4 keeps pglz. SQLite: nothing to do."""

from django.db import migrations

COLUMNS = (("issues_ingestitem", "payload"), ("issues_event", "data"))


def use_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
        if not row or not row[0]:
            return
        for table, column in COLUMNS:
            cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION lz4')


def use_default(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, column in COLUMNS:
            cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION DEFAULT')


class Migration(migrations.Migration):
    dependencies = [("issues", "0007_ingest_failure")]

    operations = [migrations.RunPython(use_lz4, use_default)]

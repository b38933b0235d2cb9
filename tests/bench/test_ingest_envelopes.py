"""The envelopes `make bench` posts (bench/envelopes.py, bench/ingest.py) are what the real
sentry-sdk sends, and the service takes every one: a benchmark of refusals would measure
nothing."""

import brotli
import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from accounts.dsn import dsn
from accounts.models import ProjectKey
from bench.ingest import make_envelopes, write_bodies
from issues.models import Event, IngestItem

pytestmark = pytest.mark.django_db


def test_the_benchmarks_envelopes_are_accepted_and_digested(project, tmp_path):
    key = ProjectKey.objects.get(project=project)
    bodies, headers = make_envelopes(dsn(key, prefix="http://127.0.0.1"), 24, made_by_sdk=12)

    assert headers["Content-Encoding"] == "br"
    assert headers["X-Sentry-Auth"].startswith(f"Sentry sentry_key={key.public_key},")
    ids = [orjson.loads(brotli.decompress(body).split(b"\n", 1)[0])["event_id"] for body in bodies]
    assert len(set(ids)) == 24  # copies get event ids of their own
    client = Client()
    for body in bodies:
        response = client.post(
            f"/api/{project.pk}/envelope/",
            body,
            content_type=headers["Content-Type"],
            HTTP_CONTENT_ENCODING="br",
            HTTP_X_SENTRY_AUTH=headers["X-Sentry-Auth"],
        )
        assert response.status_code == 200, response.content
    assert IngestItem.objects.count() == 24
    call_command("digest_events", "--once")
    assert sorted(Event.objects.values_list("event_id", flat=True)) == sorted(ids)

    # wrk's script reads them back as written: a length line, then the bytes.
    path = tmp_path / "envelopes.bin"
    write_bodies(bodies, path)
    data, read = path.read_bytes(), []
    while data:
        length, _, data = data.partition(b"\n")
        read.append(data[: int(length)])
        data = data[int(length) :]
    assert read == bodies


def test_postgresqls_cpu_is_read_from_its_processes():
    """bench.ingest.postgres_cpu_seconds: the server's CPU time, growing with its work, or
    None where it cannot be read (SQLite, a server on another machine)."""
    from django.db import connection

    from bench.ingest import postgres_cpu_seconds

    before = postgres_cpu_seconds()
    if connection.vendor != "postgresql":
        assert before is None
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM generate_series(1, 2000000)")
    after = postgres_cpu_seconds()
    assert before is not None and after is not None
    assert after > before

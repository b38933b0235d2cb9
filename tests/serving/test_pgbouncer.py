"""The service through PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer): what a
session leaves on a pooled server connection reaches the next client, so the service leaves
nothing there; its connection settings (the statement budget) are the role's defaults, which
every server connection starts with; the API and ingest work; and many more clients than
server connections are served.

.ci/run's PgBouncer section runs the suite through a PgBouncer and sets DATABASE_POOLER and
PGBOUNCER_UPSTREAM (PostgreSQL's own address); these tests run there. They start PgBouncers of
their own (scripts/pgbouncer, Debian's pgbouncer) where they need a pool of a given size.
"""

import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connection
from django.utils import timezone

from issues.models import IngestItem, Issue, IssueStatus
from issues.services.accept_async import AcceptQueue
from issues.services.ingest import accepted_rows, events_digest
from issues_api.api.outage import CANCELLED
from tests.factories import EventPayloadFactory
from tests.helpers import issue_url
from tests.serving.servers import BASE_DIR, free_port
from tests.serving.test_wsgi_routes import post_event, served

pytestmark = pytest.mark.skipif(
    settings.DATABASE_POOLER != "pgbouncer",
    reason="through PgBouncer only: .ci/run's PgBouncer section sets DATABASE_POOLER",
)
UPSTREAM = os.environ.get("PGBOUNCER_UPSTREAM", "127.0.0.1:5432")


@contextmanager
def pgbouncer(*, pool_size: int):
    """A PgBouncer of this test's own, in transaction mode with a pool of `pool_size` server
    connections per database, in front of PostgreSQL; yields its port."""
    # Not under pytest's private tmp_path: as root, PgBouncer runs as the user postgres.
    directory = Path(tempfile.mkdtemp(prefix="issues-api-pgbouncer-"))
    port = free_port()
    environment = {
        **os.environ,
        "PGBOUNCER_LISTEN": f"127.0.0.1:{port}",
        "PGBOUNCER_UPSTREAM": UPSTREAM,
        "PGBOUNCER_POOL_SIZE": str(pool_size),
        "PGBOUNCER_USER": connection.settings_dict["USER"],
    }
    script = str(BASE_DIR / "scripts" / "pgbouncer")
    started = subprocess.run(  # noqa: S603 - our own script
        [script, "start", str(directory)], env=environment, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield port
    finally:
        subprocess.run([script, "stop", str(directory)], env=environment, check=True)  # noqa: S603
        shutil.rmtree(directory)


def client(port: int, dbname: str | None = None) -> psycopg.Connection:
    """A plain client of a PgBouncer, in autocommit: each statement its own transaction."""
    return psycopg.connect(
        host="127.0.0.1",
        port=port,
        dbname=dbname or connection.settings_dict["NAME"],
        user=connection.settings_dict["USER"],
        autocommit=True,
    )


def value(conn: psycopg.Connection, sql: str):
    return conn.execute(sql).fetchone()[0]


@contextmanager
def the_service_through(port: int):
    """The service's connection goes through the PgBouncer on `port` for a while."""
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(port)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


@pytest.fixture
def one_server_connection():
    """A PgBouncer whose pool holds one server connection: every client's transaction runs
    on the same server session, one after the other."""
    with pgbouncer(pool_size=1) as port:
        yield port


# The setting-up: every client goes through PgBouncer


@pytest.mark.django_db
def test_the_service_connects_through_pgbouncer(api, issue):
    assert api.get(issue_url(issue)).status_code == 200
    console = client(int(connection.settings_dict["PORT"]), dbname="pgbouncer")
    with console, console.cursor() as cursor:
        cursor.execute("SHOW CLIENTS")
        column = [described.name for described in cursor.description].index("database")
        databases = {row[column] for row in cursor.fetchall()}
    assert connection.settings_dict["NAME"] in databases
    assert settings.ISSUES_API_PREPARED_STATEMENTS is False
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "options" not in connection.settings_dict["OPTIONS"]


# Nothing of a session stays on a pooled server connection


@pytest.mark.django_db
def test_a_session_setting_reaches_the_next_client_of_a_pooled_server_connection(
    one_server_connection,
):
    """The hazard itself, which the next tests guard against: a session-level SET stays on the
    server connection, and the next client's transactions run with it."""
    with client(one_server_connection) as first, client(one_server_connection) as second:
        first.execute("SET synchronous_commit TO OFF")
        assert value(first, "SELECT pg_backend_pid()") == value(second, "SELECT pg_backend_pid()")
        assert value(second, "SHOW synchronous_commit") == "off"
        first.execute("RESET synchronous_commit")


@pytest.mark.django_db(transaction=True)
def test_the_accept_queue_commits_late_without_leaving_the_setting_behind(
    one_server_connection, project, settings
):
    settings.ISSUES_API_INGEST_SYNCHRONOUS_COMMIT = False
    event_id = uuid.uuid4().hex
    received = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = accepted_rows(project.pk, [(event_id, EventPayloadFactory(event_id=event_id))], received)

    async def accept() -> None:
        queue = AcceptQueue()
        try:
            await queue.put(rows)
        finally:
            await queue.close()

    with the_service_through(one_server_connection):
        asyncio.run(accept())
    with client(one_server_connection) as next_client:
        assert value(next_client, "SHOW synchronous_commit") == "on"
    assert IngestItem.objects.filter(project=project, event_id=event_id).exists()


@pytest.mark.django_db(transaction=True)
def test_the_accept_queue_prepares_nothing_through_pgbouncer(one_server_connection, project):
    """psycopg prepares a statement it has run 5 times: the next transaction may be on a
    server connection that does not have it."""
    received = connection.ops.adapt_datetimefield_value(timezone.now())

    async def accept() -> int | None:
        queue = AcceptQueue()
        try:
            for _ in range(7):
                event_id = uuid.uuid4().hex
                payload = EventPayloadFactory(event_id=event_id)
                await queue.put(accepted_rows(project.pk, [(event_id, payload)], received))
            return queue._connection.prepare_threshold
        finally:
            await queue.close()

    with the_service_through(one_server_connection):
        assert asyncio.run(accept()) is None
    with client(one_server_connection) as same_server_session:
        assert value(same_server_session, "SELECT count(*) FROM pg_prepared_statements") == 0
    assert IngestItem.objects.filter(project=project).count() == 7


@pytest.mark.django_db(transaction=True)
def test_migrate_lifts_the_budget_for_its_own_transaction_only(one_server_connection, monkeypatch):
    seen = []

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append((cursor.fetchone()[0], connection.in_atomic_block))

    monkeypatch.setattr(DjangoMigrate, "handle", handle)
    with the_service_through(one_server_connection):
        call_command("migrate", verbosity=0)

    assert seen == [("0", True)]
    with client(one_server_connection) as next_client:
        assert value(next_client, "SHOW statement_timeout") == "5s"


# The connection settings are the role's defaults


@pytest.mark.django_db(transaction=True)
def test_migrate_makes_the_connection_settings_the_roles_defaults_in_the_database():
    call_command("migrate", verbosity=0)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setconfig FROM pg_db_role_setting WHERE setrole = current_user::regrole"
            " AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        (defaults,) = cursor.fetchone()
    assert sorted(defaults) == [
        "plan_cache_mode=force_generic_plan",
        "random_page_cost=1.1",
        f"statement_timeout={settings.ISSUES_API_STATEMENT_TIMEOUT_MS}",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_statement_budget_applies_through_pgbouncer(settings, api, issue, monkeypatch):
    configured = settings.ISSUES_API_CONNECTION_SETTINGS
    settings.ISSUES_API_CONNECTION_SETTINGS = {**configured, "statement_timeout": "200"}

    def slow_subscribe(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")

    monkeypatch.setattr("issues.services.updates.subscribe", slow_subscribe)
    try:
        call_command("migrate", verbosity=0)
        # Server connections opened after migrate, by a PgBouncer started after it.
        with pgbouncer(pool_size=2) as port:
            with client(port) as fresh:
                assert value(fresh, "SHOW statement_timeout") == "200ms"
                started = time.monotonic()
                with pytest.raises(psycopg.errors.QueryCanceled):
                    fresh.execute("SELECT pg_sleep(5)")
                assert time.monotonic() - started < 2
            with the_service_through(port):
                response = api.put(issue_url(issue), {"status": "resolved"}, format="json")
        assert response.status_code == 503, response.content
        assert response.json() == {"detail": CANCELLED}
    finally:
        settings.ISSUES_API_CONNECTION_SETTINGS = configured
        call_command("migrate", verbosity=0)


# The service through it


@pytest.mark.django_db(transaction=True)
def test_the_issue_get_put_and_ingest_work_through_pgbouncer(api, issue, project):
    assert api.get(issue_url(issue)).status_code == 200
    response = api.put(issue_url(issue), {"status": "resolved"}, format="json")
    assert response.status_code == 200, response.content
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED

    assert post_event(project)["status"] == 200
    assert events_digest(batch=10) == 1

    answer = api.get(f"/api/0/projects/{project.organization.slug}/{project.slug}/issues/")
    assert answer.status_code == 200, answer.content
    # The event was the issue's (the same fingerprint): counted, and a regression.
    assert [(row["id"], row["count"]) for row in answer.json()] == [
        (str(issue.pk), str(issue.times_seen + 1))
    ]
    assert IngestItem.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_lost_server_connection_is_replaced_by_pgbouncer_without_a_503(api, issue, token):
    assert api.get(issue_url(issue)).status_code == 200
    name = connection.settings_dict["NAME"]
    host, port = UPSTREAM.rsplit(":", 1)
    with psycopg.connect(host=host, port=port, dbname="postgres", autocommit=True) as direct:
        ended = direct.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
            " FROM pg_stat_activity WHERE datname = %s",
            [name],
        ).fetchone()[0]
    assert ended >= 1
    time.sleep(0.2)  # PgBouncer sees the closed server connections on its next loop

    answer = served("GET", issue_url(issue), HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    assert answer["status"] == 200, answer["body"]


def test_fifty_clients_are_served_by_a_pool_of_five():
    """Fifty clients connected at once, each running transactions, on five server
    connections: PostgreSQL sees five sessions, whatever the number of app processes."""
    clients, pool_size = 50, 5
    with pgbouncer(pool_size=pool_size) as port:
        connected = threading.Barrier(clients)
        pids, errors = [], []

        def one_client():
            try:
                with client(port, dbname="postgres") as conn:
                    connected.wait(timeout=30)
                    for _ in range(3):
                        with conn.transaction():
                            pids.append(value(conn, "SELECT pg_backend_pid()"))
                            conn.execute("SELECT pg_sleep(0.01)")
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=one_client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert len(pids) == clients * 3
    assert len(set(pids)) <= pool_size

"""A database that cannot answer now: every statement runs under a budget, and a cancelled
statement or an unreachable PostgreSQL answers 503 JSON with Retry-After and logs one line,
never a traceback, from DRF's views and from the rest of Django (the admin, middleware) alike.
"""

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import InterfaceError, OperationalError, connection, connections
from django.test import Client
from rest_framework.test import APIClient

from issues.models import Activity, Bookmark, IssueStatus
from issues_api.api.outage import CANCELLED, RETRY_AFTER_SECONDS, UNREACHABLE
from tests.helpers import direct_to_postgresql, issue_url

BASE_DIR = Path(__file__).resolve().parent.parent

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement budgets and TCP outages are PostgreSQL's"
)


def assert_answered_503(response, detail: str) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": detail}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def assert_logged_one_line(caplog) -> logging.LogRecord:
    """One record at WARNING or above (Django's own "Service Unavailable" line included), and
    no traceback."""
    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(records) == 1, [record.getMessage() for record in records]
    assert records[0].exc_info is None and records[0].exc_text is None
    assert "\n" not in records[0].getMessage()
    return records[0]


def setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = %s", [name])
        return cursor.fetchone()[0]


# The statement budget


@postgresql_only
@pytest.mark.django_db
def test_the_configured_statement_budget_reaches_the_connection(settings):
    assert setting("statement_timeout") == str(settings.ISSUES_API_STATEMENT_TIMEOUT_MS)


@postgresql_only
@pytest.mark.django_db
def test_the_configured_random_page_cost_reaches_the_connection(settings):
    # Index lookups priced as the in-memory reads they are (issues_api.settings).
    assert float(setting("random_page_cost")) == settings.ISSUES_API_RANDOM_PAGE_COST == 1.1


def connection_settings_in_a_new_process(**env) -> dict:
    """Connect to the test database from a fresh process that reads `env` into its settings."""
    code = (
        "import json, django; django.setup(); from django.db import connection\n"
        "cursor = connection.cursor()\n"
        "cursor.execute(\"SELECT current_setting('statement_timeout'), "
        "current_setting('lock_timeout')\")\n"
        "print(json.dumps(cursor.fetchone()))"
    )
    process = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "issues_api.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    statement_timeout, lock_timeout = json.loads(process.stdout)
    return {"statement_timeout": statement_timeout, "lock_timeout": lock_timeout}


@postgresql_only
@pytest.mark.django_db
def test_the_statement_budget_comes_from_the_environment_and_keeps_the_url_options(settings):
    database = connection.settings_dict
    address = f"{database['HOST']}:{database['PORT']}"
    if settings.DATABASE_POOLER:
        # The start-up options are PostgreSQL's own way, which a pooler refuses: straight to it
        # (tests/serving/test_pgbouncer.py checks the pooler's way).
        address = os.environ.get("PGBOUNCER_UPSTREAM", "127.0.0.1:5432")
    url = f"postgres://{quote(database['USER'])}@{address}/{database['NAME']}"
    with_lock_timeout = f"{url}?options={quote('-c lock_timeout=2000')}"

    budget = connection_settings_in_a_new_process(
        DATABASE_URL=with_lock_timeout, ISSUES_API_STATEMENT_TIMEOUT_MS="1234", DATABASE_POOLER=""
    )
    no_budget = connection_settings_in_a_new_process(
        DATABASE_URL=url, ISSUES_API_STATEMENT_TIMEOUT_MS="0", DATABASE_POOLER=""
    )

    assert budget == {"statement_timeout": "1234ms", "lock_timeout": "2s"}
    assert no_budget["statement_timeout"] == "0"


@postgresql_only
@pytest.mark.django_db
def test_migrate_runs_without_the_statement_budget(monkeypatch, settings):
    seen = []
    monkeypatch.setattr(
        DjangoMigrate,
        "handle",
        lambda self, *args, **options: seen.append(setting("statement_timeout")),
    )

    call_command("migrate", verbosity=0)

    assert seen == ["0"]
    assert setting("statement_timeout") == str(settings.ISSUES_API_STATEMENT_TIMEOUT_MS)


@postgresql_only
@pytest.mark.django_db
def test_a_statement_over_budget_answers_503_and_changes_nothing(api, issue, monkeypatch, caplog):
    def slow_subscribe(batch, *args, **kwargs):
        batch.flush()  # the status and the activity row are written
        # The budget of this transaction only, short, then a statement that outruns it.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(10)")

    # Called after the status is written, so that the cancel must undo a write.
    monkeypatch.setattr("issues.services.updates.subscribe", slow_subscribe)

    response = api.put(
        f"/api/0/issues/{issue.pk}/", {"status": "resolved", "isBookmarked": True}, format="json"
    )

    assert_answered_503(response, CANCELLED)
    record = assert_logged_one_line(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        f"Statement cancelled (503): PUT /api/0/issues/{issue.pk}/"
    )
    issue.refresh_from_db()
    assert issue.status == IssueStatus.UNRESOLVED
    assert not Bookmark.objects.filter(issue=issue).exists()
    assert not Activity.objects.filter(issue=issue).exists()


# PostgreSQL cannot be reached


@pytest.fixture
def database_down(django_db_setup, django_db_blocker):
    """The default connection points at a port where nothing listens, as when PostgreSQL is
    down; the connection and its settings come back afterwards for the other tests. Yields
    the real address, to bring the database back within a test."""
    if connection.vendor != "postgresql":
        pytest.skip("a TCP outage needs PostgreSQL")
    # Bound but not listening: connecting is refused, and no other process can take the port.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed.getsockname()[1]))
        try:
            yield saved
        finally:
            connection.close()
            connection.settings_dict.update(saved)
            closed.close()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/0/issues/1/"),
        ("put", "/api/0/issues/1/"),
        ("get", "/api/0/organizations/"),
    ],
)
def test_the_api_answers_503_when_the_database_cannot_be_reached(
    database_down, caplog, method, url
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 64)

    response = getattr(client, method)(url, {"status": "resolved"} if method == "put" else None)

    assert_answered_503(response, UNREACHABLE)
    assert response["Access-Control-Expose-Headers"].startswith("X-Sentry-Error, Retry-After")
    record = assert_logged_one_line(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith(f"Database unavailable (503): {method.upper()} {url}: ")
    assert "refused" in record.getMessage()


def test_the_admin_answers_503_json_when_the_database_cannot_be_reached(database_down, caplog):
    client = Client(raise_request_exception=False)

    response = client.post(
        "/admin/login/", {"username": "admin@example.com", "password": "whatever"}
    )

    assert_answered_503(response, UNREACHABLE)
    assert (
        assert_logged_one_line(caplog)
        .getMessage()
        .startswith("Database unavailable (503): POST /admin/login/: ")
    )


def test_the_next_request_reconnects_once_the_database_is_back(database_down):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 64)
    assert client.get("/api/0/organizations/").status_code == 503

    connection.settings_dict.update(database_down)
    response = client.get("/api/0/organizations/")

    # The token was looked up, and is unknown.
    assert response.status_code == 401, response.content


# Both backends: the errors as Django raises them


def get_while_reading_raises(api, issue, monkeypatch, error: Exception):
    """GET the issue while reading it from the database raises `error`."""

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr("issues.apis.read_issues", fail)
    return api.get(issue_url(issue))


@pytest.mark.django_db
def test_a_connection_lost_in_the_api_answers_503(api, issue, monkeypatch, caplog):
    lost = InterfaceError("connection already closed")

    response = get_while_reading_raises(api, issue, monkeypatch, lost)

    assert_answered_503(response, UNREACHABLE)
    assert_logged_one_line(caplog)


@pytest.mark.django_db
def test_a_connection_lost_in_a_middleware_answers_503_json(api, issue, monkeypatch, caplog):
    from issues_api.api.headers import SentryHeadersMiddleware

    def lost(self, request):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(SentryHeadersMiddleware, "__call__", lost)
    api.raise_request_exception = False

    response = api.get(issue_url(issue))

    assert_answered_503(response, UNREACHABLE)
    assert_logged_one_line(caplog)


@pytest.mark.django_db
def test_other_database_errors_stay_a_500_with_their_traceback(api, issue, monkeypatch, caplog):
    # SQLite's words for a bug: an OperationalError without a SQLSTATE cause.
    broken = OperationalError("no such table: issues_issue")

    response = get_while_reading_raises(api, issue, monkeypatch, broken)

    assert response.status_code == 500, response.content
    assert json.loads(response.content)["detail"] == "Internal Error"
    assert "Retry-After" not in response
    assert any(record.exc_info for record in caplog.records)


# A kept connection whose server went away (a restart): the health check setting


def served_get(path: str, token) -> tuple[str, dict]:
    """GET through the WSGI application as gunicorn calls it (request_started and
    request_finished included, which the test client leaves out for connections)."""
    from wsgiref.util import setup_testing_defaults

    from issues_api.wsgi import application

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
    environ["HTTP_AUTHORIZATION"] = f"Bearer {token.plaintext}"
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    body = application(environ, start_response)
    try:
        b"".join(body)
    finally:
        body.close()
    return answer["status"], answer["headers"]


def end_the_backend_of(pid: int) -> None:
    """As a server restart would, from another connection."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@postgresql_only
@direct_to_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("checks", [False, True], ids=["without-checks", "with-checks"])
def test_a_connection_whose_server_went_away_is_replaced(issue, token, settings, checks, caplog):
    """Without health checks (the default: no SELECT 1 round trip per request), the first
    request on a dead connection answers 503 with Retry-After, and the next one is served on a
    new connection; with DATABASE_CONN_HEALTH_CHECKS, that first request is served already."""
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is False  # the default
    connection.close()
    connection.settings_dict["CONN_HEALTH_CHECKS"] = checks
    connection.settings_dict["CONN_MAX_AGE"] = 60
    try:
        path = issue_url(issue)
        assert served_get(path, token)[0] == "200 OK"
        end_the_backend_of(connection.connection.info.backend_pid)

        status, headers = served_get(path, token)
        if checks:
            assert status == "200 OK"
        else:
            assert status.startswith("503"), status
            assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert served_get(path, token)[0] == "200 OK"
    finally:
        connection.close()
        connection.settings_dict["CONN_HEALTH_CHECKS"] = False
        connection.settings_dict["CONN_MAX_AGE"] = 0


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "column"), [("issues_ingestitem", "payload"), ("issues_event", "data")]
)
def test_the_payload_columns_are_compressed_with_lz4(table, column):
    """issues migration 0008: SDK payloads of a few KB are TOASTed with lz4, cheaper to write
    than PostgreSQL's default pglz (when the server has lz4, as Debian's and the image's do)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        assert cursor.fetchone()[0] is True  # this machine's PostgreSQL, and CI's
        cursor.execute(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attname = %s",
            [table, column],
        )
        assert cursor.fetchone()[0] == "l"


# Through a pooler (DATABASE_POOLER): the settings, read in a fresh process


def settings_in_a_new_process(**env) -> subprocess.CompletedProcess:
    code = (
        "import json, issues_api.settings as s\n"
        "database = s.DATABASES['default']\n"
        "print(json.dumps([database['OPTIONS'], database.get('DISABLE_SERVER_SIDE_CURSORS'),"
        " s.ISSUES_API_PREPARED_STATEMENTS]))"
    )
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": "postgres://app@pooler:6432/db", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_through_pgbouncer_nothing_outlives_a_transaction_on_a_server_connection():
    pooled = settings_in_a_new_process(DATABASE_POOLER="pgbouncer")
    direct = settings_in_a_new_process(DATABASE_POOLER="")

    assert pooled.returncode == 0, pooled.stderr[-2000:]
    # No start-up options (PgBouncer refuses them), no prepared statements of jsonrows, no
    # server-side cursors.
    assert json.loads(pooled.stdout) == [{}, True, False]
    options, cursors_off, prepared = json.loads(direct.stdout)
    assert options == {
        "options": "-c plan_cache_mode=force_generic_plan -c random_page_cost=1.1"
        " -c statement_timeout=5000"
    }
    assert (cursors_off, prepared) == (False, True)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_POOLER": "pgpool"}, "DATABASE_POOLER is pgbouncer or empty (no pooler)."),
        (
            {
                "DATABASE_POOLER": "pgbouncer",
                "DATABASE_URL": "postgres://app@pooler:6432/db?options=-c%20work_mem%3D64MB",
            },
            "DATABASE_URL gives options=..., which PgBouncer refuses (DATABASE_POOLER)",
        ),
        (
            {"DATABASE_POOLER": "pgbouncer", "ISSUES_API_PREPARED_STATEMENTS": "1"},
            "ISSUES_API_PREPARED_STATEMENTS cannot be on with DATABASE_POOLER",
        ),
    ],
    ids=["unknown-pooler", "url-options", "prepared-statements"],
)
def test_a_pooler_setting_that_cannot_work_refuses_to_start(env, message):
    process = settings_in_a_new_process(**env)

    assert process.returncode != 0
    assert message in process.stderr

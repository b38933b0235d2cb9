"""Against a real streaming replica (scripts/replica: pg_basebackup -R of the test cluster,
on 127.0.0.1:5433): reads served by it, read-your-writes while its replay is paused, reads
going on while it is stopped, and coming back to it once it replays or runs again.

replica1 is the real replica (a test mirror: Django gives it the name of the primary's test
database, which pytest-django made on the primary and which is there by replication)."""

import shutil
import subprocess
import time

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from issues_api import replicas
from issues_api.replicas import client_key
from tests.helpers import client_for, issue_url
from tests.replicas.conftest import needs_replicas

pytestmark = [needs_replicas, pytest.mark.django_db(transaction=True, databases="__all__")]
REPLICA = "replica1"


def replica_sql(sql: str):
    """One statement on the replica, on a connection of its own (not the service's)."""
    real = settings.DATABASES[REPLICA]
    with psycopg.connect(
        host=real["HOST"],
        port=real["PORT"],
        user=real["USER"],
        dbname="postgres",
        autocommit=True,
        connect_timeout=2,
    ) as connection:
        return connection.execute(sql).fetchone()


def primary_position() -> int:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return replicas.lsn_number(cursor.fetchone()[0])


def replayed() -> int:
    return replicas.lsn_number(replica_sql("SELECT pg_last_wal_replay_lsn()::text")[0])


def wait_for(condition, seconds: float = 30, what: str = "the replica"):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not come within {seconds} s"
        time.sleep(0.05)


def replica_answers() -> bool:
    try:
        return replica_sql("SELECT pg_is_in_recovery()")[0] is True
    except psycopg.OperationalError:
        return False


def cluster() -> list[str]:
    """The replica's Debian cluster, as pg_ctlcluster names it ("15", "replica")."""
    return replica_sql("SHOW cluster_name")[0].split("/")


def pg_ctlcluster(action: str) -> None:
    version, name = cluster_name
    subprocess.run(  # noqa: S603 - Debian's tool, our own arguments
        [
            shutil.which("pg_ctlcluster") or "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            name,
            action,
            *EXTRA[action],
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


EXTRA = {"stop": ["-m", "fast"], "start": []}
cluster_name: list[str] = []


@pytest.fixture(autouse=True)
def real_replica(settings, replica_on):
    """replica1 on the real replica (the test database's name kept), caught up with the
    primary; replay resumed and the replica running again afterwards, whatever the test did."""
    if not replica_answers():
        pytest.fail("DATABASE_REPLICA_URLS does not answer as a standby: run scripts/replica")
    cluster_name[:] = cluster()
    settings.DATABASE_REPLICA_STATUS_SECONDS = 0
    settings.DATABASE_REPLICA_RETRY_SECONDS = 0.2
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 60
    real = settings.DATABASES[REPLICA]
    replica_on(real["HOST"], real["PORT"], real["OPTIONS"])
    yield
    if not replica_answers():
        pg_ctlcluster("start")
        wait_for(replica_answers)
    replica_sql("SELECT pg_wal_replay_resume()")


@pytest.fixture
def caught_up():
    """Wait until the replica has replayed everything the primary wrote so far."""

    def wait():
        position = primary_position()
        wait_for(lambda: replayed() >= position, what="the replica's replay")

    return wait


def read(client, issue, alias_expected: str):
    """A GET of the issue; the alias whose connection served it must be alias_expected.
    (Not CaptureQueriesContext: it connects, and the replica may be down.)"""
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connections[REPLICA].execute_wrapper(record):
        response = client.get(issue_url(issue))
    assert response.status_code == 200, response.content
    # Not counting the question of its replay position (issues_api.replicas).
    reads = [sql for sql in statements if "pg_last_wal_replay_lsn" not in sql]
    served_by = REPLICA if reads else DEFAULT_DB_ALIAS
    assert served_by == alias_expected
    return response.json()


def test_reads_are_served_by_the_replica(issue, user, caught_up):
    caught_up()
    client = client_for(user)
    caught_up()
    document = read(client, issue, REPLICA)
    assert document["id"] == str(issue.pk)
    # The connection that served it is the standby on its own port, named as its alias.
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT inet_server_port(), pg_is_in_recovery(), current_setting('application_name')"
        )
        assert cursor.fetchone() == (
            int(settings.DATABASES[REPLICA]["PORT"]),
            True,
            "issues-api-replica1",
        )
    sessions = replica_sql(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'issues-api-replica1'"
    )
    assert sessions[0] >= 1


def test_with_replay_paused_the_writer_reads_its_write_and_others_the_replica(
    issue, user, caught_up
):
    writer, other = client_for(user), client_for(user)
    caught_up()
    replica_sql("SELECT pg_wal_replay_pause()")
    wait_for(lambda: replica_sql("SELECT pg_get_wal_replay_pause_state()")[0] == "paused")

    response = writer.put(issue_url(issue), {"status": "resolved"}, format="json")
    assert response.status_code == 200, response.content

    # The writer reads its write, from the primary: the replica has not replayed it.
    assert read(writer, issue, DEFAULT_DB_ALIAS)["status"] == "resolved"
    # Another client reads the replica, which has not yet: an older state, but its own.
    assert read(other, issue, REPLICA)["status"] == "unresolved"

    replica_sql("SELECT pg_wal_replay_resume()")
    written = cache.get(client_key(type("R", (), {"META": writer._credentials})()))
    wait_for(lambda: replayed() >= written, what="the replica's replay")
    # Replay resumed: the writer is back on the replica, which now has its write.
    assert read(writer, issue, REPLICA)["status"] == "resolved"
    assert read(other, issue, REPLICA)["status"] == "resolved"


def test_a_replica_paused_past_the_lag_bound_is_skipped(issue, user, caught_up, settings):
    client = client_for(user)
    caught_up()
    replica_sql("SELECT pg_wal_replay_pause()")
    wait_for(lambda: replica_sql("SELECT pg_get_wal_replay_pause_state()")[0] == "paused")
    # Something to replay, which waits.
    assert (
        client_for(user).put(issue_url(issue), {"status": "resolved"}, format="json").status_code
        == 200
    )
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 0.5
    time.sleep(1)
    assert read(client, issue, DEFAULT_DB_ALIAS)["status"] == "resolved"
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 60
    assert read(client, issue, REPLICA)["status"] == "unresolved"


def test_a_token_made_while_replay_is_paused_authenticates(issue, user, caught_up):
    caught_up()
    replica_sql("SELECT pg_wal_replay_pause()")
    wait_for(lambda: replica_sql("SELECT pg_get_wal_replay_pause_state()")[0] == "paused")
    # Only the primary has the token: it is looked up there, the issue read on the replica.
    assert read(client_for(user), issue, REPLICA)["id"] == str(issue.pk)


def test_a_stopped_replica_is_skipped_and_reads_return_to_it_when_it_runs(issue, user, caught_up):
    client = client_for(user)
    caught_up()
    read(client, issue, REPLICA)

    pg_ctlcluster("stop")
    for _ in range(3):
        assert read(client, issue, DEFAULT_DB_ALIAS)["id"] == str(issue.pk)

    pg_ctlcluster("start")
    wait_for(replica_answers)
    caught_up()
    time.sleep(settings.DATABASE_REPLICA_RETRY_SECONDS)
    read(client, issue, REPLICA)


def test_a_replica_stopped_in_the_middle_of_a_run_costs_no_5xx(issue, user, caught_up, settings):
    # Its status is kept: the next read goes to it without asking, and finds it gone.
    settings.DATABASE_REPLICA_STATUS_SECONDS = 600
    client = client_for(user)
    caught_up()
    read(client, issue, REPLICA)
    pg_ctlcluster("stop")
    response = client.get(issue_url(issue))
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(issue.pk)

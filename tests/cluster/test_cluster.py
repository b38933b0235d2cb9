"""Many of everything, at once, on one machine (docs/scaling.md): the cluster scripts/cluster
started (nginx, two API gunicorns, two ingest gunicorns, two digest workers, PgBouncer, the
primary and its streaming replica, Redis) under load, while one of each goes away.

Runs only when CLUSTER_DIR names the directory of a started cluster (CI: .ci/run); the test
talks to it as its clients do, over HTTP through nginx, and reads the primary directly only
to judge the outcome. It kills processes and stops the replica, then starts them again with
`scripts/cluster start` (the replica with scripts/replica, as root).

- SDK programs (sentry-sdk, through nginx) send events, each with an id and a message of its
  own, under a few fingerprints; API clients, each with its own token and issue, PUT a change
  (status, bookmark, assignment) and GET the issue at once.
- A few seconds in: kill -9 one API gunicorn's master, one ingest gunicorn's master and one
  digest worker, and stop the replica (pg_ctlcluster ... stop); the clients go on. Then all
  are started again, and the queue drains.
- Every event the SDK got a 200 for is stored once, each issue's count and its events list
  are the events stored for it, and none was stored that was not sent.
- No GET and no PUT was answered 5xx (nginx sends a request the killed instance could not
  take to the other one); an envelope may be answered 502 only while the ingest instance is
  being killed (nginx does not send a POST again), and the SDK drops it, as it would any.
- No client read an older state than it had written.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
import urllib3

from issues.seed import EMAIL
from tests.cluster.clients import Sender, Writer

CLUSTER_DIR = os.environ.get("CLUSTER_DIR", "")
pytestmark = pytest.mark.skipif(
    not CLUSTER_DIR,
    reason="set CLUSTER_DIR to the directory of a cluster started by scripts/cluster (CI does)",
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SENDERS = 3
SEND_INTERVAL = 0.05
FINGERPRINTS = 4
# Seconds of load before the kills, while one of each is down, and after all came back.
BEFORE = 6
DOWN = 8
AFTER = 6
DRAIN_SECONDS = 60
APPLY_DELAY = "300ms"
PG_CTLCLUSTER = shutil.which("pg_ctlcluster") or "/usr/bin/pg_ctlcluster"


def cluster_env() -> dict[str, str]:
    lines = (Path(CLUSTER_DIR) / "cluster.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def pid(name: str) -> int:
    return int((Path(CLUSTER_DIR) / "run" / f"{name}.pid").read_text())


def access_lines(name: str) -> int:
    path = Path(CLUSTER_DIR) / "log" / f"{name}-access.log"
    return len(path.read_text().splitlines()) if path.exists() else 0


def query(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def wait_until(what: str, condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if outcome := condition():
            return outcome
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {seconds} s")


def stored(database: str, event_ids) -> dict[str, list[int]]:
    """The issue of each stored copy of these events (several copies would be a bug)."""
    copies: dict[str, list[int]] = {}
    rows = query(
        database,
        "SELECT event_id, issue_id FROM issues_event WHERE event_id = ANY(%s)",
        [list(event_ids)],
    )
    for event_id, issue_id in rows:
        copies.setdefault(event_id, []).append(issue_id)
    return copies


def queue_empty(database: str) -> bool:
    return query(database, "SELECT count(*) FROM issues_ingestitem")[0][0] == 0


def api_get(http, env, token, path):
    answer = http.request(
        "GET", f"{env['CLUSTER_URL']}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 200, (path, answer.status, answer.data[:300])
    return answer


def events_listed(http, env, token, issue_id) -> set[str]:
    """Every event id of the issue's events list, page after page (its Link header)."""
    ids: set[str] = set()
    path = f"/api/0/issues/{issue_id}/events/?per_page=100"
    while path:
        answer = api_get(http, env, token, path)
        ids |= {event["eventID"] for event in answer.json()}
        path = None
        for link in answer.headers.get("Link", "").split(","):
            if 'rel="next"' in link and 'results="true"' in link:
                url = link.split(";")[0].strip().strip("<>")
                path = url.removeprefix(env["CLUSTER_URL"])
    return ids


def restart_cluster() -> None:
    subprocess.run(  # noqa: S603 - the repository's own script
        [str(BASE_DIR / "scripts" / "cluster"), "start", CLUSTER_DIR],
        check=True,
        timeout=180,
    )


def stop_replica(env) -> None:
    version, name = env["CLUSTER_REPLICA_CLUSTER"].split("/")
    subprocess.run(  # noqa: S603 - Debian's postgresql-common
        [PG_CTLCLUSTER, "--skip-systemctl-redirect", version, name, "stop", "-m", "fast"],
        check=True,
        timeout=60,
    )


@pytest.fixture
def lagging_replica():
    """The replica applies what it receives 300 ms late (recovery_min_apply_delay, set on it
    for the test): a read just after a write finds it behind, as under a real load, so a read
    sent there regardless would show the older state."""
    replica = cluster_env()["CLUSTER_REPLICA_URL"]
    query(replica, f"ALTER SYSTEM SET recovery_min_apply_delay = '{APPLY_DELAY}'")
    query(replica, "SELECT pg_reload_conf()")
    yield
    query(replica, "ALTER SYSTEM RESET recovery_min_apply_delay")
    query(replica, "SELECT pg_reload_conf()")


@pytest.mark.usefixtures("lagging_replica")
def test_the_cluster_counts_every_event_once_and_reads_your_writes_while_one_of_each_goes():
    began = time.monotonic()
    env = cluster_env()
    database = env["CLUSTER_DATABASE_URL"]
    tokens = env["CLUSTER_TOKENS"].split(",")
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(10))
    run = os.urandom(4).hex()

    # Each API client's issue, made by an SDK event and digested before the clients start.
    maker = Sender(env["CLUSTER_DSN"], [], SEND_INTERVAL)
    first = {token: maker.send(f"cluster-{run}-writer-{n}") for n, token in enumerate(tokens)}
    made = maker.finish()
    assert {made[event_id][0] for event_id in first.values()} == {200}
    issues = wait_until(
        "the API clients' issues digested",
        lambda: (
            (copies := stored(database, first.values()))
            and len(copies) == len(first)
            and {event_id: copies[event_id][0] for event_id in first.values()}
        ),
        DRAIN_SECONDS,
    )
    writers = [
        Writer(env["CLUSTER_URL"], token, str(issues[first[token]]), EMAIL) for token in tokens
    ]
    senders = [
        Sender(
            env["CLUSTER_DSN"], [f"cluster-{run}-{n}" for n in range(FINGERPRINTS)], SEND_INTERVAL
        )
        for _ in range(SENDERS)
    ]
    for client in (*writers, *senders):
        client.start()
    loaded_at = time.monotonic()

    time.sleep(BEFORE)
    killed_at = time.monotonic()
    try:
        for name in ("api1", "ingest1", "digest1"):
            os.kill(pid(name), signal.SIGKILL)
        stop_replica(env)
        time.sleep(DOWN)
        reads_while_down = sum(1 for writer in writers for at in writer.reads if at > killed_at)
        api1_before_restart = access_lines("api1")
    finally:
        # Whatever happened, what was killed comes back (the replica too, for what runs next).
        restart_cluster()
    back_at = time.monotonic()
    time.sleep(AFTER)

    answers: dict[str, tuple[int | None, float]] = {}
    sent: dict[str, str] = {}
    for sender in senders:
        answers |= sender.finish()
        sent |= sender.sent
    for writer in writers:
        writer.finish()
    stopped_at = time.monotonic()
    wait_until("the digest queue drained", lambda: queue_empty(database), DRAIN_SECONDS)
    drained_at = time.monotonic()
    # The counts below are read through the API by a token that wrote none of them, which
    # may read the replica (only a client's own writes must be there): wait until it has
    # replayed the digest's last commit, which it applies APPLY_DELAY late.
    written = query(database, "SELECT pg_current_wal_lsn()::text")[0][0]
    wait_until(
        "the replica replayed the digest",
        lambda: query(
            env["CLUSTER_REPLICA_URL"],
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
            [written],
        )[0][0],
        DRAIN_SECONDS,
    )

    print(
        f"{len(sent)} events sent, {len(answers)} answered",
        f"({sum(status == 200 for status, _ in answers.values())} with 200);",
        f"{sum(w.writes for w in writers)} PUTs, {sum(len(w.reads) for w in writers)} GETs,",
        f"{reads_while_down} while one of each was down;",
        f"setup {loaded_at - began:.1f} s, restart {back_at - killed_at - DOWN:.1f} s,",
        f"flush {stopped_at - back_at - AFTER:.1f} s, drain {drained_at - stopped_at:.1f} s",
    )
    # Every event the SDK got a 200 for is stored once; nothing stored that was not sent.
    accepted = {event_id for event_id, (status, _) in answers.items() if status == 200}
    copies = stored(database, sent)
    assert len(accepted) > 0.9 * len(sent), (len(accepted), len(sent))
    assert accepted <= copies.keys(), sorted(accepted - copies.keys())[:10]
    assert {event_id: ids for event_id, ids in copies.items() if len(ids) > 1} == {}
    # Only an envelope on its way to the killed ingest instance may be refused: a 502 from
    # nginx (a POST is not sent to the other upstream once sent), within a second or so.
    refused = {
        (status, round(at - killed_at, 1)) for status, at in answers.values() if status != 200
    }
    assert {(status, at) for status, at in refused if status != 502 or not 0 <= at < 5} == set()

    # Each issue's count (its times_seen) and its events list are the events stored for it.
    by_issue: dict[int, set[str]] = {}
    for event_id, (issue_id,) in copies.items():
        by_issue.setdefault(issue_id, set()).add(event_id)
    assert len(by_issue) == FINGERPRINTS
    for issue_id, event_ids in by_issue.items():
        issue = api_get(http, env, tokens[0], f"/api/0/issues/{issue_id}/").json()
        assert issue["count"] == str(len(event_ids))
        assert events_listed(http, env, tokens[0], issue_id) == event_ids

    # No 5xx for the API's clients, no stale read; reads went on while one of each was down.
    assert [(w.url, f) for w in writers for f in w.failures] == []
    assert [stale for writer in writers for stale in writer.stale] == []
    assert all(writer.writes > 10 for writer in writers)
    assert reads_while_down > 0
    # nginx balanced both API instances, and the restarted one serves again.
    assert access_lines("api2") > 0
    assert access_lines("api1") > api1_before_restart
    assert back_at > killed_at
    # Reads are served by the replica again once it is back: its sessions of the service.
    wait_until(
        "reads on the replica",
        lambda: (
            api_get(http, env, tokens[0], f"/api/0/issues/{issue_id}/")
            and replica_sessions(env["CLUSTER_REPLICA_URL"])
        ),
        20,
    )


def replica_sessions(replica: str) -> int:
    """The service's sessions on the replica (application_name issues-api-replica1)."""
    return query(
        replica,
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name LIKE 'issues-api-replica%%'",
    )[0][0]

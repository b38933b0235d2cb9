"""Fixtures of the read-replica suites, which run only when DATABASE_REPLICA_URLS names a
replica (CI: scripts/replica makes a streaming replica on 127.0.0.1:5433, then .ci/run runs
this folder with DATABASE_REPLICA_URLS pointing at it).

In a test run the replica aliases are test mirrors of the primary (settings: TEST MIRROR):
Django gives them the name of the primary's test database, which reaches the real replica by
replication. test_router.py points replica1 at the primary itself (what the replica says of
its replay is the test's to choose there, and must not race the real replay);
test_streaming.py uses the real replica."""

import time

import pytest
from django.conf import settings
from django.db import connections

from issues_api import replicas
from issues_api.replicas import ReplicaStatus

REPLICAS_CONFIGURED = bool(getattr(settings, "DATABASE_REPLICAS", None))
needs_replicas = pytest.mark.skipif(
    not REPLICAS_CONFIGURED,
    reason="set DATABASE_REPLICA_URLS (scripts/replica makes one) to run the replica suites",
)


@pytest.fixture(autouse=True)
def fresh_replica_statuses():
    """Each test starts with no replica status kept and none left alone as down."""
    replicas._statuses.clear()
    replicas._down_until.clear()
    yield
    replicas._statuses.clear()
    replicas._down_until.clear()


class ReplicaSays:
    """What the replicas answer when asked of their replay position and lag (test_router: the
    mirror is the primary, which is no standby), and how often they were asked."""

    def __init__(self):
        self.replayed = 2**63
        self.lag_seconds = 0.0
        self.asked = 0

    def __call__(self, alias):
        self.asked += 1
        return ReplicaStatus(self.replayed, self.lag_seconds, time.monotonic())


@pytest.fixture
def replica_says(monkeypatch) -> ReplicaSays:
    says = ReplicaSays()
    monkeypatch.setattr(replicas, "ask_replica", says)
    return says


@pytest.fixture
def replica_on(settings):
    """replica_on(host, port) points replica1's connection there for the test (the test
    database's name kept)."""
    connection = connections["replica1"]
    kept = connection.settings_dict

    def point(host, port, options=None):
        connection.close()
        connection.settings_dict = {
            **kept,
            "HOST": host,
            "PORT": port,
            "OPTIONS": kept["OPTIONS"] if options is None else options,
        }
        return connection

    yield point
    connection.close()
    connection.settings_dict = kept

"""Fixtures of the read-replica suites, which run only when DATABASE_REPLICA_URLS names a
replica (CI: scripts/replica makes a streaming replica on 127.0.0.1:5433, then .ci/run runs
this folder with DATABASE_REPLICA_URLS pointing at it).

In a test run the replica aliases are test mirrors of the primary (settings: TEST MIRROR):
Django points them at the primary's test database, so test_router.py sees the routing with
one database. test_streaming.py points replica1 back at the real replica, where the same test
database has arrived by replication."""

import time

import pytest
from django.conf import settings

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

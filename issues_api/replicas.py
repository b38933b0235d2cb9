"""Reads on replicas without stale reads for the writer (DATABASE_REPLICA_URLS).

Once per API request, ReadReplicaMiddleware decides where its reads go (issues_api.db_router):

- A write (POST, PUT, PATCH, DELETE) runs on the primary. When it succeeded, the primary's
  WAL position after it (`pg_current_wal_lsn()`, the transaction having committed) is kept in
  the cache under the client's token.
- A read (GET, HEAD) goes to a replica that has replayed that position
  (`pg_last_wal_replay_lsn()`), so the client reads what it wrote, however far the replica
  lags; to the primary when no replica has. A replica that does not answer, is not a standby,
  or is further behind than DATABASE_REPLICA_MAX_LAG_SECONDS is skipped; a read that a
  replica failed in the middle (503: the connection lost) is answered again from the
  primary, so a replica going away costs no 5xx.

Per token, not per user: the token is in the request's header, so the decision needs no
query before it (the user is known only once the token was read, from some database); and a
token is what a client is (a CLI, an integration, a script), while one user's tokens are
often different programs that do not read each other's writes.

What each replica said of itself (its replay position, its lag) is kept by the process for
DATABASE_REPLICA_STATUS_SECONDS: a position only grows, so a kept one that has reached the
client's write proves the replica has; a kept one that has not is asked again, once per
request. A replica that failed to answer is left alone for DATABASE_REPLICA_RETRY_SECONDS.
"""

import hashlib
import itertools
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from issues_api.db_router import reads_from

logger = logging.getLogger("issues_api")

READS = frozenset({"GET", "HEAD"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PATH = "/api/"
_CACHE_PREFIX = "issues-api:written-lsn:"

# What a replica says of itself: how far it replayed, and how far behind that is: the age of
# the last transaction it replayed, or 0 when it streams from the primary and has replayed all
# it received (an idle primary sends nothing to replay, and the age would grow). A replica
# that lost its primary has no streaming WAL receiver: its age counts. (Without
# pg_read_all_stats the receiver's status is hidden, its pid is not: a visible receiver
# without a status counts as streaming.)
_STATUS_SQL = """
SELECT pg_last_wal_replay_lsn()::text,
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
                 AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver
                             WHERE coalesce(status, 'streaming') = 'streaming')
            THEN 0
            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
       END::float8
"""


@dataclass(frozen=True)
class ReplicaStatus:
    replayed: int
    lag_seconds: float
    asked_at: float


_statuses: dict[str, ReplicaStatus] = {}
_down_until: dict[str, float] = {}
_turns = itertools.count()


def lsn_number(text: str) -> int:
    """A WAL position ('16/B374D848') as a number, to compare."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def client_key(request) -> str | None:
    """The cache key of the client's last write: its bearer token's digest."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    keyword, _, token = header.partition(" ")
    token = token.strip()
    if keyword.lower() != "bearer" or not token:
        return None
    return _CACHE_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def remember_write(key: str) -> None:
    """Keep the primary's WAL position after the client's write, for its next reads."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            position = lsn_number(cursor.fetchone()[0])
        # Never lowered: of two writes of one client answered together, the one whose
        # position is kept last may have the lower one.
        kept = cache.get(key)
        if kept is None or kept < position:
            # Long enough to outlive any usable replica's lag: one behind more is skipped.
            keep = max(600.0, 2 * settings.DATABASE_REPLICA_MAX_LAG_SECONDS)
            cache.set(key, position, timeout=keep)
    except Exception as error:  # a write that was done must not answer 5xx
        logger.warning("Read replicas: the position of a write was not kept: %s", error)


def written_position(key: str | None) -> int | None:
    """The WAL position a client's reads must see: 0 when nothing is known, None when the
    cache cannot tell (then only the primary is sure to be current)."""
    if key is None:
        return 0
    try:
        return cache.get(key) or 0
    except Exception as error:  # the cache down sends reads to the primary
        logger.warning("Read replicas: the cache did not answer, reading the primary: %s", error)
        return None


def ask_replica(alias: str) -> ReplicaStatus | None:
    """What the replica says of itself now; None when it does not answer or is no standby."""
    connection = connections[alias]
    # A connection kept from an earlier request may have died with a restart of the replica
    # since: then a new one is tried once.
    for attempt in ("kept", "new") if connection.connection is not None else ("new",):
        try:
            with connection.cursor() as cursor:
                cursor.execute(_STATUS_SQL)
                replayed, lag = cursor.fetchone()
            break
        except DatabaseError as error:
            connection.close()
            if attempt == "new":
                reason = " ".join(str(error).split())[:200]
                logger.warning("Read replica %s skipped: %s", alias, reason)
                _down_until[alias] = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
                return None
    if replayed is None:
        logger.warning("Read replica %s skipped: it is not a standby", alias)
        _down_until[alias] = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
        return None
    return ReplicaStatus(lsn_number(replayed), lag, time.monotonic())


def replica_for(position: int) -> str:
    """A replica that has replayed `position` and is not too far behind, else the primary."""
    replicas = settings.DATABASE_REPLICAS
    now = time.monotonic()
    start = next(_turns) % len(replicas)
    for alias in replicas[start:] + replicas[:start]:
        if _down_until.get(alias, 0) > now:
            continue
        status = _statuses.get(alias)
        if (
            status is None
            or now - status.asked_at >= settings.DATABASE_REPLICA_STATUS_SECONDS
            or status.replayed < position
        ):
            status = ask_replica(alias)
            if status is None:
                _statuses.pop(alias, None)
                continue
            _statuses[alias] = status
        if status.lag_seconds <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS and (
            status.replayed >= position
        ):
            return alias
    return DEFAULT_DB_ALIAS


def forget_replica(alias: str) -> None:
    """A replica failed a read: ask it again before the next one."""
    _statuses.pop(alias, None)
    connections[alias].close()


class ReadReplicaMiddleware:
    """The API's reads on a replica that has the client's writes; installed by settings only
    when DATABASE_REPLICA_URLS names replicas."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PATH):
            return self.get_response(request)
        key = client_key(request)
        if request.method in READS:
            position = written_position(key)
            alias = DEFAULT_DB_ALIAS if position is None else replica_for(position)
            if alias == DEFAULT_DB_ALIAS:
                return self.get_response(request)
            with reads_from(alias):
                response = self.get_response(request)
            if response.status_code == 503:
                # The replica went away in the middle (a lost connection, a restart): a read
                # is safe to answer again, from the primary.
                forget_replica(alias)
                return self.get_response(request)
            return response
        response = self.get_response(request)
        if key is not None and request.method in WRITES and response.status_code < 400:
            remember_write(key)
        return response

"""Rate limits with Sentry's 429 body and X-Sentry-Rate-Limit-* headers.

Off unless ISSUES_API_RATE_LIMIT is set (e.g. "5/1s": 5 requests per second). Authenticated
requests count per user; requests without valid credentials count per client address, so that
guessing tokens is limited too. The counters are shared by every gunicorn worker: in Redis
when the default cache is Redis (REDIS_URL), else in the database table of the model that
ISSUES_API_RATE_LIMIT_COUNTER_MODEL names (accounts.RateLimitCounter): named in settings, as
AUTH_USER_MODEL is, so that this plumbing imports no app.

The counters are a guard, not a dependency: when their store fails, requests pass uncounted
(one warning per outage) instead of failing with it.
"""

import ipaddress
import logging
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection, transaction
from redis.exceptions import RedisError
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle

from issues_api.proxies import client_address
from issues_api.rates import Rate, parse_rate

logger = logging.getLogger("issues_api.ratelimit")

# After a failure the store is left alone this long: a dead Redis must not add a connection
# attempt (and its timeout) to every request.
RETRY_STORE_AFTER = 5  # seconds
# The longest client address kept in a key (X-Forwarded-For is the client's to write).
MAX_ADDRESS_LENGTH = 64


def configured_rate() -> Rate | None:
    return parse_rate(settings.ISSUES_API_RATE_LIMIT)


class RateLimited(APIException):
    status_code = 429
    default_code = "rate_limited"

    def __init__(self, rate: Rate, wait: int):
        super().__init__(
            f"You are attempting to use this endpoint too quickly. Limit is {rate.text}"
        )
        self.wait = wait


@dataclass(frozen=True)
class RateLimitState:
    rate: Rate
    count: int
    reset: int  # epoch seconds when the window ends

    @property
    def allowed(self) -> bool:
        return self.count <= self.rate.limit

    def headers(self) -> dict[str, str]:
        return {
            "X-Sentry-Rate-Limit-Limit": str(self.rate.limit),
            "X-Sentry-Rate-Limit-Remaining": str(max(0, self.rate.limit - self.count)),
            "X-Sentry-Rate-Limit-Reset": str(self.reset),
        }


# The counter stores


class CounterStoreError(Exception):
    """The store of the counters failed (unreachable, timed out, refused the statement)."""


class CacheCounters:
    """Counters in Redis, whose INCR is atomic."""

    def increment(self, key: str, *, window_end: int, now: int) -> int:
        # The key names its window, so it may outlive it: a minute's slack keeps a slow burst
        # of requests (or a busy cache) from losing the count halfway through a window.
        ttl = window_end - now + 60
        try:
            cache.add(key, 0, timeout=ttl)
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=ttl)
                return 1
        except RedisError as error:
            raise CounterStoreError(error) from error


def counter_table() -> str:
    """The table of the counters' model (a lookup in the app registry, no query)."""
    return apps.get_model(settings.ISSUES_API_RATE_LIMIT_COUNTER_MODEL)._meta.db_table


class DatabaseCounters:
    """Counters in a table, each incremented by one INSERT ... ON CONFLICT DO UPDATE: the
    database cache's incr reads then writes, so concurrent requests there over-admit.

    The rows of ended windows are deleted by one statement a minute per process."""

    PURGE_EVERY = 60  # seconds

    def __init__(self):
        self.next_purge = 0

    def increment(self, key: str, *, window_end: int, now: int) -> int:
        quote = connection.ops.quote_name
        table = quote(counter_table())
        key_column, end_column, count_column = map(quote, ("key", "window_end", "count"))
        # PostgreSQL, and SQLite from 3.35, both speak this upsert with RETURNING.
        upsert = (
            f"INSERT INTO {table} ({key_column}, {end_column}, {count_column}) "  # noqa: S608 (quoted names)
            f"VALUES (%s, %s, 1) ON CONFLICT ({key_column}) "
            f"DO UPDATE SET {count_column} = {table}.{count_column} + 1 "
            f"RETURNING {count_column}"
        )
        purge = f"DELETE FROM {table} WHERE {end_column} <= %s"  # noqa: S608 (quoted names)
        # Inside a transaction (ATOMIC_REQUESTS, tests), a savepoint keeps a failure here from
        # breaking the rest of the request; on its own, each statement is its own transaction.
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        try:
            with guard, connection.cursor() as cursor:
                if now >= self.next_purge:
                    self.next_purge = now + self.PURGE_EVERY
                    cursor.execute(purge, [now])
                cursor.execute(upsert, [key, window_end])
                return cursor.fetchone()[0]
        except DatabaseError as error:
            raise CounterStoreError(error) from error


cache_counters = CacheCounters()
database_counters = DatabaseCounters()


def counter_store() -> CacheCounters | DatabaseCounters:
    """Redis when the shared cache is Redis; otherwise the table, never the database cache."""
    if isinstance(caches["default"], RedisCache):
        return cache_counters
    return database_counters


class StoreHealth:
    """Whether the counter store answers, per process: one warning when an outage starts, one
    notice when it ends, and no attempt for RETRY_STORE_AFTER seconds after a failure."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0

    def should_try(self, now: float) -> bool:
        return self.down_since is None or now >= self.retry_at

    def failed(self, now: float, error: Exception) -> None:
        with self.lock:
            self.retry_at = now + RETRY_STORE_AFTER
            if self.down_since is not None:
                return
            self.down_since = now
        logger.warning(
            "Rate-limit counters unavailable (%s: %s); requests pass uncounted until they are back",
            type(error.__cause__ or error).__name__,
            error,
        )

    def succeeded(self, now: float) -> None:
        if self.down_since is None:
            return
        with self.lock:
            down_since, self.down_since = self.down_since, None
        if down_since is not None:
            logger.info("Rate-limit counters are back after %d s", now - down_since)


store_health = StoreHealth()


def count_request(client: str, rate: Rate) -> RateLimitState | None:
    """Counts a request of `client` in the current window of `rate`; None when the counters
    cannot be reached, and the request passes."""
    now = time.time()
    if not store_health.should_try(now):
        return None
    second = int(now)
    start = second - second % rate.window
    window_end = start + rate.window
    key = f"issues-api:rate:{client}:{rate.window}:{start}"
    try:
        count = counter_store().increment(key, window_end=window_end, now=second)
    except CounterStoreError as error:
        store_health.failed(now, error)
        return None
    store_health.succeeded(now)
    return RateLimitState(rate, count, window_end)


def address_of(ident: str | None) -> str:
    """The client part of an address: IPv6 clients get a /64 each (as a host usually has), so
    that walking one's own network does not buy a fresh limit per address."""
    ident = (ident or "").strip()
    try:
        address = ipaddress.ip_address(ident)
    except ValueError:
        return ident[:MAX_ADDRESS_LENGTH]
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class UserRateThrottle(BaseThrottle):
    """A fixed window per user. The state is kept on the request for the headers."""

    def allow_request(self, request, view):
        rate = configured_rate()
        if rate is None or request.user is None:
            return True
        return remember(request, count_request(f"user:{request.user.pk}", rate))

    def wait(self):
        return None


class AddressRateThrottle(BaseThrottle):
    """A fixed window per client address (REMOTE_ADDR, or X-Forwarded-For behind
    ISSUES_API_NUM_PROXIES proxies: the admin's login lockout reads the same address), for
    requests without valid credentials."""

    def allow_request(self, request, view):
        rate = configured_rate()
        if rate is None:
            return True
        client = f"address:{address_of(client_address(request))}"
        return remember(request, count_request(client, rate))

    def wait(self):
        return None


def remember(request, state: RateLimitState | None) -> bool:
    request.rate_limit = state
    return state is None or state.allowed

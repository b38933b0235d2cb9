"""Rate limits (docs/behaviour.md: Decision 5, §4.5): off by default; when
ISSUES_API_RATE_LIMIT is set, Sentry's 429 body and the X-Sentry-Rate-Limit-* headers, counted
per user (per client address without valid credentials) in Redis or in a table, and never a
failure when those counters fail.

The limiter's clock is fixed so that no test crosses a window boundary by accident.
"""

import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import RateLimitCounter
from issues.models import Issue, IssueStatus
from issues_api.api import base, ratelimit
from issues_api.api.ratelimit import Rate, parse_rate
from tests.concurrency import run_together
from tests.factories import ApiTokenFactory, MemberFactory, make_issue
from tests.helpers import client_for, issue_url

pytestmark = pytest.mark.django_db

LIMIT = "X-Sentry-Rate-Limit-Limit"
REMAINING = "X-Sentry-Rate-Limit-Remaining"
RESET = "X-Sentry-Rate-Limit-Reset"
# A database of its own per xdist worker (15, 14, ...): no worker can flush another's keys.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = f"redis://127.0.0.1:6379/{15 - _WORKER % 8}"


def too_fast(rate: str) -> dict:
    return {"detail": f"You are attempting to use this endpoint too quickly. Limit is {rate}"}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_store_health(monkeypatch):
    """Each test starts with the counter store up and a purge of ended windows due."""
    monkeypatch.setattr(ratelimit, "store_health", ratelimit.StoreHealth())
    monkeypatch.setattr(ratelimit.database_counters, "next_purge", 0)


@pytest.fixture
def clock(monkeypatch):
    """The time the limiter (and the Retry-After it sends) sees: a quarter into a second that
    starts a ten-second window, a little ahead of the real time. Move it with `clock.now`."""
    start = (int(time.time()) // 10 + 1) * 10
    fake = SimpleNamespace(now=start + 0.25, start=start)
    frozen = SimpleNamespace(time=lambda: fake.now)
    monkeypatch.setattr(ratelimit, "time", frozen)
    monkeypatch.setattr(base, "time", frozen)
    return fake


@pytest.fixture
def limit(settings):
    def set_limit(rate: str):
        settings.ISSUES_API_RATE_LIMIT = rate

    return set_limit


def assert_passed(response, *, limit: int, remaining: int, reset: int):
    assert response.status_code in (200, 202), response.content
    assert response[LIMIT] == str(limit)
    assert response[REMAINING] == str(remaining)
    assert response[RESET] == str(reset)
    assert "Retry-After" not in response


def assert_limited(response, *, rate: str, limit: int, reset: int, retry_after: int):
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == too_fast(rate)
    assert response[LIMIT] == str(limit)
    assert response[REMAINING] == "0"
    assert response[RESET] == str(reset)
    assert response["Retry-After"] == str(retry_after)
    # The reference headers are on a 429 too, and CORS lets a browser read Retry-After.
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in response["Access-Control-Expose-Headers"]


def run_six_gets(api, issue, clock):
    """Five GETs pass, counting down; the sixth is refused until the next second."""
    reset = clock.start + 1
    for remaining in (4, 3, 2, 1, 0):
        assert_passed(api.get(issue_url(issue)), limit=5, remaining=remaining, reset=reset)

    assert_limited(api.get(issue_url(issue)), rate="5/1s", limit=5, reset=reset, retry_after=1)


# Off by default


def test_rate_limit_is_off_by_default(settings):
    assert settings.ISSUES_API_RATE_LIMIT == ""


def test_without_a_limit_there_are_no_headers_and_no_429(api, issue, clock):
    # Unknown issues answer 404 after the limiter ran, and cost less than a full GET.
    responses = [api.get("/api/0/issues/987654321/") for _ in range(20)]
    responses.append(api.get(issue_url(issue)))

    assert [response.status_code for response in responses] == [404] * 20 + [200]
    for response in responses:
        assert LIMIT not in response
        assert REMAINING not in response
        assert RESET not in response
        assert "Retry-After" not in response


def test_requests_for_unknown_issues_count_too(api, issue, clock, limit):
    limit("5/1s")
    for remaining in (4, 3, 2, 1):
        response = api.get("/api/0/issues/987654321/")
        assert response.status_code == 404
        assert response[REMAINING] == str(remaining)
    assert_passed(api.get(issue_url(issue)), limit=5, remaining=0, reset=clock.start + 1)

    response = api.get("/api/0/issues/987654321/")

    assert_limited(response, rate="5/1s", limit=5, reset=clock.start + 1, retry_after=1)


# 5/1s


def test_five_gets_pass_and_the_sixth_is_429(api, issue, clock, limit):
    limit("5/1s")

    run_six_gets(api, issue, clock)


def test_reset_is_the_epoch_second_the_next_window_starts(api, issue, clock, limit):
    limit("5/1s")

    response = api.get(issue_url(issue))

    reset = int(response[RESET])
    assert clock.now < reset <= clock.now + 1
    assert abs(reset - time.time()) < 30  # epoch seconds, not a duration


def test_later_requests_in_the_window_stay_limited(api, issue, clock, limit):
    limit("5/1s")
    run_six_gets(api, issue, clock)
    clock.now = clock.start + 0.99

    for _ in range(3):
        assert_limited(
            api.get(issue_url(issue)), rate="5/1s", limit=5, reset=clock.start + 1, retry_after=1
        )


def test_the_next_window_starts_the_count_again(api, issue, clock, limit):
    limit("5/1s")
    run_six_gets(api, issue, clock)

    clock.now += 1

    response = api.get(issue_url(issue))
    assert_passed(response, limit=5, remaining=4, reset=clock.start + 2)


def assert_counted_per_user(api, issue, organization, team, clock):
    """Once `api`'s user has used up 5/1s, a teammate's first request passes with a count of
    its own."""
    run_six_gets(api, issue, clock)
    teammate = MemberFactory(organization=organization, teams=[team]).user

    # A client of its own: `api` sends its own credentials with every request.
    response = client_for(teammate).get(issue_url(issue))

    assert_passed(response, limit=5, remaining=4, reset=clock.start + 1)


def test_the_limit_is_per_user(api, issue, organization, team, clock, limit):
    limit("5/1s")

    assert_counted_per_user(api, issue, organization, team, clock)


def test_the_limit_is_per_user_not_per_token(api_client, issue, user, clock, limit):
    limit("5/1s")
    first, second = ApiTokenFactory(user=user).plaintext, ApiTokenFactory(user=user).plaintext
    for _ in range(5):
        response = api_client.get(issue_url(issue), HTTP_AUTHORIZATION=f"Bearer {first}")
        assert response.status_code == 200

    response = api_client.get(issue_url(issue), HTTP_AUTHORIZATION=f"Bearer {second}")

    assert_limited(response, rate="5/1s", limit=5, reset=clock.start + 1, retry_after=1)


def test_put_delete_and_head_count_and_are_limited(api, issue, project, clock, limit):
    limit("5/1s")
    spare = make_issue(project, message="To delete")
    reset = clock.start + 1

    assert_passed(api.get(issue_url(issue)), limit=5, remaining=4, reset=reset)
    assert_passed(api.head(issue_url(issue)), limit=5, remaining=3, reset=reset)
    assert_passed(api.get(issue_url(issue)), limit=5, remaining=2, reset=reset)
    put = api.put(issue_url(issue), {"status": "resolved"}, format="json")
    assert_passed(put, limit=5, remaining=1, reset=reset)
    assert_passed(api.delete(issue_url(spare)), limit=5, remaining=0, reset=reset)

    put = api.put(issue_url(issue), {"status": "unresolved"}, format="json")
    assert_limited(put, rate="5/1s", limit=5, reset=reset, retry_after=1)
    delete = api.delete(issue_url(issue))
    assert_limited(delete, rate="5/1s", limit=5, reset=reset, retry_after=1)
    head = api.head(issue_url(issue))
    assert head.status_code == 429
    assert head["Retry-After"] == "1"

    # The refused PUT and DELETE changed nothing.
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED
    assert Issue.objects.get(pk=spare.pk).status == IssueStatus.PENDING_DELETION


def test_a_limited_put_is_refused_before_its_body_is_read(api, issue, clock, limit):
    """The 429 comes before validation: a bad body is not reported while limited."""
    limit("5/1s")
    run_six_gets(api, issue, clock)

    response = api.put(issue_url(issue), {"status": "bogus"}, format="json")

    assert response.status_code == 429
    assert response.json() == too_fast("5/1s")


def test_requests_on_every_route_share_the_count(api, issue, clock, limit):
    limit("5/1s")
    slug = issue.project.organization.slug
    urls = [
        f"/api/0/issues/{issue.pk}/",
        f"/api/0/groups/{issue.pk}/",
        f"/api/0/organizations/{slug}/issues/{issue.pk}/",
        f"/api/0/organizations/{slug}/issues/{issue.qualified_short_id}/",
        f"/api/0/issues/{issue.pk}/",
    ]
    for remaining, url in zip((4, 3, 2, 1, 0), urls, strict=True):
        assert_passed(api.get(url), limit=5, remaining=remaining, reset=clock.start + 1)

    response = api.get(f"/api/0/groups/{issue.pk}/")

    assert_limited(response, rate="5/1s", limit=5, reset=clock.start + 1, retry_after=1)


# Other rates


def test_three_in_ten_seconds(api, issue, clock, limit):
    limit("3/10s")
    clock.now = clock.start + 3.25
    reset = clock.start + 10
    for remaining in (2, 1, 0):
        assert_passed(api.get(issue_url(issue)), limit=3, remaining=remaining, reset=reset)

    response = api.get(issue_url(issue))

    assert_limited(response, rate="3/10s", limit=3, reset=reset, retry_after=7)
    clock.now = clock.start + 9.99
    assert api.get(issue_url(issue)).status_code == 429
    clock.now = clock.start + 10
    assert_passed(api.get(issue_url(issue)), limit=3, remaining=2, reset=clock.start + 20)


def test_one_a_minute_in_the_short_form(api, issue, clock, limit):
    limit("1/m")
    minute = clock.start - clock.start % 60

    assert_passed(api.get(issue_url(issue)), limit=1, remaining=0, reset=minute + 60)
    response = api.get(issue_url(issue))

    assert_limited(
        response,
        rate="1/1m",
        limit=1,
        reset=minute + 60,
        retry_after=minute + 60 - int(clock.now),
    )


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/1s", Rate(5, 1, "5/1s")),
        ("3/10s", Rate(3, 10, "3/10s")),
        ("10/m", Rate(10, 60, "10/1m")),
        (" 5 / 1 s ", Rate(5, 1, "5/1s")),
        ("100/2h", Rate(100, 7200, "100/2h")),
        ("1/1d", Rate(1, 86400, "1/1d")),
        ("007/01s", Rate(7, 1, "7/1s")),
    ],
)
def test_parse_rate_accepts_sentrys_forms(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize(
    "text", ["abc", "5", "5/", "/1s", "0/1s", "5/0s", "5/1x", "-1/1s", "5/1.5s", "5/1s/2", "五/1s"]
)
def test_parse_rate_refuses_anything_else(text):
    with pytest.raises(ValueError, match="Invalid ISSUES_API_RATE_LIMIT"):
        parse_rate(text)


@pytest.mark.parametrize("text", ["abc", "0/1s"])
def test_an_invalid_rate_setting_stops_the_service_at_start_up(tmp_path, text):
    """Refused when the settings load, rather than answering 500 to every client."""
    environment = {
        **os.environ,
        "ISSUES_API_RATE_LIMIT": text,
        "ISSUES_API_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "issues_api.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import issues_api.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Invalid ISSUES_API_RATE_LIMIT" in result.stderr


# The same over Redis, the cache production shares between workers


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_cache(settings):
    if not redis_answers():
        pytest.skip("no Redis server answers on 127.0.0.1:6379")
    # A prefix of its own, so that test runs in parallel (xdist workers, other checkouts) never
    # count into each other's keys; cache.clear() would flush the whole database for all.
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield cache
    client = cache._cache.get_client()
    for key in client.keys(f"{prefix}:*"):
        client.delete(key)


@pytest.mark.xdist_group("redis")
def test_five_gets_pass_and_the_sixth_is_429_with_redis(api, issue, clock, limit, redis_cache):
    limit("5/1s")

    run_six_gets(api, issue, clock)

    prefix = redis_cache.key_prefix
    keys = redis_cache._cache.get_client().keys(f"{prefix}:*issues-api:rate:*")
    assert len(keys) == 1


@pytest.mark.xdist_group("redis")
def test_the_limit_is_per_user_with_redis(
    api, issue, organization, team, clock, limit, redis_cache
):
    limit("5/1s")

    assert_counted_per_user(api, issue, organization, team, clock)


# Requests without valid credentials: counted per client address


def anonymous(address: str = "203.0.113.7", **headers) -> APIClient:
    """A client without credentials, seen from `address` (REMOTE_ADDR)."""
    return APIClient(REMOTE_ADDR=address, **headers)


def test_anonymous_requests_are_not_limited_without_a_limit(issue, clock):
    client = anonymous()

    responses = [client.get(issue_url(issue)) for _ in range(20)]

    assert [response.status_code for response in responses] == [401] * 20
    assert all(LIMIT not in response for response in responses)


def test_anonymous_requests_are_limited_per_address(issue, clock, limit):
    limit("5/1s")
    client = anonymous("203.0.113.7")
    for remaining in (4, 3, 2, 1, 0):
        response = client.get(issue_url(issue))
        assert response.status_code == 401, response.content
        assert response[REMAINING] == str(remaining)
        assert response[RESET] == str(clock.start + 1)

    response = client.get(issue_url(issue))

    assert_limited(response, rate="5/1s", limit=5, reset=clock.start + 1, retry_after=1)
    # Another address has a count of its own.
    response = anonymous("198.51.100.9").get(issue_url(issue))
    assert response.status_code == 401
    assert response[REMAINING] == "4"


def test_wrong_and_expired_tokens_count_for_their_address(issue, user, clock, limit):
    """Guessing tokens is the case the address limit exists for: a refused token counts."""
    limit("5/1s")
    expired = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(days=1))
    guesses = [f"Bearer {'a' * 64}", f"Bearer {expired.plaintext}", "Bearer", None, "Basic eA=="]
    for guess in guesses:
        headers = {"HTTP_AUTHORIZATION": guess} if guess else {}
        assert anonymous().get(issue_url(issue), **headers).status_code == 401

    response = anonymous().get(issue_url(issue), HTTP_AUTHORIZATION=f"Bearer {'b' * 64}")

    assert_limited(response, rate="5/1s", limit=5, reset=clock.start + 1, retry_after=1)


def test_a_valid_token_counts_for_its_user_not_its_address(issue, token, clock, limit):
    limit("5/1s")
    for _ in range(6):
        anonymous().get(issue_url(issue))

    response = anonymous().get(issue_url(issue), HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")

    assert_passed(response, limit=5, remaining=4, reset=clock.start + 1)


def test_the_address_limit_is_checked_before_the_body_and_the_permissions(issue, clock, limit):
    limit("1/1s")
    anonymous().put(issue_url(issue), {"status": "bogus"}, format="json")

    response = anonymous().put(issue_url(issue), {"status": "bogus"}, format="json")

    assert response.status_code == 429
    assert response.json() == too_fast("1/1s")
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.UNRESOLVED


def test_x_forwarded_for_is_ignored_without_proxies(issue, clock, limit):
    limit("2/1s")
    for forged in ("192.0.2.1", "192.0.2.2"):
        anonymous(HTTP_X_FORWARDED_FOR=forged).get(issue_url(issue))

    response = anonymous(HTTP_X_FORWARDED_FOR="192.0.2.3").get(issue_url(issue))

    assert response.status_code == 429


def test_behind_one_proxy_the_forwarded_address_counts(issue, clock, limit, settings):
    limit("2/1s")
    settings.ISSUES_API_NUM_PROXIES = 1
    proxy = "10.0.0.2"
    # The proxy appends the address it saw; what the client wrote before it does not count.
    first = anonymous(proxy, HTTP_X_FORWARDED_FOR="192.0.2.99, 192.0.2.1")
    for _ in range(2):
        assert first.get(issue_url(issue)).status_code == 401

    assert first.get(issue_url(issue)).status_code == 429
    forged = anonymous(proxy, HTTP_X_FORWARDED_FOR="192.0.2.100, 192.0.2.1")
    assert forged.get(issue_url(issue)).status_code == 429
    other = anonymous(proxy, HTTP_X_FORWARDED_FOR="192.0.2.2").get(issue_url(issue))
    assert other.status_code == 401
    assert other[REMAINING] == "1"


def test_ipv6_clients_are_counted_per_64_network(issue, clock, limit):
    limit("2/1s")
    anonymous("2001:db8:1:2::1").get(issue_url(issue))
    anonymous("2001:db8:1:2:ffff::9").get(issue_url(issue))

    assert anonymous("2001:db8:1:2::abcd").get(issue_url(issue)).status_code == 429
    assert anonymous("2001:db8:1:3::1").get(issue_url(issue)).status_code == 401


def test_cors_preflights_are_not_counted(issue, clock, limit):
    limit("1/1s")
    client = anonymous()
    for _ in range(3):
        response = client.options(
            issue_url(issue),
            HTTP_ORIGIN="https://app.example.com",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
        )
        assert response.status_code == 200

    response = client.get(issue_url(issue))

    assert response.status_code == 401
    assert response[REMAINING] == "0"


@pytest.mark.parametrize(
    ("ident", "client"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::/64"),
        ("not an address", "not an address"),
        ("x" * 500, "x" * ratelimit.MAX_ADDRESS_LENGTH),
        (None, ""),
    ],
)
def test_address_of(ident, client):
    assert ratelimit.address_of(ident) == client


@pytest.mark.parametrize("path", ["/api/0/schema/", "/api/0/docs/"])
def test_the_public_schema_and_docs_are_not_limited(path, clock, limit):
    limit("1/1m")
    client = anonymous()

    responses = [client.get(path) for _ in range(3)]

    assert [response.status_code for response in responses] == [200] * 3
    assert all(LIMIT not in response for response in responses)


# The counters in the database: one atomic upsert per request


@pytest.fixture
def database_counters(settings):
    """The counters in their table, whatever cache the run is configured with."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": settings.CACHE_TABLE,
        }
    }


def test_without_redis_the_counters_are_rows_of_their_own(
    api, issue, user, clock, limit, database_counters
):
    limit("5/10s")
    for _ in range(3):
        api.get(issue_url(issue))
    anonymous().get(issue_url(issue))

    rows = RateLimitCounter.objects.order_by("key").values_list("key", "count", "window_end")

    assert list(rows) == [
        (f"issues-api:rate:address:203.0.113.7:10:{clock.start}", 1, clock.start + 10),
        (f"issues-api:rate:user:{user.pk}:10:{clock.start}", 3, clock.start + 10),
    ]


def test_rows_of_ended_windows_are_deleted(api, issue, user, clock, limit, database_counters):
    limit("5/1s")
    RateLimitCounter.objects.create(key="ended", window_end=clock.start, count=9)
    RateLimitCounter.objects.create(key="current", window_end=clock.start + 1, count=1)
    ratelimit.database_counters.next_purge = 0

    api.get(issue_url(issue))

    keys = set(RateLimitCounter.objects.values_list("key", flat=True))
    assert keys == {"current", f"issues-api:rate:user:{user.pk}:1:{clock.start}"}


def get_together(clients: list[APIClient], url: str, each: int) -> list:
    """Every client sends `each` GETs from its own thread, all starting together."""

    def gets(client):
        return [client.get(url).status_code for _ in range(each)]

    answers = run_together([lambda client=client: gets(client) for client in clients])
    # A thread that failed stands for its requests by its exception.
    return [
        status
        for answer in answers
        for status in (answer if isinstance(answer, list) else [answer])
    ]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL and real concurrency"
)
@pytest.mark.django_db(transaction=True)
def test_the_database_counters_admit_exactly_the_limit_under_concurrency(
    issue, token, clock, limit, database_counters
):
    limit("20/10s")
    clients = [APIClient(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}") for _ in range(8)]

    results = get_together(clients, issue_url(issue), each=5)

    assert sorted(results) == [200] * 20 + [429] * 20
    row = RateLimitCounter.objects.get()
    assert row.count == 40


# When the counters cannot be reached, requests pass


@pytest.fixture
def rate_limit_records(caplog):
    caplog.set_level(logging.INFO, logger="issues_api.ratelimit")

    def records():
        return [r for r in caplog.records if r.name == "issues_api.ratelimit"]

    return records


@pytest.fixture
def dead_redis(settings):
    """Redis as the cache, on a port where nothing listens; yields the caches it replaced,
    which are back before the other fixtures clean up."""
    live = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    yield live
    settings.CACHES = live


@pytest.fixture
def store_attempts(monkeypatch):
    """How many times each counter store was asked for a count."""
    attempts = {"cache": 0, "database": 0}
    for name, store in (
        ("cache", ratelimit.cache_counters),
        ("database", ratelimit.database_counters),
    ):
        increment = store.increment

        def counted(*args, name=name, increment=increment, **kwargs):
            attempts[name] += 1
            return increment(*args, **kwargs)

        monkeypatch.setattr(store, "increment", counted)
    return attempts


def test_a_dead_redis_lets_requests_through_and_is_logged_once(
    api, issue, clock, limit, dead_redis, rate_limit_records, store_attempts
):
    limit("5/1s")

    responses = [api.get(issue_url(issue)) for _ in range(20)]
    responses += [anonymous().get(issue_url(issue)) for _ in range(10)]

    assert [response.status_code for response in responses] == [200] * 20 + [401] * 10
    # Uncounted requests carry no count.
    assert all(LIMIT not in response for response in responses)
    [record] = rate_limit_records()
    assert record.levelname == "WARNING"
    assert "ConnectionError" in record.getMessage()
    # Redis was asked once: the failure is remembered, not paid again on every request.
    assert store_attempts["cache"] == 1


@pytest.mark.xdist_group("redis")
def test_redis_is_tried_again_a_few_seconds_later_and_its_return_is_noted(
    api, issue, clock, limit, redis_cache, dead_redis, rate_limit_records, store_attempts, settings
):
    limit("5/10s")
    for _ in range(5):
        assert api.get(issue_url(issue)).status_code == 200
    clock.now += ratelimit.RETRY_STORE_AFTER - 0.5
    assert api.get(issue_url(issue)).status_code == 200
    assert store_attempts["cache"] == 1
    settings.CACHES = dead_redis  # Redis is back
    clock.now += 0.5

    response = api.get(issue_url(issue))

    assert_passed(response, limit=5, remaining=4, reset=clock.start + 10)
    assert store_attempts["cache"] == 2
    warning, back = rate_limit_records()
    assert (warning.levelname, back.levelname) == ("WARNING", "INFO")
    assert "back after 5 s" in back.getMessage()


def test_a_failing_counter_table_lets_requests_through_and_is_logged_once(
    api, issue, clock, limit, database_counters, rate_limit_records, store_attempts
):
    limit("5/1s")

    def refuse_counters(execute, sql, params, many, context):
        if RateLimitCounter._meta.db_table in sql:
            raise OperationalError("the counter table is gone")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_counters):
        responses = [api.get(issue_url(issue)) for _ in range(20)]

    assert [response.status_code for response in responses] == [200] * 20
    [record] = rate_limit_records()
    assert record.levelname == "WARNING"
    assert "the counter table is gone" in record.getMessage()
    assert store_attempts["database"] == 1

"""API tokens: expiry, revocation, inactive users, last use, and storage (docs/behaviour.md §4.1).

A refused token never reaches the issue (nothing changes), last_used_at is written at most
once a minute, and the plaintext is never stored anywhere in the database.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import authentication
from accounts.models import ApiToken
from issues.models import Issue, IssueStatus
from tests.factories import ApiTokenFactory
from tests.helpers import (
    INVALID_TOKEN,
    TOKEN_EXPIRED,
    USER_INACTIVE,
    assert_error,
    db_state,
    issue_url,
    send,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]

METHODS = ["GET", "HEAD", "PUT", "DELETE"]


def call(client, method, issue, plaintext):
    return send(client, method, issue_url(issue), token=plaintext)


def last_used(token):
    return ApiToken.objects.values_list("last_used_at", flat=True).get(pk=token.pk)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock of the authentication module only; `clock.now` moves it."""
    fake = SimpleNamespace(now=timezone.now().replace(microsecond=0))
    monkeypatch.setattr(authentication, "timezone", SimpleNamespace(now=lambda: fake.now))
    return fake


# Refused tokens


@pytest.mark.parametrize("method", METHODS)
def test_expired_token_is_401_token_expired_and_changes_nothing(api_client, issue, user, method):
    token = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(seconds=1))
    before = db_state(issue)

    assert_error(call(api_client, method, issue, token.plaintext), 401, TOKEN_EXPIRED)
    assert db_state(issue) == before
    assert last_used(token) is None


def test_token_expiring_exactly_now_is_expired(api_client, issue, user, clock):
    token = ApiTokenFactory(user=user, expires_at=clock.now)

    assert_error(call(api_client, "GET", issue, token.plaintext), 401, TOKEN_EXPIRED)


def test_token_expiring_a_second_later_still_works(api_client, issue, user, clock):
    token = ApiTokenFactory(user=user, expires_at=clock.now + timedelta(seconds=1))

    assert call(api_client, "GET", issue, token.plaintext).status_code == 200


@pytest.mark.parametrize("method", METHODS)
def test_revoked_token_is_401_invalid_token_and_changes_nothing(api_client, issue, token, method):
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    before = db_state(issue)

    assert_error(call(api_client, method, issue, token.plaintext), 401, INVALID_TOKEN)
    assert db_state(issue) == before
    assert last_used(token) is None


def test_token_revoked_in_the_future_is_already_invalid(api_client, issue, token):
    """revoked_at set means revoked, whatever its time."""
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now() + timedelta(days=1))

    assert_error(call(api_client, "GET", issue, token.plaintext), 401, INVALID_TOKEN)


def test_revoked_and_expired_token_is_invalid_not_expired(api_client, issue, user):
    token = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    assert_error(call(api_client, "GET", issue, token.plaintext), 401, INVALID_TOKEN)


def test_revoking_a_token_leaves_the_users_other_tokens_working(api_client, issue, user):
    revoked = ApiTokenFactory(user=user)
    kept = ApiTokenFactory(user=user)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())

    assert_error(call(api_client, "GET", issue, revoked.plaintext), 401, INVALID_TOKEN)
    assert call(api_client, "GET", issue, kept.plaintext).status_code == 200


def test_revoked_token_of_inactive_user_is_invalid(api_client, issue, user, token):
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_error(call(api_client, "GET", issue, token.plaintext), 401, INVALID_TOKEN)


@pytest.mark.parametrize("method", METHODS)
def test_inactive_user_is_401_and_changes_nothing(api_client, issue, user, token, method):
    user.is_active = False
    user.save(update_fields=["is_active"])
    before = db_state(issue)

    assert_error(call(api_client, method, issue, token.plaintext), 401, USER_INACTIVE)
    assert db_state(issue) == before
    assert last_used(token) is None


def test_reactivated_user_may_use_the_token_again(api_client, issue, user, token):
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(call(api_client, "GET", issue, token.plaintext), 401, USER_INACTIVE)

    user.is_active = True
    user.save(update_fields=["is_active"])

    assert call(api_client, "GET", issue, token.plaintext).status_code == 200


def test_deleted_user_token_is_invalid(api_client, issue, user, token):
    user.delete()

    assert_error(call(api_client, "GET", issue, token.plaintext), 401, INVALID_TOKEN)


def test_token_refused_for_a_failed_request_leaves_the_issue_alone(api_client, issue, user):
    """An expired token with every scope: DELETE is refused before anything happens."""
    token = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(minutes=1))

    assert_error(call(api_client, "DELETE", issue, token.plaintext), 401, TOKEN_EXPIRED)
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.UNRESOLVED


# last_used_at


def test_last_used_at_is_none_before_the_first_request_and_set_after(
    api_client, issue, token, clock
):
    assert last_used(token) is None

    assert call(api_client, "GET", issue, token.plaintext).status_code == 200

    assert last_used(token) == clock.now


def test_last_used_at_is_set_even_when_the_request_is_refused_later(api_client, project, token):
    """Authentication succeeded; the 404 comes after it."""
    response = api_client.get(
        "/api/0/issues/987654321/", HTTP_AUTHORIZATION=f"Bearer {token.plaintext}"
    )

    assert response.status_code == 404
    assert last_used(token) is not None


def test_second_request_within_the_minute_does_not_write(api_client, issue, token, clock):
    with CaptureQueriesContext(connection) as first:
        assert call(api_client, "GET", issue, token.plaintext).status_code == 200
    written = last_used(token)
    clock.now += timedelta(seconds=59)

    with CaptureQueriesContext(connection) as second:
        assert call(api_client, "GET", issue, token.plaintext).status_code == 200

    assert last_used(token) == written
    assert len(first) - len(second) == 1
    table = ApiToken._meta.db_table
    updates = [q["sql"] for q in first if q["sql"].startswith("UPDATE") and table in q["sql"]]
    assert len(updates) == 1
    assert not [q for q in second if q["sql"].startswith("UPDATE") and table in q["sql"]]


def test_second_request_within_the_minute_makes_one_query_less(
    api_client, issue, token, clock, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as first:
        call(api_client, "GET", issue, token.plaintext)
    clock.now += timedelta(seconds=30)

    with django_assert_num_queries(len(first) - 1):
        call(api_client, "GET", issue, token.plaintext)


@pytest.mark.parametrize("ago", [timedelta(minutes=2), timedelta(seconds=61), timedelta(days=30)])
def test_last_used_at_older_than_a_minute_is_updated(api_client, issue, token, clock, ago):
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now - ago)

    assert call(api_client, "GET", issue, token.plaintext).status_code == 200

    assert last_used(token) == clock.now


@pytest.mark.parametrize("ago", [timedelta(seconds=0), timedelta(seconds=59)])
def test_last_used_at_within_the_minute_is_kept(api_client, issue, token, clock, ago):
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now - ago)

    assert call(api_client, "GET", issue, token.plaintext).status_code == 200

    assert last_used(token) == clock.now - ago


def test_last_used_at_moves_once_the_minute_has_passed(api_client, issue, token, clock):
    start = clock.now
    call(api_client, "GET", issue, token.plaintext)
    clock.now = start + timedelta(seconds=45)
    call(api_client, "GET", issue, token.plaintext)
    assert last_used(token) == start

    clock.now = start + timedelta(seconds=61)
    call(api_client, "GET", issue, token.plaintext)

    assert last_used(token) == start + timedelta(seconds=61)


def test_last_used_at_in_the_future_is_not_moved_back(api_client, issue, token, clock):
    """A clock that went backwards (or another server ahead) never makes it older."""
    ahead = clock.now + timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=ahead)

    call(api_client, "GET", issue, token.plaintext)

    assert last_used(token) == ahead


def test_using_one_token_does_not_touch_another(api_client, issue, user, token, clock):
    other = ApiTokenFactory(user=user)

    call(api_client, "GET", issue, token.plaintext)

    assert last_used(token) == clock.now
    assert last_used(other) is None


# Storage


def database_text() -> str:
    """Every value of every row of every table, as text (models, the cache table, sessions)."""
    quote = connection.ops.quote_name
    tables = connection.introspection.table_names()
    chunks = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (introspected names)
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    chunks.append(
                        value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    )
    return "\n".join(chunks)


def test_plaintext_is_nowhere_in_the_database_after_use(api_client, issue, user, settings):
    settings.ISSUES_API_RATE_LIMIT = "100/1s"  # the rate-limit counters get rows too
    token = ApiTokenFactory(user=user, name="ci")
    for method in ("GET", "PUT", "GET"):
        assert call(api_client, method, issue, token.plaintext).status_code == 200

    text = database_text()

    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert token.token_digest in text  # the dump does see the token's row
    assert token.plaintext not in text
    assert token.plaintext.upper() not in text


def test_a_refused_plaintext_is_not_stored_either(api_client, issue):
    guess = "f" * 64

    assert_error(call(api_client, "GET", issue, guess), 401, INVALID_TOKEN)

    assert guess not in database_text()


def test_token_row_keeps_only_digest_and_last_four_characters(token):
    row = ApiToken.objects.values().get(pk=token.pk)

    assert row["token_last_characters"] == token.plaintext[-4:]
    assert all(token.plaintext not in str(value) for value in row.values())


def test_every_model_table_is_in_the_dump():
    """The storage check reads every table Django knows of."""
    tables = set(connection.introspection.table_names())

    assert {model._meta.db_table for model in apps.get_models()} <= tables
    assert django_settings.CACHE_TABLE in tables

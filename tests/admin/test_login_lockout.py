"""The admin's login locks an address, and an account, out after repeated failures
(django-axes), whatever password comes next, until the cool-off ends or `axes_reset` lifts it.
Behind proxies (ISSUES_API_NUM_PROXIES) the address is the one the outermost proxy saw. Tokens
on the API never go through the login and are unaffected.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from issues_api.proxies import client_address
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # UserFactory's
ATTACKER = "203.0.113.5"
COLLEAGUE = "198.51.100.20"
LOCKED_OUT = 429


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def other_admin(db):
    return UserFactory(email="other-admin@example.com", is_staff=True, is_superuser=True)


def log_in(client, user, password, **meta):
    meta.setdefault("REMOTE_ADDR", ATTACKER)
    return client.post(
        "/admin/login/?next=/admin/", {"username": user.email, "password": password}, **meta
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_until_locked(client, user, settings, **meta):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, user, f"wrong password {attempt}", **meta)
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            assert response.status_code == 200, response.content  # the form, with its error
    assert response.status_code == LOCKED_OUT


def test_five_wrong_passwords_lock_the_address_out_even_with_the_right_one(admin, settings):
    client = Client()
    assert settings.AXES_FAILURE_LIMIT == 5

    fail_until_locked(client, admin, settings)
    response = log_in(client, admin, PASSWORD)

    assert response.status_code == LOCKED_OUT
    assert b"too many login attempts" in response.content
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_the_locked_address_and_account_are_refused_and_others_still_log_in(
    admin, other_admin, settings
):
    fail_until_locked(Client(), admin, settings)

    assert logged_in(log_in(Client(), other_admin, PASSWORD, REMOTE_ADDR=COLLEAGUE))
    # Counted per address: from there, no account may try again...
    assert log_in(Client(), other_admin, PASSWORD).status_code == LOCKED_OUT
    # ...and per account: from anywhere, that account may not either.
    assert log_in(Client(), admin, PASSWORD, REMOTE_ADDR=COLLEAGUE).status_code == LOCKED_OUT


def test_failures_spread_over_many_addresses_lock_the_account(admin, other_admin, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(Client(), admin, "wrong", REMOTE_ADDR=f"192.0.2.{attempt + 1}")
        assert response.status_code == (200 if attempt < settings.AXES_FAILURE_LIMIT - 1 else 429)

    assert log_in(Client(), admin, PASSWORD, REMOTE_ADDR=COLLEAGUE).status_code == LOCKED_OUT
    assert logged_in(log_in(Client(), other_admin, PASSWORD, REMOTE_ADDR=COLLEAGUE))


def test_the_lockout_ends_after_the_cool_off(admin, settings):
    fail_until_locked(Client(), admin, settings)
    assert log_in(Client(), admin, PASSWORD).status_code == LOCKED_OUT

    cool_off = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off)

    assert logged_in(log_in(Client(), admin, PASSWORD))


def test_axes_reset_lifts_the_lockout(admin, settings):
    fail_until_locked(Client(), admin, settings)

    call_command("axes_reset", verbosity=0)

    assert logged_in(log_in(Client(), admin, PASSWORD))


def test_a_successful_login_forgets_the_earlier_failures(admin, settings):
    for _ in range(2):
        for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            assert log_in(Client(), admin, f"typo {attempt}").status_code == 200
        assert logged_in(log_in(Client(), admin, PASSWORD))


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(admin, other_admin, settings):
    settings.ISSUES_API_NUM_PROXIES = 1
    nginx = {"REMOTE_ADDR": "127.0.0.1"}

    # Whatever the client puts on the left of X-Forwarded-For, nginx appends what it saw.
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        forwarded = f"10.0.0.{attempt}, {ATTACKER}"
        log_in(Client(), admin, "wrong", HTTP_X_FORWARDED_FOR=forwarded, **nginx)

    spoofing = {"HTTP_X_FORWARDED_FOR": f"{COLLEAGUE}, {ATTACKER}", **nginx}
    assert log_in(Client(), admin, PASSWORD, **spoofing).status_code == LOCKED_OUT
    colleague = {"HTTP_X_FORWARDED_FOR": COLLEAGUE, **nginx}
    assert logged_in(log_in(Client(), other_admin, PASSWORD, **colleague))


def test_without_proxies_x_forwarded_for_is_ignored(admin, settings):
    assert settings.ISSUES_API_NUM_PROXIES == 0
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), admin, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")

    assert log_in(Client(), admin, PASSWORD, HTTP_X_FORWARDED_FOR=COLLEAGUE).status_code == 429


def test_the_api_is_unaffected_by_a_lockout(admin, user, token, issue, settings):
    fail_until_locked(Client(), admin, settings)
    api = APIClient(REMOTE_ADDR=ATTACKER)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")

    assert api.get(f"/api/0/issues/{issue.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "127.0.0.1"),
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "10.0.0.1, 192.0.2.1", "192.0.2.1"),
        (2, "10.0.0.1, 192.0.2.1, 127.0.0.2", "192.0.2.1"),
        (2, "192.0.2.1", "192.0.2.1"),  # fewer entries than proxies: the left-most
        (1, "2001:DB8::1", "2001:db8::1"),
        (1, "not an address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_client_address(settings, proxies, forwarded, expected):
    settings.ISSUES_API_NUM_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected

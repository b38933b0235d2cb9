"""ensure_admin: the reference world's user becomes the admin login of `make run`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from issues.seed import EMAIL, build_reference_world

pytestmark = pytest.mark.django_db

PASSWORD_LINE = f"Admin login {EMAIL}, password (shown only this once): "


def ensure_admin(*args) -> str:
    out = StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def john(monkeypatch):
    monkeypatch.delenv("ISSUES_API_ADMIN_PASSWORD", raising=False)
    user, _ = build_reference_world()
    return user


def test_first_run_generates_a_password_and_prints_it_once(john):
    assert not (john.is_staff or john.is_superuser)

    output = ensure_admin()

    assert output.startswith(PASSWORD_LINE)
    password = output.removeprefix(PASSWORD_LINE).strip()
    assert len(password) >= 20
    john.refresh_from_db()
    assert john.is_staff and john.is_superuser and john.is_active
    assert john.check_password(password)

    again = ensure_admin()
    assert "password unchanged" in again
    assert password not in again
    john.refresh_from_db()
    assert john.check_password(password)


def test_the_environment_variable_sets_the_password_every_time(john, monkeypatch):
    monkeypatch.setenv("ISSUES_API_ADMIN_PASSWORD", "correct horse battery staple")
    output = ensure_admin()
    assert output == f"Admin login {EMAIL}: password set from $ISSUES_API_ADMIN_PASSWORD.\n"
    assert "correct horse" not in output
    john.refresh_from_db()
    assert john.is_superuser and john.check_password("correct horse battery staple")

    monkeypatch.setenv("ISSUES_API_ADMIN_PASSWORD", "another long passphrase")
    ensure_admin()
    john.refresh_from_db()
    assert john.check_password("another long passphrase")

    # Without it, the password stays.
    monkeypatch.delenv("ISSUES_API_ADMIN_PASSWORD")
    assert "password unchanged" in ensure_admin()
    john.refresh_from_db()
    assert john.check_password("another long passphrase")


def test_reset_password_prints_a_new_one(john):
    first = ensure_admin().removeprefix(PASSWORD_LINE).strip()
    output = ensure_admin("--reset-password")
    second = output.removeprefix(PASSWORD_LINE).strip()
    assert output.startswith(PASSWORD_LINE)
    assert second != first
    john.refresh_from_db()
    assert john.check_password(second)


def test_the_admin_logs_in(john, client):
    password = ensure_admin().removeprefix(PASSWORD_LINE).strip()
    response = client.post("/admin/login/?next=/admin/", {"username": EMAIL, "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_another_email_and_a_missing_user(monkeypatch):
    monkeypatch.delenv("ISSUES_API_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match=r"run `manage\.py seed_example` first"):
        ensure_admin()
    User.objects.create_user("ops@example.org")
    assert ensure_admin("--email", "OPS@example.org").startswith(
        "Admin login ops@example.org, password"
    )
    assert User.objects.get(email="ops@example.org").is_superuser

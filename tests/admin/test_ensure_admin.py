"""ensure_admin: the operator's own login to /admin/, which `make run` creates beside the
reference world without changing anything the API shows of that world."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.management.commands.ensure_admin import DEFAULT_EMAIL
from accounts.models import OrganizationMember, User
from issues.models import Issue
from issues.seed import EMAIL, build_reference_world, token_for
from tests.contract import EXAMPLE

pytestmark = pytest.mark.django_db

PASSWORD_LINE = f"Admin login {DEFAULT_EMAIL}, password (shown only this once): "


def ensure_admin(*args) -> str:
    out = StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def no_admin_environment(monkeypatch):
    monkeypatch.delenv("ISSUES_API_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("ISSUES_API_ADMIN_EMAIL", raising=False)


@pytest.fixture
def john():
    user, _ = build_reference_world()
    return user


def operator() -> User:
    return User.objects.get(email=DEFAULT_EMAIL)


def test_first_run_creates_the_operator_and_prints_its_password_once(john):
    output = ensure_admin()

    assert output.startswith(PASSWORD_LINE)
    password = output.removeprefix(PASSWORD_LINE).strip()
    assert len(password) >= 20
    admin = operator()
    assert admin.is_staff and admin.is_superuser and admin.is_active
    assert admin.check_password(password)
    assert not OrganizationMember.objects.filter(user=admin).exists()

    again = ensure_admin()
    assert "password unchanged" in again
    assert password not in again
    assert operator().check_password(password)


def test_the_reference_user_stays_what_the_reference_document_says(john):
    ensure_admin()
    john.refresh_from_db()
    assert not (john.is_staff or john.is_superuser)


def test_make_run_leaves_the_reference_document_unchanged():
    """seed_example, then ensure_admin, as `make run` does: PUMP-STATION-1 reads the same before and
    after, and its activity's user is neither staff nor superuser, as in Sentry's example."""
    call_command("seed_example", stdout=StringIO())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(User.objects.get(email=EMAIL))}")
    url = f"/api/0/issues/{Issue.objects.get(project__slug='pump-station', short_id=1).pk}/"
    before = client.get(url)
    assert before.status_code == 200, before.content

    ensure_admin()
    call_command("seed_example", stdout=StringIO())
    after = client.get(url)

    assert after.status_code == 200, after.content
    assert after.json() == before.json()
    user = after.json()["activity"][0]["user"]
    expected = EXAMPLE["activity"][0]["user"]
    assert (user["isStaff"], user["isSuperuser"]) == (
        expected["isStaff"],
        expected["isSuperuser"],
    )
    assert (user["isStaff"], user["isSuperuser"]) == (False, False)


def test_seed_example_undoes_an_older_make_run_that_made_john_the_admin(john):
    john.is_staff = john.is_superuser = True
    john.save()

    call_command("seed_example", stdout=StringIO())

    john.refresh_from_db()
    assert not (john.is_staff or john.is_superuser)


def test_the_environment_variable_sets_the_password_every_time(monkeypatch):
    monkeypatch.setenv("ISSUES_API_ADMIN_PASSWORD", "correct horse battery staple")
    output = ensure_admin()
    assert output == (
        f"Admin login {DEFAULT_EMAIL}: password set from $ISSUES_API_ADMIN_PASSWORD.\n"
    )
    assert "correct horse" not in output
    assert operator().is_superuser
    assert operator().check_password("correct horse battery staple")

    monkeypatch.setenv("ISSUES_API_ADMIN_PASSWORD", "another long passphrase")
    ensure_admin()
    assert operator().check_password("another long passphrase")

    # Without it, the password stays.
    monkeypatch.delenv("ISSUES_API_ADMIN_PASSWORD")
    assert "password unchanged" in ensure_admin()
    assert operator().check_password("another long passphrase")


def test_reset_password_prints_a_new_one():
    first = ensure_admin().removeprefix(PASSWORD_LINE).strip()
    output = ensure_admin("--reset-password")
    second = output.removeprefix(PASSWORD_LINE).strip()
    assert output.startswith(PASSWORD_LINE)
    assert second != first
    assert operator().check_password(second)


def test_the_operator_logs_in(client):
    password = ensure_admin().removeprefix(PASSWORD_LINE).strip()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": DEFAULT_EMAIL, "password": password}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_another_email_from_the_option_or_the_environment(monkeypatch):
    User.objects.create_user("ops@example.org")
    assert ensure_admin("--email", "OPS@example.org").startswith(
        "Admin login ops@example.org, password"
    )
    assert User.objects.get(email="ops@example.org").is_superuser

    monkeypatch.setenv("ISSUES_API_ADMIN_EMAIL", "root@example.org")
    assert ensure_admin().startswith("Admin login root@example.org, password")
    assert User.objects.get(email="root@example.org").is_staff
    assert not User.objects.filter(email=DEFAULT_EMAIL).exists()

"""The createtoken, createkey and seed_example management commands."""

import hashlib
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken, Organization, OrganizationMember, Project, ProjectKey, User
from accounts.scopes import EVENT_SCOPES
from issues.models import Activity, Event, Issue
from issues.seed import EMAIL, ORGANIZATION_SLUG, SEED_TOKEN_SCOPES
from releases.models import Release, ReleaseProject
from tests.factories import ApiTokenFactory, ProjectFactory, UserFactory
from tests.helpers import PERMISSION_DENIED

pytestmark = pytest.mark.django_db

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX32 = "[0-9a-f]{32}"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def get_issue(token: str, issue_id):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(f"/api/0/issues/{issue_id}/")


def pump_station_issue() -> Issue:
    return Issue.objects.get(
        project__organization__slug=ORGANIZATION_SLUG, project__slug="pump-station", short_id=1
    )


# createtoken


def test_createtoken_prints_a_64_hex_token_and_stores_only_its_digest():
    user = UserFactory()

    output = run("createtoken", "--user", user.email, "--scopes", "event:read,project:read")

    plaintext = output.strip()
    assert output == plaintext + "\n"
    assert HEX64.fullmatch(plaintext)
    token = ApiToken.objects.get(user=user)
    assert token.token_digest == digest(plaintext)
    assert token.token_last_characters == plaintext[-4:]
    assert token.scopes == ["event:read", "project:read"]
    assert not ApiToken.objects.filter(token_digest=plaintext).exists()


def test_createtoken_saves_name_and_deduplicated_scopes():
    user = UserFactory()

    run(
        "createtoken",
        "--user",
        user.email,
        "--scopes",
        " event:write , event:read,event:write,",
        "--name",
        "ci",
    )

    token = ApiToken.objects.get(user=user)
    assert token.name == "ci"
    assert token.scopes == ["event:read", "event:write"]
    assert token.expires_at is None


def test_createtoken_finds_the_user_by_email_case_insensitively():
    user = UserFactory(email="Mixed.Case@example.com")

    run("createtoken", "--user", "mixed.case@EXAMPLE.com", "--scopes", "event:read")

    assert ApiToken.objects.filter(user=user).count() == 1


def test_createtoken_prints_a_new_token_each_time():
    user = UserFactory()

    first = run("createtoken", "--user", user.email, "--scopes", "event:read").strip()
    second = run("createtoken", "--user", user.email, "--scopes", "event:read").strip()

    assert first != second
    assert ApiToken.objects.filter(user=user).count() == 2


def test_createtoken_token_works_against_the_api(project, user, issue):
    plaintext = run("createtoken", "--user", user.email, "--scopes", "event:read").strip()

    response = get_issue(plaintext, issue.pk)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(issue.pk)


def test_createtoken_token_without_event_scope_is_refused_by_the_api(project, user, issue):
    plaintext = run("createtoken", "--user", user.email, "--scopes", "project:read").strip()

    response = get_issue(plaintext, issue.pk)

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


UNKNOWN_SCOPES = ("event:read,event:destroy", "nope", "EVENT:READ")
NO_SCOPES = ("", ",", " , ")


@pytest.mark.parametrize(
    ("scopes", "error"),
    [
        *((scopes, "Unknown scope") for scopes in UNKNOWN_SCOPES),
        *((scopes, "at least one scope") for scopes in NO_SCOPES),
    ],
)
def test_createtoken_refuses_unknown_scopes_and_needs_one(scopes, error):
    user = UserFactory()

    with pytest.raises(CommandError, match=error):
        run("createtoken", "--user", user.email, "--scopes", scopes)

    assert not ApiToken.objects.exists()


def test_createtoken_rejects_unknown_user():
    with pytest.raises(CommandError, match="No user"):
        run("createtoken", "--user", "nobody@example.com", "--scopes", "event:read")

    assert not ApiToken.objects.exists()


# createkey


def test_createkey_prints_the_dsn_of_a_new_key(settings):
    settings.ISSUES_API_URL_PREFIX = ""
    project = ProjectFactory()

    output = run(
        "createkey",
        "--organization",
        project.organization.slug,
        "--project",
        project.slug,
        "--label",
        "CI",
    )

    key = ProjectKey.objects.get(project=project, label="CI")
    assert key.is_active
    # One line: the DSN under what `make run` serves, as no request says where the service is.
    assert output == f"http://{key.public_key}@127.0.0.1:8000/{project.pk}\n"
    assert re.fullmatch(HEX32, key.public_key)
    assert project.keys.count() == 2


def test_createkey_uses_the_url_prefix_with_its_path(settings):
    settings.ISSUES_API_URL_PREFIX = "https://example.com/sentry"
    project = ProjectFactory()

    output = run(
        "createkey", "--organization", project.organization.slug, "--project", project.slug
    )

    key = project.keys.order_by("-id").first()
    assert key.label == ""
    assert output == f"https://{key.public_key}@example.com/sentry/{project.pk}\n"


@pytest.mark.parametrize(
    ("organization", "project", "message"),
    [
        ("no-such-org", None, "No organization with the slug 'no-such-org'"),
        (None, "no-such-project", "No project with the slug 'no-such-project'"),
    ],
)
def test_createkey_refuses_an_unknown_organization_or_project(organization, project, message):
    known = ProjectFactory()
    count = ProjectKey.objects.count()

    with pytest.raises(CommandError, match=message):
        run(
            "createkey",
            "--organization",
            organization or known.organization.slug,
            "--project",
            project or known.slug,
        )

    assert ProjectKey.objects.count() == count


def test_createkey_refuses_a_project_of_another_organization():
    project, elsewhere = ProjectFactory(), ProjectFactory()
    with pytest.raises(CommandError, match="No project"):
        run("createkey", "--organization", elsewhere.organization.slug, "--project", project.slug)


def test_createkey_refuses_a_label_longer_than_64():
    project = ProjectFactory()
    with pytest.raises(CommandError, match="64"):
        run(
            "createkey",
            *("--organization", project.organization.slug, "--project", project.slug),
            *("--label", "x" * 65),
        )


# seed_example


def world_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "organizations": Organization.objects.count(),
        "members": OrganizationMember.objects.count(),
        "projects": Project.objects.count(),
        "releases": Release.objects.count(),
        "release_projects": ReleaseProject.objects.count(),
        "issues": Issue.objects.count(),
        "events": Event.objects.count(),
        "activities": Activity.objects.count(),
    }


def test_seed_example_is_idempotent():
    run("seed_example")
    first = world_counts()
    issue = pump_station_issue()

    run("seed_example")

    assert world_counts() == first
    assert first["users"] == 1
    assert first["organizations"] == 1
    assert first["projects"] == 2
    assert first["issues"] == 4
    assert first["events"] == 4
    issue.refresh_from_db()
    assert issue.times_seen == 1
    assert issue.user_count == 1
    assert issue.qualified_short_id == "PUMP-STATION-1"


def test_seed_example_prints_a_working_token():
    output = run("seed_example")

    lines = output.splitlines()
    assert len(lines) == 3
    plaintext = lines[1].rsplit(" ", 1)[-1]
    assert HEX64.fullmatch(plaintext)
    token = ApiToken.objects.get(token_digest=digest(plaintext))
    assert token.user.email == EMAIL
    assert sorted(token.scopes) == sorted(SEED_TOKEN_SCOPES)
    issue = pump_station_issue()
    response = get_issue(plaintext, issue.pk)
    assert response.status_code == 200, response.content
    assert response.json()["shortId"] == "PUMP-STATION-1"


def test_seed_example_with_token_makes_that_token_work():
    plaintext = "seed-example-test-token-0123456789abcdef"

    run("seed_example", "--token", plaintext)

    issue = pump_station_issue()
    response = get_issue(plaintext, issue.pk)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(issue.pk)
    token = ApiToken.objects.get(token_digest=digest(plaintext))
    assert sorted(token.scopes) == sorted(SEED_TOKEN_SCOPES)


def test_seed_example_with_the_same_token_twice_does_not_fail():
    plaintext = "seed-example-test-token-0123456789abcdef"

    run("seed_example", "--token", plaintext)
    counts = world_counts()
    output = run("seed_example", "--token", plaintext)

    assert plaintext in output
    assert world_counts() == counts
    assert ApiToken.objects.filter(token_digest=digest(plaintext)).count() == 1
    response = get_issue(plaintext, pump_station_issue().pk)
    assert response.status_code == 200, response.content


def test_seed_example_with_existing_token_adds_missing_event_scopes():
    run("seed_example", "--token-only")
    user = User.objects.get(email=EMAIL)
    existing = ApiTokenFactory(user=user, scopes=["project:read"])

    run("seed_example", "--token", existing.plaintext)

    existing.refresh_from_db()
    assert sorted(existing.scopes) == sorted(set(SEED_TOKEN_SCOPES))


def test_seed_example_refuses_a_token_of_another_user():
    other = ApiTokenFactory(user=UserFactory())

    with pytest.raises(CommandError, match="another user"):
        run("seed_example", "--token", other.plaintext)

    other.refresh_from_db()
    assert other.user.email != EMAIL
    assert other.scopes == sorted(EVENT_SCOPES)


def test_seed_example_token_only_prints_only_the_token_line():
    output = run("seed_example", "--token-only")

    plaintext = output.strip()
    assert output == plaintext + "\n"
    assert HEX64.fullmatch(plaintext)
    assert ApiToken.objects.filter(token_digest=digest(plaintext)).exists()


def test_seed_example_token_only_with_token_prints_that_token():
    plaintext = "seed-example-test-token-0123456789abcdef"

    output = run("seed_example", "--token", plaintext, "--token-only")

    assert output == plaintext + "\n"


def test_seed_example_gives_pump_station_a_key_and_prints_its_dsn(settings):
    settings.ISSUES_API_URL_PREFIX = ""
    output = run("seed_example", "--dsn-only")

    project = Project.objects.get(organization__slug=ORGANIZATION_SLUG, slug="pump-station")
    key = ProjectKey.objects.get(project=project)
    assert output == f"http://{key.public_key}@127.0.0.1:8000/{project.pk}\n"
    # Again: the same key, no other, and no token made.
    assert run("seed_example", "--dsn-only") == output
    assert project.keys.count() == 1
    assert not ApiToken.objects.exists()
    # The full output names it under the token.
    assert run("seed_example").splitlines()[-1] == f"DSN of pump-station: {output.strip()}"


def test_seed_example_only_one_of_token_only_and_dsn_only():
    with pytest.raises(CommandError):
        run("seed_example", "--token-only", "--dsn-only")

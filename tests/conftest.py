import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client, override_settings
from rest_framework.test import APIClient

from accounts.models import ApiToken, Organization, OrganizationMember, Project, Team, User
from accounts.selectors import forget_project_keys
from issues.models import Issue
from tests.factories import (
    ApiTokenFactory,
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    TeamFactory,
    make_issue,
    make_organization,
)
from tests.helpers import bearer, client_for

# The test databases are created and dropped without the statement budget (libpq's "options"
# of the connection, see ISSUES_API_STATEMENT_TIMEOUT_MS): CREATE and DROP DATABASE wait for a
# checkpoint, seconds on a busy machine. The tests themselves run under it, as requests do.


def set_connection_options(value: str | None) -> None:
    options = connection.settings_dict["OPTIONS"]
    if value is None:
        options.pop("options", None)
    else:
        options["options"] = value
    connection.close()


@pytest.fixture(scope="session")
def configured_connection_options() -> str | None:
    return connection.settings_dict["OPTIONS"].get("options")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, configured_connection_options):
    set_connection_options(None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, configured_connection_options):
    with django_db_blocker.unblock():
        set_connection_options(configured_connection_options)
    yield
    with django_db_blocker.unblock():
        set_connection_options(None)
        if django_settings.DATABASE_POOLER:
            end_the_pooled_sessions_of(connection)


def end_the_pooled_sessions_of(connection) -> None:
    """The pooler keeps its server connections to the test database after the tests' clients
    have gone, and DROP DATABASE refuses a database that has sessions: end them, from a
    session in another database."""
    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """For rows that are costly to build and that every test of a module starts from: a
    module-scoped fixture writes them `with module_db():`. They are written in a transaction
    that stays open for the module's tests, each test's own transaction nested in it (as in
    Django's setUpTestData), so what a test writes is gone for the next; the rows go when the
    module's transaction is rolled back after its last test. A transactional_db test cannot
    run in such a module."""
    with django_db_blocker.unblock():
        # Inside a test's transaction, the rows would go with that test's rollback.
        assert not connection.in_atomic_block, "request the module's fixture from the test itself"
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield django_db_blocker.unblock
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(
    params=[
        (None, pytest.skip.Exception),
        ("false", pytest.skip.Exception),
        ("true", pytest.fail.Exception),
    ],
    ids=["no-CI", "CI=false", "CI=true"],
)
def missing_program_outcome(request, monkeypatch):
    """CI unset, false and true in turn, and what a test missing a program of the machine must
    then do (tests/environment.py): skip, except on CI, where it fails."""
    ci, outcome = request.param
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    return outcome


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """PBKDF2 is slow by design; tests only need passwords to be usable. For the whole
    session, so that module-scoped fixtures (module_db) hash fast too."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def fresh_project_keys():
    """Each test reads client keys as its own rows have them: a key the ingest endpoints kept
    from an earlier test (or from a queryset update, which sends no signal) is forgotten."""
    forget_project_keys()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture(scope="module")
def shared_rows(module_db) -> dict:
    """The rows of organization, team, project, user, token and issue, built once for a module
    that asks with `pytest.mark.usefixtures("shared_rows")`: those fixtures then read their
    row afresh for each test, and find it as built, since what a test writes is rolled back
    (module_db). For modules whose every test lives with all six (an issue in the project, a
    member with a token), and that have no transactional_db test."""
    with module_db():
        organization = OrganizationFactory()
        team = TeamFactory(organization=organization)
        project = ProjectFactory(organization=organization, teams=[team])
        user = new_member(organization, team)
        token = ApiTokenFactory(user=user)
        issue = make_issue(project)
    return {
        "organization": organization.pk,
        "team": team.pk,
        "project": project.pk,
        "user": user.pk,
        "token": token.pk,
        "plaintext": token.plaintext,
        "issue": issue.pk,
    }


def shared(request, name: str):
    """What shared_rows holds under `name`, or None in a module that builds its rows per test."""
    if "shared_rows" not in request.fixturenames:
        return None
    return request.getfixturevalue("shared_rows")[name]


def new_member(organization, team):
    """A member of the organization, on the team."""
    member = MemberFactory(
        organization=organization, teams=[team], role=OrganizationMember.Role.MEMBER
    )
    return member.user


@pytest.fixture
def organization(request):
    if (pk := shared(request, "organization")) is not None:
        return Organization.objects.get(pk=pk)
    return OrganizationFactory()


@pytest.fixture
def team(request, organization):
    if (pk := shared(request, "team")) is not None:
        return Team.objects.select_related("organization").get(pk=pk)
    return TeamFactory(organization=organization)


@pytest.fixture
def project(request, organization, team):
    if (pk := shared(request, "project")) is not None:
        return Project.objects.select_related("organization").get(pk=pk)
    return ProjectFactory(organization=organization, teams=[team])


@pytest.fixture
def user(request, organization, team):
    """A member of the organization, on the project's team."""
    if (pk := shared(request, "user")) is not None:
        return User.objects.get(pk=pk)
    return new_member(organization, team)


@pytest.fixture
def token(request, user):
    if (pk := shared(request, "token")) is not None:
        token = ApiToken.objects.select_related("user").get(pk=pk)
        token.plaintext = shared(request, "plaintext")
        return token
    return ApiTokenFactory(user=user)


@pytest.fixture
def api(api_client, token):
    """An API client authenticated as `user` with every event scope."""
    api_client.credentials(**bearer(token.plaintext))
    return api_client


@pytest.fixture
def scoped_api(user):
    """`api` with a token of other scopes: scoped_api(["event:read"]) is a new client for
    `user` whose token holds only those."""
    return lambda scopes: client_for(user, scopes)


@pytest.fixture
def issue(request, project):
    if (pk := shared(request, "issue")) is not None:
        return Issue.objects.select_related("project__organization").get(pk=pk)
    return make_issue(project)


@pytest.fixture
def other_organization():
    """An organization `user` is not a member of, with a team, a project and a member."""
    return make_organization()


@pytest.fixture
def foreign_issue(other_organization):
    """An issue of other_organization's project."""
    return make_issue(other_organization.projects.get())


@pytest.fixture(scope="module")
def schema():
    """The OpenAPI schema the service serves (/api/0/schema/), once per test module."""
    response = Client().get("/api/0/schema/?format=json")
    assert response.status_code == 200, response.content
    return response.json()

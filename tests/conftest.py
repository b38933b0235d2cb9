import pytest
from rest_framework.test import APIClient

from accounts.models import OrganizationMember
from tests.factories import (
    ApiTokenFactory,
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
    make_issue,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 is slow by design; tests only need passwords to be usable."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def organization():
    return OrganizationFactory()


@pytest.fixture
def team(organization):
    return TeamFactory(organization=organization)


@pytest.fixture
def project(organization, team):
    return ProjectFactory(organization=organization, teams=[team])


@pytest.fixture
def user(organization, team):
    """A member of the organization, on the project's team."""
    member = MemberFactory(
        organization=organization,
        user=UserFactory(),
        teams=[team],
        role=OrganizationMember.Role.MEMBER,
    )
    return member.user


@pytest.fixture
def token(user):
    return ApiTokenFactory(user=user)


@pytest.fixture
def api(api_client, token):
    """An API client authenticated as `user` with every event scope."""
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    return api_client


@pytest.fixture
def issue(project):
    return make_issue(project)

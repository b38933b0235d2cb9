"""Authentication, scopes, lookup and membership of GET on the issue routes, over HTTP.

Sentry's precedence: 401 (credentials) > 403 (token scope) > 404 (unknown org or issue)
> 403 (not a member) > 404 (hidden status).
"""

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken
from issues.models import IssueStatus
from tests.factories import (
    ApiTokenFactory,
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
    make_issue,
)

pytestmark = pytest.mark.django_db

NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
PERMISSION_DENIED = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "The requested resource does not exist"}
WWW_AUTHENTICATE = 'xBasic realm="api"'

ROUTES = ["issues", "groups", "organization"]
BEYOND_BIGINT = "99999999999999999999"


def issue_url(route: str, issue_id, organization=None) -> str:
    if route == "issues":
        return f"/api/0/issues/{issue_id}/"
    if route == "groups":
        return f"/api/0/groups/{issue_id}/"
    return f"/api/0/organizations/{organization.slug}/issues/{issue_id}/"


def org_issue_url(organization_id_or_slug, issue_id) -> str:
    return f"/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/"


def get(client, url, authorization=None):
    if authorization is None:
        return client.get(url)
    return client.get(url, HTTP_AUTHORIZATION=authorization)


def assert_unauthorized(response, body):
    assert response.status_code == 401, response.content
    assert response.json() == body
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE


def assert_ok(response, issue):
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(issue.pk)


@pytest.fixture
def other_organization():
    """An organization `user` is not a member of, with one issue."""
    organization = OrganizationFactory()
    team = TeamFactory(organization=organization)
    ProjectFactory(organization=organization, teams=[team])
    MemberFactory(organization=organization, teams=[team])
    return organization


@pytest.fixture
def foreign_issue(other_organization):
    return make_issue(other_organization.projects.get())


# Authentication (401)


@pytest.mark.parametrize("route", ROUTES)
def test_get_without_authorization_returns_401_not_provided(api_client, issue, route):
    response = api_client.get(issue_url(route, issue.pk, issue.project.organization))

    assert_unauthorized(response, NOT_PROVIDED)


@pytest.mark.parametrize("route", ROUTES)
def test_get_without_authorization_returns_401_even_for_unknown_issue(api_client, project, route):
    response = api_client.get(issue_url(route, 987654321, project.organization))

    assert_unauthorized(response, NOT_PROVIDED)


def test_get_without_authorization_returns_401_for_unknown_organization(api_client):
    response = api_client.get(org_issue_url("no-such-org", 1))

    assert_unauthorized(response, NOT_PROVIDED)


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_bearer_keyword_only_returns_401_no_credentials(api_client, issue, route):
    response = get(api_client, issue_url(route, issue.pk, issue.project.organization), "Bearer")

    assert_unauthorized(response, {"detail": "Invalid token header. No credentials provided."})


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_token_containing_spaces_returns_401(api_client, issue, route):
    response = get(api_client, issue_url(route, issue.pk, issue.project.organization), "Bearer a b")

    assert_unauthorized(
        response, {"detail": "Invalid token header. Token string should not contain spaces."}
    )


@pytest.mark.parametrize("keyword", ["bearer", "BEARER", "Bearer"])
@pytest.mark.parametrize("route", ROUTES)
def test_get_accepts_bearer_keyword_in_any_case(api_client, issue, token, route, keyword):
    url = issue_url(route, issue.pk, issue.project.organization)

    response = get(api_client, url, f"{keyword} {token.plaintext}")

    assert_ok(response, issue)


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_unknown_token_returns_401_invalid_token(api_client, issue, route):
    url = issue_url(route, issue.pk, issue.project.organization)

    response = get(api_client, url, "Bearer " + "0" * 64)

    assert_unauthorized(response, {"detail": "Invalid token"})


def test_get_with_stored_digest_as_token_returns_401_invalid_token(api_client, issue, token):
    response = get(api_client, f"/api/0/issues/{issue.pk}/", f"Bearer {token.token_digest}")

    assert_unauthorized(response, {"detail": "Invalid token"})


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_expired_token_returns_401_token_expired(api_client, issue, user, route):
    expired = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(seconds=1))
    url = issue_url(route, issue.pk, issue.project.organization)

    response = get(api_client, url, f"Bearer {expired.plaintext}")

    assert_unauthorized(response, {"detail": "Token expired"})


def test_get_with_token_expiring_in_the_future_returns_200(api_client, issue, user):
    token = ApiTokenFactory(user=user, expires_at=timezone.now() + timedelta(hours=1))

    response = get(api_client, f"/api/0/issues/{issue.pk}/", f"Bearer {token.plaintext}")

    assert_ok(response, issue)


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_token_of_inactive_user_returns_401(api_client, issue, user, token, route):
    user.is_active = False
    user.save(update_fields=["is_active"])
    url = issue_url(route, issue.pk, issue.project.organization)

    response = get(api_client, url, f"Bearer {token.plaintext}")

    assert_unauthorized(response, {"detail": "User inactive or deleted"})


def test_get_with_expired_token_of_inactive_user_returns_401_token_expired(api_client, issue, user):
    expired = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(days=1))
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = get(api_client, f"/api/0/issues/{issue.pk}/", f"Bearer {expired.plaintext}")

    assert_unauthorized(response, {"detail": "Token expired"})


@pytest.mark.parametrize("scheme", ["Token", "Basic", "Digest", "Bearer:"])
@pytest.mark.parametrize("route", ROUTES)
def test_get_with_other_scheme_returns_401_not_provided(api_client, issue, token, route, scheme):
    url = issue_url(route, issue.pk, issue.project.organization)

    response = get(api_client, url, f"{scheme} {token.plaintext}")

    assert_unauthorized(response, NOT_PROVIDED)


def test_get_with_basic_credentials_returns_401_not_provided(api_client, issue):
    response = get(api_client, f"/api/0/issues/{issue.pk}/", "Basic eHh4Og==")

    assert_unauthorized(response, NOT_PROVIDED)


def test_get_with_bad_token_for_unknown_issue_returns_401_before_404(api_client, project):
    response = get(api_client, "/api/0/issues/987654321/", "Bearer nope")

    assert_unauthorized(response, {"detail": "Invalid token"})


# Token scopes (403 before any lookup)


@pytest.mark.parametrize("scopes", [["project:read"], ["org:read", "project:admin"], []])
@pytest.mark.parametrize("route", ROUTES)
def test_get_with_token_lacking_event_scope_returns_403(api_client, issue, user, route, scopes):
    token = ApiTokenFactory(user=user, scopes=scopes)
    url = issue_url(route, issue.pk, issue.project.organization)

    response = get(api_client, url, f"Bearer {token.plaintext}")

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_token_lacking_event_scope_returns_403_for_unknown_issue(
    api_client, project, user, route
):
    token = ApiTokenFactory(user=user, scopes=["project:read"])
    url = issue_url(route, 987654321, project.organization)

    response = get(api_client, url, f"Bearer {token.plaintext}")

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


@pytest.mark.parametrize(
    "url",
    [org_issue_url("no-such-org", 1), "/api/0/issues/abc/", f"/api/0/issues/{BEYOND_BIGINT}/"],
)
def test_get_with_token_lacking_event_scope_returns_403_before_any_lookup(api_client, user, url):
    token = ApiTokenFactory(user=user, scopes=["project:read"])

    response = get(api_client, url, f"Bearer {token.plaintext}")

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


@pytest.mark.parametrize("scope", ["event:read", "event:write", "event:admin"])
@pytest.mark.parametrize("route", ROUTES)
def test_get_with_any_single_event_scope_returns_200(api_client, issue, user, route, scope):
    token = ApiTokenFactory(user=user, scopes=[scope])
    url = issue_url(route, issue.pk, issue.project.organization)

    response = get(api_client, url, f"Bearer {token.plaintext}")

    assert_ok(response, issue)


def test_get_ignores_unknown_scopes_on_the_token(api_client, issue, user):
    token = ApiTokenFactory(user=user, scopes=["event:everything", "project:read"])

    response = get(api_client, f"/api/0/issues/{issue.pk}/", f"Bearer {token.plaintext}")

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


# Lookup (404)


@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_200_for_existing_issue(api, issue, route):
    response = api.get(issue_url(route, issue.pk, issue.project.organization))

    assert_ok(response, issue)


@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_404_for_unknown_numeric_id(api, issue, route):
    response = api.get(issue_url(route, issue.pk + 1000, issue.project.organization))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("issue_id", [BEYOND_BIGINT, str(2**63), str(2**63 - 1), "0"])
def test_get_returns_404_for_zero_or_bigint_edge_ids(api, issue, route, issue_id):
    response = api.get(issue_url(route, issue_id, issue.project.organization))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("route", ["issues", "groups"])
@pytest.mark.parametrize("issue_id", ["abc", "PROJECT-1", "-1", "1.0", "1e3", "0x1"])
def test_get_on_legacy_route_returns_404_for_non_numeric_id(api, issue, route, issue_id):
    response = api.get(issue_url(route, issue_id))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("route", ["issues", "groups"])
def test_get_on_legacy_route_returns_404_for_existing_short_id(api, issue, route):
    response = api.get(issue_url(route, issue.qualified_short_id))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_get_on_groups_alias_returns_the_same_issue(api, issue):
    via_issues = api.get(f"/api/0/issues/{issue.pk}/")
    via_groups = api.get(f"/api/0/groups/{issue.pk}/")

    assert_ok(via_groups, issue)
    assert via_groups.json()["shortId"] == via_issues.json()["shortId"]


# Membership (403) and hidden statuses (404)


@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_403_for_issue_in_other_org(api, foreign_issue, route):
    response = api.get(issue_url(route, foreign_issue.pk, foreign_issue.project.organization))

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


def test_get_returns_404_for_unknown_issue_in_other_org(api, foreign_issue):
    url = org_issue_url(foreign_issue.project.organization.slug, foreign_issue.pk + 1000)

    response = api.get(url)

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_get_returns_403_for_short_id_in_other_org(api, foreign_issue):
    url = org_issue_url(foreign_issue.project.organization.slug, foreign_issue.qualified_short_id)

    response = api.get(url)

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_403_to_non_member_for_issue_pending_deletion(api, foreign_issue, route):
    type(foreign_issue).objects.filter(pk=foreign_issue.pk).update(
        status=IssueStatus.PENDING_DELETION
    )

    response = api.get(issue_url(route, foreign_issue.pk, foreign_issue.project.organization))

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


@pytest.mark.parametrize(
    "status",
    [
        IssueStatus.PENDING_DELETION,
        IssueStatus.DELETION_IN_PROGRESS,
        IssueStatus.PENDING_MERGE,
    ],
)
@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_404_to_member_for_hidden_issue(api, issue, route, status):
    type(issue).objects.filter(pk=issue.pk).update(status=status)

    response = api.get(issue_url(route, issue.pk, issue.project.organization))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("status", [IssueStatus.RESOLVED, IssueStatus.IGNORED])
def test_get_returns_200_to_member_for_resolved_or_ignored_issue(api, issue, status):
    type(issue).objects.filter(pk=issue.pk).update(status=status)

    response = api.get(f"/api/0/issues/{issue.pk}/")

    assert_ok(response, issue)


@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_200_to_active_superuser_who_is_not_a_member(api_client, issue, route):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    token = ApiTokenFactory(user=superuser, scopes=["event:read"])
    url = issue_url(route, issue.pk, issue.project.organization)

    response = get(api_client, url, f"Bearer {token.plaintext}")

    assert_ok(response, issue)


def test_get_returns_403_to_superuser_token_without_event_scope(api_client, issue):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    token = ApiTokenFactory(user=superuser, scopes=["org:admin"])

    response = get(api_client, f"/api/0/issues/{issue.pk}/", f"Bearer {token.plaintext}")

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


def test_get_returns_403_to_staff_who_is_not_superuser_nor_member(api_client, issue):
    staff = UserFactory(is_staff=True)
    token = ApiTokenFactory(user=staff)

    response = get(api_client, f"/api/0/issues/{issue.pk}/", f"Bearer {token.plaintext}")

    assert response.status_code == 403, response.content
    assert response.json() == PERMISSION_DENIED


def test_get_returns_200_to_member_of_the_org_on_no_team(api_client, issue, organization):
    member = MemberFactory(organization=organization, user=UserFactory())
    token = ApiTokenFactory(user=member.user)

    response = get(api_client, f"/api/0/issues/{issue.pk}/", f"Bearer {token.plaintext}")

    assert_ok(response, issue)


# Organization route


def test_org_route_returns_404_for_unknown_org_slug(api, issue):
    response = api.get(org_issue_url("no-such-org", issue.pk))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_org_route_returns_404_for_unknown_org_id(api, issue):
    response = api.get(org_issue_url(issue.project.organization_id + 1000, issue.pk))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_org_route_returns_404_for_org_id_beyond_bigint(api, issue):
    response = api.get(org_issue_url(BEYOND_BIGINT, issue.pk))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_org_route_returns_200_with_org_slug(api, issue):
    response = api.get(org_issue_url(issue.project.organization.slug, issue.pk))

    assert_ok(response, issue)


def test_org_route_returns_200_with_numeric_org_id(api, issue):
    response = api.get(org_issue_url(issue.project.organization_id, issue.pk))

    assert_ok(response, issue)


def test_org_route_groups_alias_returns_200(api, issue):
    slug = issue.project.organization.slug

    response = api.get(f"/api/0/organizations/{slug}/groups/{issue.pk}/")

    assert_ok(response, issue)


@pytest.mark.parametrize("by", ["slug", "id"])
def test_org_route_returns_404_for_issue_of_another_org_the_user_belongs_to(api, issue, user, by):
    other = OrganizationFactory()
    MemberFactory(organization=other, user=user)
    org = other.slug if by == "slug" else other.pk

    response = api.get(org_issue_url(org, issue.pk))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_org_route_returns_404_for_short_id_of_another_org_the_user_belongs_to(api, issue, user):
    other = OrganizationFactory()
    MemberFactory(organization=other, user=user)

    response = api.get(org_issue_url(other.slug, issue.qualified_short_id))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("transform", [str, str.lower], ids=["as-is", "lower-case"])
@pytest.mark.parametrize("by", ["slug", "id"])
def test_org_route_returns_200_for_qualified_short_id(api, issue, by, transform):
    organization = issue.project.organization
    org = organization.slug if by == "slug" else organization.pk

    response = api.get(org_issue_url(org, transform(issue.qualified_short_id)))

    assert_ok(response, issue)
    assert response.json()["shortId"] == issue.qualified_short_id


def test_org_route_short_id_selects_the_issue_of_its_project(api, issue, organization, team):
    second = make_issue(issue.project, message="Another failure")
    other_project = ProjectFactory(organization=organization, teams=[team])
    third = make_issue(other_project)

    for target in (issue, second, third):
        response = api.get(org_issue_url(organization.slug, target.qualified_short_id))
        assert_ok(response, target)


@pytest.mark.parametrize(
    "short_id",
    ["NO-SUCH-PROJECT-1", "NOPROJECT-1", "{slug}-ZZZZ", "{slug}-U", "{slug}-", "{slug}", "-"],
)
def test_org_route_returns_404_for_unknown_short_id(api, issue, short_id):
    organization = issue.project.organization
    short_id = short_id.format(slug=issue.project.slug.upper())

    response = api.get(org_issue_url(organization.slug, short_id))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_org_route_returns_404_for_short_id_beyond_bigint(api, issue):
    short_id = f"{issue.project.slug.upper()}-{'Z' * 20}"

    response = api.get(org_issue_url(issue.project.organization.slug, short_id))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


# Token storage


def test_stored_token_is_the_sha256_digest_of_the_plaintext(token):
    row = ApiToken.objects.get(pk=token.pk)

    assert re.fullmatch(r"[0-9a-f]{64}", row.token_digest)
    assert row.token_digest == hashlib.sha256(token.plaintext.encode()).hexdigest()
    assert row.token_last_characters == token.plaintext[-4:]


def test_stored_token_row_never_holds_the_plaintext(token):
    table = connection.ops.quote_name(ApiToken._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [token.pk])  # noqa: S608
        row = cursor.fetchone()

    assert row is not None
    assert all(token.plaintext not in str(value) for value in row)
    assert not ApiToken.objects.filter(token_digest=token.plaintext).exists()


# Only ASCII digits make a numeric id: str.isdigit() is also true for "²" (which int() rejects)
# and for the fullwidth one and the Arabic-Indic three (which int() reads as 1 and 3).
UNICODE_DIGITS = ["\u00b2", "\uff11", "\u0663"]


@pytest.mark.parametrize("issue_id", UNICODE_DIGITS)
@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_404_for_non_ascii_digit_id(api, issue, route, issue_id):
    response = api.get(issue_url(route, issue_id, issue.project.organization))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("organization_id", UNICODE_DIGITS)
def test_org_route_returns_404_for_non_ascii_digit_org(api, issue, organization_id):
    response = api.get(org_issue_url(organization_id, issue.pk))

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND

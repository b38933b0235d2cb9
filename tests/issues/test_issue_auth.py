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
    UserFactory,
    make_issue,
)
from tests.helpers import (
    INVALID_TOKEN,
    NOT_FOUND,
    NOT_PROVIDED,
    PERMISSION_DENIED,
    ROUTES,
    TOKEN_EXPIRED,
    USER_INACTIVE,
    assert_error,
    client_for,
    issue_url,
    org_issue_url,
    route_url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]

BEYOND_BIGINT = "99999999999999999999"
# Only ASCII digits make a numeric id: str.isdigit() is also true for "²" (which int() rejects)
# and for the fullwidth one and the Arabic-Indic three (which int() reads as 1 and 3).
UNICODE_DIGITS = ["\u00b2", "\uff11", "\u0663"]


def get(client, url, authorization=None):
    if authorization is None:
        return client.get(url)
    return client.get(url, HTTP_AUTHORIZATION=authorization)


def assert_ok(response, issue):
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(issue.pk)


# Authentication (401)

# Authorization headers that authenticate no one, and the 401 each answers; {token} stands for
# a valid token of the member.
UNAUTHENTICATED = [
    pytest.param(None, NOT_PROVIDED, id="none"),
    pytest.param(
        "Bearer", {"detail": "Invalid token header. No credentials provided."}, id="keyword-only"
    ),
    pytest.param(
        "Bearer a b",
        {"detail": "Invalid token header. Token string should not contain spaces."},
        id="spaces",
    ),
    pytest.param("Bearer " + "0" * 64, INVALID_TOKEN, id="unknown-token"),
    pytest.param("Basic eHh4Og==", NOT_PROVIDED, id="basic-credentials"),
    *(
        pytest.param(f"{scheme} {{token}}", NOT_PROVIDED, id=f"scheme-{scheme}")
        for scheme in ("Token", "Basic", "Digest", "Bearer:")
    ),
]


@pytest.mark.parametrize(("authorization", "body"), UNAUTHENTICATED)
@pytest.mark.parametrize("route", ROUTES)
def test_get_without_valid_credentials_returns_401(
    api_client, issue, token, route, authorization, body
):
    if authorization is not None:
        authorization = authorization.format(token=token.plaintext)

    response = get(api_client, issue_url(issue, route), authorization)

    assert_error(response, 401, body)


@pytest.mark.parametrize("route", ROUTES)
def test_get_without_authorization_returns_401_even_for_unknown_issue(api_client, project, route):
    response = api_client.get(route_url(route, 987654321, project.organization))

    assert_error(response, 401, NOT_PROVIDED)


def test_get_without_authorization_returns_401_for_unknown_organization(api_client):
    response = api_client.get(org_issue_url("no-such-org", 1))

    assert_error(response, 401, NOT_PROVIDED)


@pytest.mark.parametrize("keyword", ["bearer", "BEARER", "Bearer"])
@pytest.mark.parametrize("route", ROUTES)
def test_get_accepts_bearer_keyword_in_any_case(api_client, issue, token, route, keyword):
    response = get(api_client, issue_url(issue, route), f"{keyword} {token.plaintext}")

    assert_ok(response, issue)


def test_get_with_stored_digest_as_token_returns_401_invalid_token(api_client, issue, token):
    response = get(api_client, issue_url(issue), f"Bearer {token.token_digest}")

    assert_error(response, 401, INVALID_TOKEN)


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_expired_token_returns_401_token_expired(api_client, issue, user, route):
    expired = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(seconds=1))

    response = get(api_client, issue_url(issue, route), f"Bearer {expired.plaintext}")

    assert_error(response, 401, TOKEN_EXPIRED)


def test_get_with_token_expiring_in_the_future_returns_200(api_client, issue, user):
    token = ApiTokenFactory(user=user, expires_at=timezone.now() + timedelta(hours=1))

    response = get(api_client, issue_url(issue), f"Bearer {token.plaintext}")

    assert_ok(response, issue)


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_token_of_inactive_user_returns_401(api_client, issue, user, token, route):
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = get(api_client, issue_url(issue, route), f"Bearer {token.plaintext}")

    assert_error(response, 401, USER_INACTIVE)


def test_get_with_expired_token_of_inactive_user_returns_401_token_expired(api_client, issue, user):
    expired = ApiTokenFactory(user=user, expires_at=timezone.now() - timedelta(days=1))
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = get(api_client, issue_url(issue), f"Bearer {expired.plaintext}")

    assert_error(response, 401, TOKEN_EXPIRED)


def test_get_with_bad_token_for_unknown_issue_returns_401_before_404(api_client, project):
    response = get(api_client, "/api/0/issues/987654321/", "Bearer nope")

    assert_error(response, 401, INVALID_TOKEN)


# Token scopes (403 before any lookup)


@pytest.mark.parametrize("scopes", [["project:read"], ["org:read", "project:admin"], []])
@pytest.mark.parametrize("route", ROUTES)
def test_get_with_token_lacking_event_scope_returns_403(scoped_api, issue, route, scopes):
    response = scoped_api(scopes).get(issue_url(issue, route))

    assert_error(response, 403, PERMISSION_DENIED)


@pytest.mark.parametrize("route", ROUTES)
def test_get_with_token_lacking_event_scope_returns_403_for_unknown_issue(
    scoped_api, project, route
):
    response = scoped_api(["project:read"]).get(route_url(route, 987654321, project.organization))

    assert_error(response, 403, PERMISSION_DENIED)


@pytest.mark.parametrize(
    "url",
    [org_issue_url("no-such-org", 1), "/api/0/issues/abc/", f"/api/0/issues/{BEYOND_BIGINT}/"],
)
def test_get_with_token_lacking_event_scope_returns_403_before_any_lookup(scoped_api, url):
    response = scoped_api(["project:read"]).get(url)

    assert_error(response, 403, PERMISSION_DENIED)


@pytest.mark.parametrize("scope", ["event:read", "event:write", "event:admin"])
@pytest.mark.parametrize("route", ROUTES)
def test_get_with_any_single_event_scope_returns_200(scoped_api, issue, route, scope):
    response = scoped_api([scope]).get(issue_url(issue, route))

    assert_ok(response, issue)


def test_get_ignores_unknown_scopes_on_the_token(scoped_api, issue):
    response = scoped_api(["event:everything", "project:read"]).get(issue_url(issue))

    assert_error(response, 403, PERMISSION_DENIED)


# Lookup (404)


@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_200_for_existing_issue(api, issue, route):
    assert_ok(api.get(issue_url(issue, route)), issue)


@pytest.mark.parametrize(
    "issue_id",
    ["{unknown}", BEYOND_BIGINT, str(2**63), str(2**63 - 1), "0", *UNICODE_DIGITS],
)
@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_404_for_an_id_of_no_issue(api, issue, route, issue_id):
    issue_id = issue_id.format(unknown=issue.pk + 1000)

    response = api.get(route_url(route, issue_id, issue.project.organization))

    assert_error(response, 404, NOT_FOUND)


@pytest.mark.parametrize("route", ["issues", "groups"])
@pytest.mark.parametrize("issue_id", ["abc", "PROJECT-1", "-1", "1.0", "1e3", "0x1", "{short_id}"])
def test_get_on_legacy_route_returns_404_for_non_numeric_id(api, issue, route, issue_id):
    issue_id = issue_id.format(short_id=issue.qualified_short_id)

    response = api.get(route_url(route, issue_id))

    assert_error(response, 404, NOT_FOUND)


def test_get_on_groups_alias_returns_the_same_issue(api, issue):
    via_issues = api.get(issue_url(issue, "issues"))
    via_groups = api.get(issue_url(issue, "groups"))

    assert_ok(via_groups, issue)
    assert via_groups.json()["shortId"] == via_issues.json()["shortId"]


# Membership (403) and hidden statuses (404)


@pytest.mark.parametrize("status", [IssueStatus.UNRESOLVED, IssueStatus.PENDING_DELETION])
@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_403_to_non_member_whatever_the_status(api, foreign_issue, route, status):
    """403 also for an issue pending deletion: its hidden status is not revealed."""
    type(foreign_issue).objects.filter(pk=foreign_issue.pk).update(status=status)

    response = api.get(issue_url(foreign_issue, route))

    assert_error(response, 403, PERMISSION_DENIED)


def test_get_returns_404_for_unknown_issue_in_other_org(api, foreign_issue):
    url = org_issue_url(foreign_issue.project.organization.slug, foreign_issue.pk + 1000)

    assert_error(api.get(url), 404, NOT_FOUND)


def test_get_returns_403_for_short_id_in_other_org(api, foreign_issue):
    url = org_issue_url(foreign_issue.project.organization.slug, foreign_issue.qualified_short_id)

    assert_error(api.get(url), 403, PERMISSION_DENIED)


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

    assert_error(api.get(issue_url(issue, route)), 404, NOT_FOUND)


@pytest.mark.parametrize("status", [IssueStatus.RESOLVED, IssueStatus.IGNORED])
def test_get_returns_200_to_member_for_resolved_or_ignored_issue(api, issue, status):
    type(issue).objects.filter(pk=issue.pk).update(status=status)

    assert_ok(api.get(issue_url(issue)), issue)


@pytest.mark.parametrize("route", ROUTES)
def test_get_returns_200_to_active_superuser_who_is_not_a_member(issue, route):
    superuser = UserFactory(is_superuser=True, is_staff=True)

    response = client_for(superuser, ["event:read"]).get(issue_url(issue, route))

    assert_ok(response, issue)


def test_get_returns_403_to_superuser_token_without_event_scope(issue):
    superuser = UserFactory(is_superuser=True, is_staff=True)

    response = client_for(superuser, ["org:admin"]).get(issue_url(issue))

    assert_error(response, 403, PERMISSION_DENIED)


def test_get_returns_403_to_staff_who_is_not_superuser_nor_member(issue):
    response = client_for(UserFactory(is_staff=True)).get(issue_url(issue))

    assert_error(response, 403, PERMISSION_DENIED)


def test_get_returns_200_to_member_of_the_org_on_no_team(issue, organization):
    member = MemberFactory(organization=organization, user=UserFactory())

    assert_ok(client_for(member.user).get(issue_url(issue)), issue)


# Organization route


@pytest.mark.parametrize(
    "organization_id", ["no-such-org", "{unknown}", BEYOND_BIGINT, *UNICODE_DIGITS]
)
def test_org_route_returns_404_for_an_unknown_organization(api, issue, organization_id):
    organization_id = organization_id.format(unknown=issue.project.organization_id + 1000)

    assert_error(api.get(org_issue_url(organization_id, issue.pk)), 404, NOT_FOUND)


@pytest.mark.parametrize("by", ["slug", "id"])
def test_org_route_returns_200_with_org_slug_or_numeric_id(api, issue, by):
    organization = issue.project.organization
    org = organization.slug if by == "slug" else organization.pk

    assert_ok(api.get(org_issue_url(org, issue.pk)), issue)


def test_org_route_groups_alias_returns_200(api, issue):
    slug = issue.project.organization.slug

    response = api.get(f"/api/0/organizations/{slug}/groups/{issue.pk}/")

    assert_ok(response, issue)


@pytest.mark.parametrize("by", ["slug", "id"])
def test_org_route_returns_404_for_issue_of_another_org_the_user_belongs_to(api, issue, user, by):
    other = OrganizationFactory()
    MemberFactory(organization=other, user=user)
    org = other.slug if by == "slug" else other.pk

    assert_error(api.get(org_issue_url(org, issue.pk)), 404, NOT_FOUND)


def test_org_route_returns_404_for_short_id_of_another_org_the_user_belongs_to(api, issue, user):
    other = OrganizationFactory()
    MemberFactory(organization=other, user=user)

    response = api.get(org_issue_url(other.slug, issue.qualified_short_id))

    assert_error(response, 404, NOT_FOUND)


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
    [
        "NO-SUCH-PROJECT-1",
        "NOPROJECT-1",
        "{slug}-ZZZZ",
        "{slug}-U",
        "{slug}-",
        "{slug}",
        "-",
        "{slug}-" + "Z" * 20,  # beyond a bigint
    ],
)
def test_org_route_returns_404_for_unknown_short_id(api, issue, short_id):
    organization = issue.project.organization
    short_id = short_id.format(slug=issue.project.slug.upper())

    assert_error(api.get(org_issue_url(organization.slug, short_id)), 404, NOT_FOUND)


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

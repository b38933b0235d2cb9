"""Who may do what to an issue: roles, team access, superusers, and no leaks (docs/behaviour.md §1,
§4).

Sentry's precedence: 401 (credentials) > 403 (token scope, before any lookup) > 404 (unknown
org or issue, or an org the issue is not in) > 403 (not a member, or no team access) > 404
(hidden status). The effective scopes are the token's scopes cut down to the member's role.
Every refusal leaves the database as it was.
"""

import pytest

from accounts import roles, selectors
from accounts.models import OrganizationMember
from accounts.roles import GLOBAL_ROLES, ROLE_SCOPES
from accounts.scopes import EVENT_SCOPES, SCOPES
from issues.models import Issue, IssueStatus
from tests.factories import MemberFactory, ProjectFactory, TeamFactory, UserFactory
from tests.helpers import (
    NOT_FOUND,
    PERMISSION_DENIED,
    USER_INACTIVE,
    assert_error,
    db_state,
    issue_url,
    new_token,
    org_issue_url,
    send,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]

NO_DISCARD = {"discard": ["You do not have permission to discard events"]}

ROLES = [role.value for role in OrganizationMember.Role]
METHODS = ["GET", "HEAD", "PUT", "DELETE"]
ACCEPTED = {
    "GET": {"event:read", "event:write", "event:admin"},
    "HEAD": {"event:read", "event:write", "event:admin"},
    "PUT": {"event:write", "event:admin"},
    "DELETE": {"event:admin"},
}
SUCCESS = {"GET": 200, "HEAD": 200, "PUT": 200, "DELETE": 202}
# Routes that name the issue where it is, and two that name an organization it is not in.
ROUTES = [
    "issues",
    "groups",
    "org-slug",
    "org-short-id",
    "foreign-org-slug",
    "foreign-org-short-id",
]


def url_for(route: str, issue, foreign=None) -> str:
    if route in ("issues", "groups"):
        return issue_url(issue, route)
    organization = foreign if route.startswith("foreign-") else issue.project.organization
    issue_id = issue.qualified_short_id if route.endswith("short-id") else issue.pk
    return org_issue_url(organization.slug, issue_id)


def assert_allowed(response, method: str, issue):
    assert response.status_code == SUCCESS[method], response.content
    if method == "GET":
        assert response.json()["id"] == str(issue.pk)
    elif method == "HEAD":
        assert response.content == b""
    elif method == "PUT":
        assert response.json()["status"] == "resolved"
        assert Issue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED
    else:
        assert response.content == b""
        assert Issue.objects.get(pk=issue.pk).status == IssueStatus.PENDING_DELETION


def assert_get_put_delete_allowed(api_client, issue, plaintext):
    """GET, HEAD, PUT and DELETE in that order, each answered as for a member with access."""
    url = issue_url(issue)
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        assert_allowed(send(api_client, method, url, token=plaintext), method, issue)


def assert_get_put_delete_refused(api_client, issue, plaintext, status=403, body=None):
    body = PERMISSION_DENIED if body is None else body
    before = db_state(issue)
    url = issue_url(issue)
    for method in METHODS:
        assert_error(send(api_client, method, url, token=plaintext), status, body)
        assert db_state(issue) == before, method


@pytest.fixture
def closed_membership(organization):
    organization.allow_joinleave = False
    organization.save(update_fields=["allow_joinleave"])
    return organization


# Roles with open membership


def test_every_role_holds_every_event_scope():
    assert set(ROLES) == set(ROLE_SCOPES)
    for role in ROLES:
        assert set(EVENT_SCOPES) <= ROLE_SCOPES[role], role


def test_organizations_have_open_membership_by_default(organization):
    assert organization.allow_joinleave is True


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_get_put_and_delete_with_open_membership(
    api_client, organization, issue, role
):
    member = MemberFactory(organization=organization, user=UserFactory(), role=role)

    assert_get_put_delete_allowed(api_client, issue, new_token(member.user))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_the_project_team_may_get_put_and_delete(
    api_client, organization, team, issue, role
):
    member = MemberFactory(organization=organization, user=UserFactory(), role=role, teams=[team])

    assert_get_put_delete_allowed(api_client, issue, new_token(member.user))


# Token scopes ∩ role scopes


def without(role: str, *scopes: str) -> dict:
    patched = dict(ROLE_SCOPES)
    patched[role] = ROLE_SCOPES[role] - set(scopes)
    return patched


@pytest.fixture
def patch_role_scopes(monkeypatch):
    def patch(role_scopes: dict):
        # selectors imported the name, so both places must see the change.
        monkeypatch.setattr(roles, "ROLE_SCOPES", role_scopes)
        monkeypatch.setattr(selectors, "ROLE_SCOPES", role_scopes)

    return patch


def test_role_without_event_admin_cannot_delete_even_with_an_event_admin_token(
    api_client, issue, user, patch_role_scopes
):
    patch_role_scopes(without("member", "event:admin"))
    plaintext = new_token(user, SCOPES)
    before = db_state(issue)

    response = send(api_client, "DELETE", issue_url(issue), token=plaintext)

    assert_error(response, 403, PERMISSION_DENIED)
    assert db_state(issue) == before


def test_role_without_event_admin_cannot_discard_even_with_an_event_admin_token(
    api_client, issue, user, patch_role_scopes
):
    patch_role_scopes(without("member", "event:admin"))
    plaintext = new_token(user, SCOPES)
    before = db_state(issue)

    response = send(api_client, "PUT", issue_url(issue), token=plaintext, body={"discard": True})

    assert_error(response, 400, NO_DISCARD)
    assert db_state(issue) == before


def test_role_without_event_admin_may_still_get_and_put(api_client, issue, user, patch_role_scopes):
    patch_role_scopes(without("member", "event:admin"))
    plaintext = new_token(user, SCOPES)
    url = issue_url(issue)

    assert_allowed(send(api_client, "GET", url, token=plaintext), "GET", issue)
    assert_allowed(send(api_client, "PUT", url, token=plaintext), "PUT", issue)


def test_admin_role_is_not_affected_by_the_member_role_losing_event_admin(
    api_client, organization, issue, patch_role_scopes
):
    patch_role_scopes(without("member", "event:admin"))
    admin = MemberFactory(organization=organization, user=UserFactory(), role="admin")

    assert_get_put_delete_allowed(api_client, issue, new_token(admin.user))


def test_event_admin_token_on_a_role_without_event_admin_has_no_scope_left(
    api_client, issue, user, patch_role_scopes
):
    """The token passes the scope check (event:admin is accepted for every method), but
    token ∩ role is empty, so the object check refuses every method."""
    patch_role_scopes(without("member", "event:admin"))

    assert_get_put_delete_refused(api_client, issue, new_token(user, ["event:admin"]))


def test_role_without_event_write_cannot_put_with_an_event_write_token(
    api_client, issue, user, patch_role_scopes
):
    patch_role_scopes(without("member", "event:write", "event:admin"))
    plaintext = new_token(user, ["event:read", "event:write"])
    url = issue_url(issue)
    before = db_state(issue)

    assert_error(send(api_client, "PUT", url, token=plaintext), 403, PERMISSION_DENIED)
    assert db_state(issue) == before
    assert_allowed(send(api_client, "GET", url, token=plaintext), "GET", issue)


def test_role_without_any_event_scope_is_refused_everything(
    api_client, issue, user, patch_role_scopes
):
    patch_role_scopes(without("member", *EVENT_SCOPES))

    assert_get_put_delete_refused(api_client, issue, new_token(user, SCOPES))


def test_unknown_role_has_no_scopes(api_client, issue, user):
    OrganizationMember.objects.filter(user=user).update(role="intern")

    assert_get_put_delete_refused(api_client, issue, new_token(user, SCOPES))


# Closed membership: team access


@pytest.mark.parametrize("role", sorted(set(ROLES) - GLOBAL_ROLES))
def test_closed_membership_refuses_member_on_no_team(api_client, closed_membership, issue, role):
    member = MemberFactory(organization=closed_membership, user=UserFactory(), role=role)

    assert_get_put_delete_refused(api_client, issue, new_token(member.user))


@pytest.mark.parametrize("role", sorted(set(ROLES) - GLOBAL_ROLES))
def test_closed_membership_refuses_member_of_another_team_only(
    api_client, closed_membership, issue, role
):
    elsewhere = TeamFactory(organization=closed_membership)
    ProjectFactory(organization=closed_membership, teams=[elsewhere])
    member = MemberFactory(
        organization=closed_membership, user=UserFactory(), role=role, teams=[elsewhere]
    )

    assert_get_put_delete_refused(api_client, issue, new_token(member.user))


@pytest.mark.parametrize("role", sorted(set(ROLES) - GLOBAL_ROLES))
def test_closed_membership_allows_member_on_a_project_team(
    api_client, closed_membership, team, issue, role
):
    member = MemberFactory(
        organization=closed_membership, user=UserFactory(), role=role, teams=[team]
    )

    assert_get_put_delete_allowed(api_client, issue, new_token(member.user))


def test_closed_membership_allows_member_on_the_second_team_of_the_project(
    api_client, closed_membership, project, issue
):
    second = TeamFactory(organization=closed_membership)
    project.teams.add(second)
    member = MemberFactory(organization=closed_membership, user=UserFactory(), teams=[second])

    assert_get_put_delete_allowed(api_client, issue, new_token(member.user))


@pytest.mark.parametrize("role", sorted(GLOBAL_ROLES))
def test_closed_membership_allows_manager_and_owner_on_no_team(
    api_client, closed_membership, issue, role
):
    member = MemberFactory(organization=closed_membership, user=UserFactory(), role=role)

    assert_get_put_delete_allowed(api_client, issue, new_token(member.user))


def test_closed_membership_member_on_no_team_gets_404_for_unknown_issue(
    api_client, closed_membership, issue
):
    member = MemberFactory(organization=closed_membership, user=UserFactory())
    plaintext = new_token(member.user)

    for method in METHODS:
        response = send(api_client, method, f"/api/0/issues/{issue.pk + 1000}/", token=plaintext)
        assert_error(response, 404, NOT_FOUND)


def test_closed_membership_member_on_no_team_gets_403_for_issue_pending_deletion(
    api_client, closed_membership, issue
):
    """403 as for any issue they cannot see: the hidden status is not revealed."""
    Issue.objects.filter(pk=issue.pk).update(status=IssueStatus.PENDING_DELETION)
    member = MemberFactory(organization=closed_membership, user=UserFactory())

    assert_get_put_delete_refused(api_client, issue, new_token(member.user))


def test_reopening_membership_gives_the_member_access_again(api_client, closed_membership, issue):
    member = MemberFactory(organization=closed_membership, user=UserFactory())
    plaintext = new_token(member.user)
    url = issue_url(issue)
    assert_error(send(api_client, "GET", url, token=plaintext), 403, PERMISSION_DENIED)

    closed_membership.allow_joinleave = True
    closed_membership.save(update_fields=["allow_joinleave"])

    assert_allowed(send(api_client, "GET", url, token=plaintext), "GET", issue)


# Superusers


@pytest.mark.parametrize("allow_joinleave", [True, False], ids=["open", "closed"])
def test_active_superuser_who_is_not_a_member_may_get_put_and_delete(
    api_client, organization, issue, allow_joinleave
):
    organization.allow_joinleave = allow_joinleave
    organization.save(update_fields=["allow_joinleave"])
    superuser = UserFactory(is_superuser=True, is_staff=True)

    assert_get_put_delete_allowed(api_client, issue, new_token(superuser))


def test_superuser_member_on_no_team_of_closed_org_may_get_put_and_delete(
    api_client, closed_membership, issue
):
    superuser = UserFactory(is_superuser=True)
    MemberFactory(organization=closed_membership, user=superuser)

    assert_get_put_delete_allowed(api_client, issue, new_token(superuser))


def test_superuser_keeps_only_the_scopes_of_the_token(api_client, issue):
    superuser = UserFactory(is_superuser=True)
    plaintext = new_token(superuser, ["event:read"])
    url = issue_url(issue)
    before = db_state(issue)

    assert_allowed(send(api_client, "GET", url, token=plaintext), "GET", issue)
    for method in ("PUT", "DELETE"):
        assert_error(send(api_client, method, url, token=plaintext), 403, PERMISSION_DENIED)
    assert db_state(issue) == before


def test_superuser_with_event_write_may_not_discard(api_client, issue):
    superuser = UserFactory(is_superuser=True)
    plaintext = new_token(superuser, ["event:write"])
    before = db_state(issue)

    response = send(api_client, "PUT", issue_url(issue), token=plaintext, body={"discard": True})

    assert_error(response, 400, NO_DISCARD)
    assert db_state(issue) == before


def test_inactive_superuser_cannot_authenticate(api_client, issue):
    superuser = UserFactory(is_superuser=True, is_staff=True, is_active=False)

    assert_get_put_delete_refused(api_client, issue, new_token(superuser), 401, USER_INACTIVE)


@pytest.mark.parametrize("allow_joinleave", [True, False], ids=["open", "closed"])
def test_staff_who_is_not_superuser_nor_member_is_refused(
    api_client, organization, issue, allow_joinleave
):
    organization.allow_joinleave = allow_joinleave
    organization.save(update_fields=["allow_joinleave"])
    staff = UserFactory(is_staff=True)

    assert_get_put_delete_refused(api_client, issue, new_token(staff, SCOPES))


# The matrix: every method, every route, requesters who may or may not see the issue


class Requester:
    """A kind of requester: how to make one and what it may do to the issue."""

    def __init__(self, name: str, scopes, *, member: bool):
        self.name = name
        self.scopes = frozenset(scopes)
        self.member = member  # with access to the issue's project

    def __repr__(self):
        return self.name


REQUESTERS = [
    Requester("other-org-member", EVENT_SCOPES, member=False),
    Requester("no-org-user", SCOPES, member=False),
    Requester("closed-org-member-on-no-team", EVENT_SCOPES, member=False),
    Requester("member-with-no-scope", [], member=True),
    *(Requester(f"member-with-{scope}", [scope], member=True) for scope in SCOPES),
]


def make_requester(kind: Requester, *, organization, other_organization, user):
    if kind.name == "other-org-member":
        requester = other_organization.members.get().user
    elif kind.name == "no-org-user":
        requester = UserFactory()
    elif kind.name == "closed-org-member-on-no-team":
        organization.allow_joinleave = False
        organization.save(update_fields=["allow_joinleave"])
        requester = MemberFactory(organization=organization, user=UserFactory()).user
    else:
        requester = user
    return new_token(requester, kind.scopes)


def expected_status(kind: Requester, method: str, route: str) -> int:
    if not kind.scopes & ACCEPTED[method]:
        return 403  # the token's scopes, before any lookup
    if route.startswith("foreign-org"):
        return 404  # the issue is not in the organization the URL names
    if not kind.member:
        return 403
    return SUCCESS[method]


@pytest.mark.parametrize("kind", REQUESTERS, ids=repr)
def test_access_matrix(api_client, subtests, organization, user, other_organization, issue, kind):
    """Every method on every route; refusals answer Sentry's body and change nothing."""
    plaintext = make_requester(
        kind, organization=organization, other_organization=other_organization, user=user
    )
    for method in METHODS:
        for route in ROUTES:
            with subtests.test(method=method, route=route):
                before = db_state(issue)
                url = url_for(route, issue, other_organization)
                response = send(api_client, method, url, token=plaintext)
                status = expected_status(kind, method, route)
                if status in (200, 202):
                    assert_allowed(response, method, issue)
                    if method in ("GET", "HEAD"):
                        assert db_state(issue) == before
                else:
                    body = PERMISSION_DENIED if status == 403 else NOT_FOUND
                    assert_error(response, status, body)
                    assert db_state(issue) == before
                # A successful PUT or DELETE is undone for the next route.
                Issue.objects.filter(pk=issue.pk).update(
                    status=IssueStatus.UNRESOLVED, resolved_at=None, deletion_requested_at=None
                )


def test_access_matrix_covers_every_scope():
    assert {kind.name.removeprefix("member-with-") for kind in REQUESTERS} >= set(SCOPES)

"""GET /api/0/organizations/, /api/0/organizations/{org}/ and the short-id lookup
/api/0/organizations/{org}/shortids/{short_id}/, in Sentry's shapes, over HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OrganizationMember
from issues.models import IssueStatus
from issues.seed import ORGANIZATION_SLUG, build_reference_world, token_for
from tests.contract import current_response_schema
from tests.factories import (
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
    make_issue,
)
from tests.helpers import (
    NOT_FOUND,
    PERMISSION_DENIED,
    assert_error,
    client_for,
    follow,
    get_json,
    links,
    short_id_url,
    validate,
)

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = "99999999999999999999"

# ---- Sentry's published schemas (getsentry/sentry-api-schema) -------------------------------
AVATAR = {  # components/schemas/avatar.json
    "type": "object",
    "properties": {
        "avatarType": {"type": "string"},
        "avatarUuid": {"type": "string", "nullable": True},
    },
}
STATUS = {  # components/schemas/organization-status.json
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
}
# components/schemas/organization.json (it lists no required keys; we send all of them).
ORGANIZATION_PROPERTIES = {
    "avatar": AVATAR,
    "dateCreated": {"type": "string", "format": "date-time"},
    "id": {"type": "string"},
    "isEarlyAdopter": {"type": "boolean"},
    "name": {"type": "string"},
    "require2FA": {"type": "boolean"},
    "slug": {"type": "string"},
    "status": STATUS,
}
ORGANIZATION = {
    "type": "object",
    "required": sorted(ORGANIZATION_PROPERTIES),
    "properties": ORGANIZATION_PROPERTIES,
}
TEAM = {  # components/schemas/team.json#/Team
    "type": "object",
    "required": [
        "avatar",
        "dateCreated",
        "hasAccess",
        "id",
        "isMember",
        "isPending",
        "memberCount",
        "name",
        "slug",
    ],
    "properties": {
        "avatar": AVATAR,
        "dateCreated": {"type": "string", "format": "date-time"},
        "hasAccess": {"type": "boolean"},
        "id": {"type": "string"},
        "isMember": {"type": "boolean"},
        "isPending": {"type": "boolean"},
        "memberCount": {"type": "integer"},
        "name": {"type": "string"},
        "slug": {"type": "string"},
    },
}
# components/schemas/organization-details.json#/OrganizationDetails, restricted to the keys
# this service fills. Left out, as it keeps no such settings: allowSharedIssues, dataScrubber,
# dataScrubberDefaults, enhancedPrivacy, experiments, isDefault, onboardingTasks,
# pendingAccessRequests, quota, safeFields, scrapeJavaScript, scrubIPAddresses,
# sensitiveFields, storeCrashReports, trustedRelays.
DETAILS_PROPERTIES = {
    **ORGANIZATION_PROPERTIES,
    "access": {"type": "array", "items": {"type": "string"}},
    "availableRoles": {"type": "array", "items": {"type": "object"}},
    "defaultRole": {"type": "string"},
    "features": {"type": "array", "items": {"type": "string"}},
    "openMembership": {"type": "boolean"},
    "projects": {"type": "array", "items": {"type": "object"}},
    "teams": {"type": "array", "items": TEAM},
}
ORGANIZATION_DETAILS = {
    "type": "object",
    "required": sorted(DETAILS_PROPERTIES),
    "properties": DETAILS_PROPERTIES,
}
# paths/organizations/shortid.json, 200 response.
SHORT_ID_LOOKUP = {
    "type": "object",
    "required": ["organizationSlug", "projectSlug", "shortId", "group", "groupId"],
    "properties": {
        "organizationSlug": {"type": "string"},
        "projectSlug": {"type": "string"},
        "shortId": {"type": "string"},
        "groupId": {"type": "string"},
        "group": {
            "type": "object",
            "required": [
                "lastSeen",
                "numComments",
                "userCount",
                "culprit",
                "title",
                "id",
                "assignedTo",
                "logger",
                "type",
                "annotations",
                "metadata",
                "status",
                "subscriptionDetails",
                "isPublic",
                "hasSeen",
                "shortId",
                "shareId",
                "firstSeen",
                "count",
                "permalink",
                "level",
                "isSubscribed",
                "isBookmarked",
                "project",
                "statusDetails",
            ],
            "properties": {
                "lastSeen": {"type": "string"},
                "numComments": {"type": "integer"},
                "userCount": {"type": "integer"},
                "culprit": {"type": "string"},
                "title": {"type": "string"},
                "id": {"type": "string"},
                "assignedTo": {"type": "object", "nullable": True},
                "logger": {"type": "string", "nullable": True},
                "type": {"type": "string"},
                "annotations": {"type": "array", "items": {"type": "string"}},
                "metadata": {"type": "object"},
                "status": {"type": "string", "enum": ["resolved", "unresolved", "ignored"]},
                "subscriptionDetails": {"type": "object", "nullable": True},
                "isPublic": {"type": "boolean"},
                "hasSeen": {"type": "boolean"},
                "shortId": {"type": "string"},
                "shareId": {"type": "string", "nullable": True},
                "firstSeen": {"type": "string"},
                "count": {"type": "string"},
                "permalink": {"type": "string"},
                "level": {"type": "string"},
                "isSubscribed": {"type": "boolean"},
                "isBookmarked": {"type": "boolean"},
                "project": {"type": "object"},
                "statusDetails": {"type": "object"},
            },
        },
    },
}

ORG_SCOPES = ["org:read"]
# token, its last-used time (fresh tokens), one page of organizations.
LIST_QUERIES = 3
# token, last-used, and one statement: the organization with its teams, projects and the
# requester's membership (accounts.gather).
DETAIL_QUERIES = 3


@pytest.fixture
def org_api(scoped_api):
    """`user` (a member of `organization`) with an org:read token."""
    return scoped_api(ORG_SCOPES)


def detail_url(organization_id_or_slug) -> str:
    return f"/api/0/organizations/{organization_id_or_slug}/"


# ---- GET /api/0/organizations/ ----------------------------------------------------------------


def test_list_returns_the_requesters_organizations_newest_first(org_api, user, organization):
    newer = OrganizationFactory(date_created=timezone.now() + timedelta(minutes=1))
    MemberFactory(organization=newer, user=user, role=OrganizationMember.Role.OWNER)
    OrganizationFactory()  # not a member
    items = get_json(org_api, "/api/0/organizations/")
    assert [item["slug"] for item in items] == [newer.slug, organization.slug]
    for item in items:
        validate(ORGANIZATION, item)


def test_list_item_is_sentrys_organization_shape(org_api, organization):
    [item] = get_json(org_api, "/api/0/organizations/")
    assert item == {
        "id": str(organization.pk),
        "slug": organization.slug,
        "name": organization.name,
        "dateCreated": organization.date_created.isoformat().replace("+00:00", "Z"),
        "status": {"id": "active", "name": "active"},
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None},
        "isEarlyAdopter": False,
        "require2FA": False,
        "allowMemberInvite": True,
        "allowMemberProjectCreation": True,
        "allowSuperuserAccess": True,
        "features": [],
        "links": {"organizationUrl": "http://testserver", "regionUrl": "http://testserver"},
        "hasAuthProvider": False,
    }


def test_list_and_details_validate_against_sentrys_current_schema(org_api, organization):
    """Sentry's current schema requires allowMemberInvite, allowMemberProjectCreation,
    allowSuperuserAccess and hasAuthProvider in both (docs/behaviour.md §16)."""
    validate(
        current_response_schema("/api/0/organizations/"),
        get_json(org_api, "/api/0/organizations/"),
    )
    document = get_json(org_api, detail_url(organization.slug))
    validate(current_response_schema("/api/0/organizations/{organization_id_or_slug}/"), document)
    settings = ("allowMemberInvite", "allowMemberProjectCreation", "allowSuperuserAccess")
    assert [document[key] for key in settings] == [True, True, True]
    assert document["hasAuthProvider"] is False


def test_superuser_lists_only_their_own_memberships(organization):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    mine = OrganizationFactory()
    MemberFactory(organization=mine, user=superuser)
    items = get_json(client_for(superuser, ORG_SCOPES), "/api/0/organizations/")
    assert [item["slug"] for item in items] == [mine.slug]


def test_user_without_memberships_gets_an_empty_list():
    assert get_json(client_for(UserFactory(), ORG_SCOPES), "/api/0/organizations/") == []


def test_list_is_paginated_with_sentry_cursors():
    user = UserFactory()
    now = timezone.now()
    organizations = []
    for minute in range(5):
        organization = OrganizationFactory(date_created=now - timedelta(minutes=minute))
        MemberFactory(organization=organization, user=user)
        organizations.append(organization.slug)
    client = client_for(user, ORG_SCOPES)
    response = client.get("/api/0/organizations/", {"per_page": 2})
    pages = []
    while True:
        assert response.status_code == 200, response.content
        pages.append([item["slug"] for item in response.json()])
        following = links(response)["next"]
        if not following.results:
            break
        response = follow(client, following.url)
    assert pages == [organizations[0:2], organizations[2:4], organizations[4:]]


# ---- GET /api/0/organizations/{org}/ ----------------------------------------------------------


def test_details_validate_and_show_role_access_teams_and_projects(
    org_api, organization, team, project
):
    document = get_json(org_api, detail_url(organization.slug))
    validate(ORGANIZATION_DETAILS, document)
    assert document["id"] == str(organization.pk)
    assert document["role"] == document["orgRole"] == "member"
    assert document["access"] == ["org:read"]  # the token's scopes cut down to the role's
    assert document["openMembership"] is True
    assert document["defaultRole"] == "member"
    assert [role["id"] for role in document["availableRoles"]] == [
        "member",
        "admin",
        "manager",
        "owner",
    ]
    [team_document] = document["teams"]
    assert team_document["id"] == str(team.pk)
    assert team_document["slug"] == team.slug
    assert team_document["name"] == team.name
    assert team_document["isMember"] is True
    assert team_document["hasAccess"] is True
    assert team_document["memberCount"] == 1
    [project_document] = document["projects"]
    assert project_document == {
        "id": str(project.pk),
        "slug": project.slug,
        "name": project.name,
        "platform": None,
        "dateCreated": project.date_added.isoformat().replace("+00:00", "Z"),
        "isMember": True,
        "hasAccess": True,
        "teams": [{"id": str(team.pk), "slug": team.slug, "name": team.name}],
    }


def test_details_with_closed_membership_show_what_the_member_reaches(
    org_api, organization, team, project
):
    organization.allow_joinleave = False
    organization.save()
    other_team = TeamFactory(organization=organization, slug="zz-other")
    other_project = ProjectFactory(organization=organization, teams=[other_team], slug="zz-p")
    document = get_json(org_api, detail_url(organization.slug))
    assert document["openMembership"] is False
    teams = {item["slug"]: (item["isMember"], item["hasAccess"]) for item in document["teams"]}
    assert teams == {team.slug: (True, True), other_team.slug: (False, False)}
    projects = {
        item["slug"]: (item["isMember"], item["hasAccess"]) for item in document["projects"]
    }
    assert projects == {project.slug: (True, True), other_project.slug: (False, False)}


def test_details_by_numeric_id(org_api, organization):
    assert get_json(org_api, detail_url(organization.pk))["slug"] == organization.slug


def test_owner_access_is_the_tokens_scopes(organization):
    owner = MemberFactory(organization=organization, role=OrganizationMember.Role.OWNER).user
    client = client_for(owner, ["org:read", "org:admin", "event:read"])
    document = get_json(client, detail_url(organization.slug))
    assert document["role"] == "owner"
    assert document["access"] == ["event:read", "org:admin", "org:read"]


def test_superuser_who_is_not_a_member_sees_the_details_without_a_role(organization, team, project):
    organization.allow_joinleave = False
    organization.save()
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client = client_for(superuser, ["org:read", "event:read"])
    document = get_json(client, detail_url(organization.slug))
    assert document["role"] is document["orgRole"] is None
    assert document["access"] == ["event:read", "org:read"]  # the token's, uncut
    for item in document["teams"] + document["projects"]:
        assert (item["isMember"], item["hasAccess"]) == (False, True), item
    assert [item["slug"] for item in document["teams"]] == [team.slug]
    assert [item["slug"] for item in document["projects"]] == [project.slug]


def test_details_of_an_organization_without_teams_or_projects():
    organization = OrganizationFactory()
    member = MemberFactory(organization=organization)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    for requester, role in ((member.user, "member"), (superuser, None)):
        document = get_json(client_for(requester, ORG_SCOPES), detail_url(organization.pk))
        validate(ORGANIZATION_DETAILS, document)
        assert (document["role"], document["teams"], document["projects"]) == (role, [], [])


def test_details_sort_by_slug_and_count_only_active_members(org_api, user, organization, team):
    # `team` (the requester's) is "team-N"; lowercase slugs sort alike in every collation.
    first = TeamFactory(organization=organization, slug="aaa", name="First")
    last = TeamFactory(organization=organization, slug="zzz", name="Last")
    MemberFactory(organization=organization, teams=[first, last])
    MemberFactory(organization=organization, teams=[first], user=UserFactory(is_active=False))
    ProjectFactory(organization=organization, slug="zz-project", teams=[last, team, first])
    ProjectFactory(organization=organization, slug="aa-project", teams=[])
    document = get_json(org_api, detail_url(organization.slug))
    teams = [(item["slug"], item["memberCount"], item["isMember"]) for item in document["teams"]]
    assert teams == [("aaa", 1, False), (team.slug, 1, True), ("zzz", 1, False)]
    projects = {item["slug"]: item for item in document["projects"]}
    assert list(projects) == ["aa-project", "zz-project"]
    assert projects["aa-project"]["teams"] == []
    assert projects["aa-project"]["isMember"] is False
    assert projects["zz-project"]["teams"] == [
        {"id": str(first.pk), "slug": "aaa", "name": "First"},
        {"id": str(team.pk), "slug": team.slug, "name": team.name},
        {"id": str(last.pk), "slug": "zzz", "name": "Last"},
    ]
    assert projects["zz-project"]["isMember"] is True


def test_details_of_an_organization_of_which_the_user_is_not_a_member_is_403(
    org_api, other_organization
):
    for url in (detail_url(other_organization.slug), detail_url(other_organization.pk)):
        assert_error(org_api.get(url), 403, PERMISSION_DENIED)


@pytest.mark.parametrize(
    "organization_id_or_slug", ["no-such-org", "999999", BEYOND_BIGINT, "9" * 5000]
)
def test_unknown_organization_is_404(org_api, organization_id_or_slug):
    response = org_api.get(detail_url(organization_id_or_slug))
    assert_error(response, 404, NOT_FOUND)


# ---- links --------------------------------------------------------------------------------------


def test_links_use_the_configured_url_prefix(org_api, organization, settings):
    settings.ISSUES_API_URL_PREFIX = "https://errors.example.org"
    expected = {
        "organizationUrl": "https://errors.example.org",
        "regionUrl": "https://errors.example.org",
    }
    [item] = get_json(org_api, "/api/0/organizations/")
    assert item["links"] == expected
    assert get_json(org_api, detail_url(organization.slug))["links"] == expected


def test_links_default_to_the_request_host(org_api, organization, settings):
    settings.ALLOWED_HOSTS = ["issues.example.test"]
    response = org_api.get(detail_url(organization.slug), HTTP_HOST="issues.example.test")
    assert response.status_code == 200, response.content
    assert response.json()["links"] == {
        "organizationUrl": "http://issues.example.test",
        "regionUrl": "http://issues.example.test",
    }
    assert "sentry.io" not in response.content.decode()


# ---- scopes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "scopes", "status"),
    [
        ("member", ["org:read"], 200),
        ("owner", ["org:write"], 200),
        ("owner", ["org:admin"], 200),
        # The token's scopes are cut down to the role's: a member has no org:write.
        ("member", ["org:write"], 403),
    ],
)
def test_any_org_scope_the_role_grants_reads_the_organization(organization, role, scopes, status):
    member = MemberFactory(organization=organization, role=role)
    client = client_for(member.user, scopes)
    assert client.get("/api/0/organizations/").status_code == 200
    response = client.get(detail_url(organization.slug))
    assert response.status_code == status, response.content


@pytest.mark.parametrize("scopes", [["event:read", "event:write", "event:admin"], ["member:read"]])
def test_token_without_an_org_scope_is_403(scoped_api, organization, scopes):
    client = scoped_api(scopes)
    for url in ("/api/0/organizations/", detail_url(organization.slug), detail_url("nope")):
        response = client.get(url)
        assert_error(response, 403, PERMISSION_DENIED)


def test_unauthenticated_is_401(api_client, organization):
    for url in ("/api/0/organizations/", detail_url(organization.slug)):
        assert api_client.get(url).status_code == 401


def test_the_reference_token_reads_the_reference_organization(api_client):
    user, issue = build_reference_world()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    [item] = get_json(api_client, "/api/0/organizations/")
    assert item["slug"] == ORGANIZATION_SLUG
    document = get_json(api_client, detail_url(ORGANIZATION_SLUG))
    assert [project["slug"] for project in document["projects"]] == ["prime-mover", "pump-station"]
    lookup = get_json(
        api_client, f"/api/0/organizations/{ORGANIZATION_SLUG}/shortids/PUMP-STATION-1/"
    )
    assert lookup["groupId"] == str(issue.pk)
    assert get_json(api_client, f"/api/0/issues/{issue.pk}/events/latest/")["groupID"] == str(
        issue.pk
    )


# ---- query counts -------------------------------------------------------------------------------


def grow(organization, user, count):
    for number in range(count):
        team = TeamFactory(organization=organization)
        ProjectFactory(organization=organization, teams=[team])
        MemberFactory(organization=organization, teams=[team])
        if number % 2:
            user.memberships.get(organization=organization).teams.add(team)


@pytest.mark.parametrize("count", [0, 12])
def test_details_run_a_fixed_number_of_queries(
    org_api, user, organization, project, count, django_assert_num_queries
):
    grow(organization, user, count)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = org_api.get(detail_url(organization.slug))
    assert response.status_code == 200, response.content
    assert len(response.json()["teams"]) == len(response.json()["projects"]) == count + 1


@pytest.mark.parametrize("count", [0, 12])
def test_list_runs_a_fixed_number_of_queries(org_api, user, count, django_assert_num_queries):
    for _ in range(count):
        MemberFactory(organization=OrganizationFactory(), user=user)
    with django_assert_num_queries(LIST_QUERIES):
        response = org_api.get("/api/0/organizations/")
    assert response.status_code == 200, response.content
    assert len(response.json()) == count + 1


# ---- GET /api/0/organizations/{org}/shortids/{short_id}/ -------------------------------------


def test_short_id_lookup_answers_sentrys_shape_with_the_issue_document(api, organization, issue):
    lookup = get_json(api, short_id_url(organization, issue.qualified_short_id))
    validate(SHORT_ID_LOOKUP, lookup)
    assert lookup["organizationSlug"] == organization.slug
    assert lookup["projectSlug"] == issue.project.slug
    assert lookup["groupId"] == str(issue.pk)
    assert lookup["shortId"] == issue.qualified_short_id
    document = get_json(api, f"/api/0/issues/{issue.pk}/")
    assert lookup["group"].keys() == document.keys()
    assert lookup["group"]["id"] == document["id"]
    assert lookup["group"]["activity"] == document["activity"]


# token, its last-used time (fresh tokens), and one statement for the issue of the
# organization with its document and the requester's membership (issues.gather).
SHORT_ID_QUERIES = 3


def test_short_id_lookup_runs_a_fixed_number_of_queries(
    api, organization, issue, django_assert_num_queries
):
    with django_assert_num_queries(SHORT_ID_QUERIES):
        response = api.get(short_id_url(organization, issue.qualified_short_id))
    assert response.status_code == 200, response.content


def test_short_id_is_matched_without_case(api, organization, issue):
    lookup = get_json(api, short_id_url(organization, issue.qualified_short_id.lower()))
    assert lookup["groupId"] == str(issue.pk)


@pytest.mark.parametrize("short_id", ["NO-SUCH-PROJECT-1", "1", "PROJECT", "X-" + BEYOND_BIGINT])
def test_unknown_short_id_is_404(api, organization, issue, short_id):
    response = api.get(short_id_url(organization, short_id))
    assert_error(response, 404, NOT_FOUND)


def test_short_id_of_a_project_in_another_organization_is_404(
    api, user, organization, issue, foreign_issue
):
    foreign = foreign_issue
    other = foreign.project.organization
    MemberFactory(organization=other, user=user, teams=[other.teams.get()])
    response = api.get(short_id_url(organization, foreign.qualified_short_id))
    assert response.status_code == 404, response.content
    # ... and found in its own organization.
    assert get_json(api, short_id_url(other, foreign.qualified_short_id))["groupId"] == str(
        foreign.pk
    )


def test_short_id_in_an_organization_of_which_the_user_is_not_a_member_is_403(api, foreign_issue):
    other = foreign_issue.project.organization
    for short_id in (foreign_issue.qualified_short_id, "NO-SUCH-1"):
        assert_error(api.get(short_id_url(other, short_id)), 403, PERMISSION_DENIED)
    response = api.get("/api/0/organizations/no-such-org/shortids/X-1/")
    assert response.status_code == 404, response.content


def test_short_id_of_a_project_the_member_cannot_reach_is_403(api, organization, issue):
    organization.allow_joinleave = False
    organization.save()
    hidden_team = TeamFactory(organization=organization)
    unreachable = make_issue(ProjectFactory(organization=organization, teams=[hidden_team]))
    response = api.get(short_id_url(organization, unreachable.qualified_short_id))
    assert response.status_code == 403, response.content


def test_short_id_of_a_hidden_issue_is_404(api, organization, issue):
    issue.status = IssueStatus.PENDING_DELETION
    issue.save()
    response = api.get(short_id_url(organization, issue.qualified_short_id))
    assert response.status_code == 404, response.content


@pytest.mark.parametrize(
    ("scopes", "status"),
    [(["event:read"], 200), (["event:admin"], 200), (["org:read"], 403), ([], 403)],
)
def test_short_id_lookup_needs_an_event_scope(scoped_api, organization, issue, scopes, status):
    client = scoped_api(scopes)
    response = client.get(short_id_url(organization, issue.qualified_short_id))
    assert response.status_code == status, response.content


def test_short_id_lookup_refuses_a_member_whose_role_grants_no_event_scope(
    api, user, organization, issue
):
    """Found or not, as on the issue itself: the role's scopes cut the token's down."""
    OrganizationMember.objects.filter(user=user).update(role="intern")
    for short_id in (issue.qualified_short_id, "NO-SUCH-1"):
        response = api.get(short_id_url(organization, short_id))
        assert response.status_code == 403, (short_id, response.content)
        assert response.json() == PERMISSION_DENIED

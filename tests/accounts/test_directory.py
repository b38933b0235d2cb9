"""What a client reads to offer "assign to" and to learn whose token it holds, over HTTP:
GET /api/0/projects/, /organizations/{org}/projects/, /projects/{org}/{project}/,
/organizations/{org}/teams/, /teams/{org}/{team}/projects/, /organizations/{org}/members/ and
/users/me/, in Sentry's shapes, scopes, access rules and error bodies."""

import pytest
from django.utils import timezone

from accounts.models import OrganizationMember
from accounts.roles import TEAM_ROLE_SCOPES
from tests.factories import (
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    ReleaseFactory,
    ReleaseProjectFactory,
    TeamFactory,
    UserFactory,
    make_issue,
)
from tests.helpers import (
    DATETIME,
    NOT_FOUND,
    NOT_PROVIDED,
    PERMISSION_DENIED,
    assert_error,
    client_for,
    follow,
    get_json,
    links,
)

pytestmark = pytest.mark.django_db

READ = ("org:read", "project:read", "member:read", "team:read")
CONTRIBUTOR = sorted(TEAM_ROLE_SCOPES["contributor"])
TEAM_ADMIN = sorted(TEAM_ROLE_SCOPES["admin"])

# The keys of Sentry's documents, in its order (its published examples and serializers).
DATA_FLAG_KEYS = [
    "hasMinifiedStackTrace",
    "hasMonitors",
    "hasProfiles",
    "hasReplays",
    "hasFeedbacks",
    "hasFlags",
    "hasNewFeedbacks",
    "hasSessions",
    "hasInsightsHttp",
    "hasInsightsDb",
    "hasInsightsAssets",
    "hasInsightsAppStart",
    "hasInsightsScreenLoad",
    "hasInsightsVitals",
    "hasInsightsCaches",
    "hasInsightsQueues",
    "hasInsightsAgentMonitoring",
    "hasInsightsMCP",
    "hasLogs",
    "hasTraceMetrics",
]
SUMMARY_KEYS = {
    "team", "teams", "id", "slug", "name", "isBookmarked", "isMember", "access", "hasAccess",
    "dateCreated", "environments", "features", "firstEvent", "firstTransactionEvent",
    *DATA_FLAG_KEYS, "platform", "platforms", "latestRelease", "hasUserReports",
    "latestDeploys",
}  # fmt: skip
PROJECT_KEYS = {
    "id", "slug", "name", "platform", "dateCreated", "isBookmarked", "isMember", "features",
    "firstEvent", "firstTransactionEvent", "access", "hasAccess", *DATA_FLAG_KEYS,
    "isInternal", "isPublic", "avatar", "color", "status",
}  # fmt: skip
TEAM_KEYS = {
    "id", "slug", "name", "dateCreated", "isMember", "teamRole", "flags", "access",
    "hasAccess", "isPending", "memberCount", "avatar",
}  # fmt: skip
MEMBER_KEYS = {
    "id", "email", "name", "user", "orgRole", "pending", "expired", "flags", "dateCreated",
    "inviteStatus", "inviterName",
}  # fmt: skip
USER_KEYS = {
    "id", "name", "username", "email", "avatarUrl", "isActive", "isSuspended",
    "hasPasswordAuth", "isManaged", "dateJoined", "lastLogin", "has2fa", "lastActive",
    "isSuperuser", "isStaff", "experiments", "emails", "avatar",
}  # fmt: skip


def org_projects_url(organization):
    return f"/api/0/organizations/{organization.slug}/projects/"


def project_url(project, organization=None, project_id_or_slug=None):
    organization = organization or project.organization.slug
    return f"/api/0/projects/{organization}/{project_id_or_slug or project.slug}/"


def teams_url(organization):
    return f"/api/0/organizations/{organization.slug}/teams/"


def team_projects_url(team, team_id_or_slug=None):
    return f"/api/0/teams/{team.organization.slug}/{team_id_or_slug or team.slug}/projects/"


def members_url(organization):
    return f"/api/0/organizations/{organization.slug}/members/"


@pytest.fixture
def reader(user):
    """`user` (a member on the project's team) with the read scopes of these routes."""
    return client_for(user, READ)


@pytest.fixture
def closed(organization, team, project, user):
    """Closed membership: `user` is on `team` (with `project`) only; `other` is another
    team's project."""
    organization.allow_joinleave = False
    organization.save()
    other_team = TeamFactory(organization=organization, slug="zz-other-team")
    other = ProjectFactory(organization=organization, teams=[other_team], slug="zz-other")
    return other


def slugs(body):
    return [item["slug"] for item in body]


# ---- GET /api/0/organizations/{org}/projects/ ----------------------------------------------


def test_organization_projects_are_sentrys_summaries(reader, organization, team, project):
    release = ReleaseFactory(organization=organization, version="backend@1.0")
    ReleaseProjectFactory(release=release, project=project)
    issue = make_issue(project)
    ProjectFactory(organization=organization, slug="aaa-first")

    response = reader.get(org_projects_url(organization))

    assert response.status_code == 200, response.content
    body = response.json()
    assert slugs(body) == ["aaa-first", project.slug]
    document = body[1]
    assert set(document) == SUMMARY_KEYS
    team_summary = {"id": str(team.pk), "slug": team.slug, "name": team.name}
    assert document["team"] == team_summary
    assert document["teams"] == [team_summary]
    assert document["id"] == str(project.pk)
    assert (document["isMember"], document["hasAccess"]) == (True, True)
    assert document["access"] == CONTRIBUTOR
    assert document["latestRelease"] == {"version": "backend@1.0"}
    assert DATETIME.match(document["firstEvent"])
    assert document["firstEvent"].startswith(issue.first_seen.strftime("%Y-%m-%dT%H:%M:%S"))
    assert DATETIME.match(document["dateCreated"])
    assert [document[key] for key in DATA_FLAG_KEYS] == [False] * len(DATA_FLAG_KEYS)
    assert document["latestDeploys"] is None
    # A project with no team, release or event.
    first = body[0]
    assert (first["team"], first["teams"], first["latestRelease"], first["firstEvent"]) == (
        None,
        [],
        None,
        None,
    )
    assert (first["isMember"], first["hasAccess"]) == (False, True)
    assert set(links(response)) == {"previous", "next"}


def test_first_event_is_the_first_issues_first_seen(reader, organization, project):
    """Sentry's project.first_event is set when the first event arrives: here the first-seen
    time of the project's first issue, even if a later issue's events are older."""
    first = make_issue(project, message="first")
    make_issue(
        project,
        message="later, with an older event",
        timestamp=(first.first_seen - timezone.timedelta(days=3)).isoformat(),
    )
    (document,) = get_json(reader, org_projects_url(organization))
    assert document["firstEvent"] == first.first_seen.isoformat().replace("+00:00", "Z")


def test_latest_release_is_the_most_recently_released(reader, organization, project):
    old = ReleaseFactory(organization=organization, version="old")
    new = ReleaseFactory(organization=organization, version="new")
    released = ReleaseFactory(
        organization=organization,
        version="released",
        date_released=timezone.now() - timezone.timedelta(days=400),
    )
    for release in (old, new, released):
        ReleaseProjectFactory(release=release, project=project)
    (document,) = get_json(reader, org_projects_url(organization))
    assert document["latestRelease"] == {"version": "new"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alpha", ["alpha-one"]),
        ("ALPHA", ["alpha-one"]),
        ("Beta Project", ["beta"]),
        ("slug:beta", ["beta"]),
        ("slug:beta slug:alpha-one", ["alpha-one", "beta"]),
        ("team:first-team", ["alpha-one"]),
        ("!team:first-team", ["beta", "gamma"]),
        ("is_member:1", ["alpha-one"]),
        ("unknown:key", []),
        ("", ["alpha-one", "beta", "gamma"]),
    ],
)
def test_organization_projects_query(user, query, expected):
    organization = OrganizationFactory()
    first = TeamFactory(organization=organization, slug="first-team")
    MemberFactory(organization=organization, user=user, teams=[first])
    ProjectFactory(organization=organization, slug="alpha-one", teams=[first])
    ProjectFactory(organization=organization, slug="beta", name="Beta Project")
    ProjectFactory(organization=organization, slug="gamma")
    body = get_json(client_for(user, READ), org_projects_url(organization), query=query)
    assert slugs(body) == expected


def test_organization_projects_query_by_id(reader, organization, project):
    ProjectFactory(organization=organization)
    body = get_json(reader, org_projects_url(organization), query=f"id:{project.pk}")
    assert slugs(body) == [project.slug]


def test_organization_projects_non_numeric_id_is_sentrys_400(reader, organization, project):
    response = reader.get(org_projects_url(organization), {"query": "id:abc"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {"params": {"stats_period": {"message": "All 'id' values must be integers."}}}
    }


def test_organization_projects_need_an_org_scope(user, organization, project):
    response = client_for(user, ["project:read", "event:admin"]).get(org_projects_url(organization))
    assert_error(response, 403, PERMISSION_DENIED)


def test_organization_projects_of_a_non_member_are_403(organization, project):
    outsider = client_for(UserFactory(), READ)
    assert_error(outsider.get(org_projects_url(organization)), 403, PERMISSION_DENIED)


def test_unknown_organization_is_404_on_every_organization_list(reader):
    for path in ("projects", "teams", "members"):
        response = reader.get(f"/api/0/organizations/no-such-org/{path}/")
        assert_error(response, 404, NOT_FOUND)
    assert_error(reader.get("/api/0/teams/no-such-org/a-team/projects/"), 404, NOT_FOUND)


def test_organization_lists_need_credentials(api_client, organization):
    for url in (org_projects_url(organization), "/api/0/projects/", "/api/0/users/me/"):
        assert_error(api_client.get(url), 401, NOT_PROVIDED)


def test_closed_membership_lists_every_project_with_its_access(
    reader, organization, project, closed
):
    """As Sentry, an organization's list shows every project; hasAccess says which the
    member reaches."""
    body = get_json(reader, org_projects_url(organization))
    assert slugs(body) == [project.slug, closed.slug]
    mine, other = body
    assert (mine["hasAccess"], mine["access"]) == (True, CONTRIBUTOR)
    assert (other["isMember"], other["hasAccess"], other["access"]) == (False, False, [])


def test_an_admin_has_the_team_admin_access(organization, team, project):
    admin = MemberFactory(organization=organization, teams=[team], role="admin").user
    (document,) = get_json(client_for(admin, READ), org_projects_url(organization))
    assert document["access"] == TEAM_ADMIN


def test_organization_projects_are_paged_with_sentrys_link(reader, organization, project):
    for number in range(4):
        ProjectFactory(organization=organization, slug=f"page-{number}")
    seen = []
    response = reader.get(org_projects_url(organization), {"per_page": 2})
    while True:
        assert response.status_code == 200, response.content
        seen += slugs(response.json())
        following = links(response)["next"]
        if not following.results:
            break
        response = follow(reader, following.url)
    assert seen == ["page-0", "page-1", "page-2", "page-3", project.slug]


def test_all_projects_lists_them_unpaged(reader, organization, project):
    for number in range(3):
        ProjectFactory(organization=organization, slug=f"all-{number}")
    response = reader.get(org_projects_url(organization), {"all_projects": "1", "per_page": 1})
    assert response.status_code == 200, response.content
    assert slugs(response.json()) == ["all-0", "all-1", "all-2", project.slug]
    assert "Link" not in response


def test_head_is_served_like_get(reader, organization, project):
    for url in (org_projects_url(organization), project_url(project), "/api/0/users/me/"):
        response = reader.head(url)
        assert response.status_code == 200, url
        assert response.content == b""


# ---- GET /api/0/projects/ -------------------------------------------------------------------


def test_your_projects_are_those_of_your_teams_newest_first(user, organization, team, project):
    newer = ProjectFactory(organization=organization, teams=[team])
    ProjectFactory(organization=organization)  # no team of the user's: not listed
    elsewhere = OrganizationFactory()
    their_team = TeamFactory(organization=elsewhere)
    MemberFactory(organization=elsewhere, user=user, teams=[their_team])
    theirs = ProjectFactory(organization=elsewhere, teams=[their_team])
    ProjectFactory(organization=OrganizationFactory())

    body = get_json(client_for(user, ["project:read"]), "/api/0/projects/")

    assert slugs(body) == [theirs.slug, newer.slug, project.slug]
    document = body[-1]
    assert set(document) == PROJECT_KEYS | {"organization"}
    assert document["organization"]["slug"] == organization.slug
    assert document["color"].startswith("#")
    assert (document["status"], document["isMember"], document["access"]) == (
        "active",
        True,
        CONTRIBUTOR,
    )


def test_your_projects_hide_other_teams_projects(reader, project, closed):
    assert slugs(get_json(reader, "/api/0/projects/")) == [project.slug]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"query": "mine"}, ["mine-two", "mine-one"]),
        ({"query": "slug:mine-one"}, ["mine-one"]),
        ({"query": "name:MINE TWO"}, []),
        ({"query": 'name:"Mine Two"'}, ["mine-two"]),
        ({"query": "bogus:1"}, []),
        ({"status": "deleted"}, []),
        ({"status": "active"}, ["mine-two", "mine-one"]),
    ],
)
def test_your_projects_query(user, organization, team, params, expected):
    ProjectFactory(organization=organization, teams=[team], slug="mine-one", name="Mine One")
    ProjectFactory(organization=organization, teams=[team], slug="mine-two", name="Mine Two")
    body = get_json(client_for(user, READ), "/api/0/projects/", **params)
    assert [slug for slug in slugs(body) if slug.startswith("mine")] == expected


def test_your_projects_non_numeric_id_is_400(reader):
    response = reader.get("/api/0/projects/", {"query": "id:x1"})
    assert_error(response, 400, {"detail": "Invalid project ID: x1"})


def test_your_projects_need_a_project_scope(user):
    assert_error(client_for(user, ["org:read"]).get("/api/0/projects/"), 403, PERMISSION_DENIED)


# ---- GET /api/0/projects/{org}/{project}/ ---------------------------------------------------


def test_project_detail_is_sentrys_detailed_project(reader, organization, team, project):
    response = reader.get(project_url(project))
    assert response.status_code == 200, response.content
    document = response.json()
    assert set(document) >= PROJECT_KEYS | {"team", "teams", "organization", "options"}
    assert document["team"] == {"id": str(team.pk), "slug": team.slug, "name": team.name}
    assert document["organization"]["slug"] == organization.slug
    assert document["groupingConfig"] == project.grouping_config
    assert document["subjectTemplate"] == "$shortID - $title"
    assert document["allowedDomains"] == ["*"]
    assert document["latestRelease"] is None
    assert document["access"] == CONTRIBUTOR
    assert len(document["securityToken"]) == 32
    # Stable for a project, different between projects.
    other = ProjectFactory(organization=organization, teams=[team])
    assert get_json(reader, project_url(project))["securityToken"] == document["securityToken"]
    assert get_json(reader, project_url(other))["securityToken"] != document["securityToken"]


def test_project_detail_by_ids(reader, project):
    by_ids = project_url(project, str(project.organization_id), str(project.pk))
    assert get_json(reader, by_ids)["slug"] == project.slug


def test_project_detail_unknown_project_or_other_organizations_is_404(
    reader, organization, project, other_organization
):
    assert_error(reader.get(project_url(project, project_id_or_slug="nope")), 404, NOT_FOUND)
    theirs = other_organization.projects.get()
    assert_error(reader.get(project_url(theirs, organization.slug)), 404, NOT_FOUND)
    # Their own organization's route: it exists, the user is no member.
    assert_error(reader.get(project_url(theirs)), 403, PERMISSION_DENIED)


def test_project_detail_with_closed_membership_is_403_for_other_teams(reader, project, closed):
    assert reader.get(project_url(project)).status_code == 200
    assert_error(reader.get(project_url(closed)), 403, PERMISSION_DENIED)


def test_a_manager_reaches_every_project_with_closed_membership(organization, closed):
    manager = MemberFactory(organization=organization, role=OrganizationMember.Role.MANAGER)
    document = get_json(client_for(manager.user, READ), project_url(closed))
    assert (document["isMember"], document["hasAccess"], document["access"]) == (
        False,
        True,
        TEAM_ADMIN,
    )


def test_project_detail_needs_a_project_scope(user, project):
    response = client_for(user, ["org:read", "event:admin"]).get(project_url(project))
    assert_error(response, 403, PERMISSION_DENIED)


def test_project_detail_answers_405_to_writes(reader, project):
    for method in ("put", "delete", "post"):
        response = getattr(reader, method)(project_url(project), {}, format="json")
        assert response.status_code == 405, (method, response.content)
        assert response["Allow"] == "GET, HEAD, OPTIONS"


# ---- GET /api/0/organizations/{org}/teams/ --------------------------------------------------


def test_organization_teams_are_sentrys_teams_with_their_projects(
    reader, organization, team, project, user
):
    MemberFactory(organization=organization, teams=[team], user__is_active=False)
    other = TeamFactory(organization=organization, slug="zz-empty")

    body = get_json(reader, teams_url(organization))

    assert slugs(body) == [team.slug, other.slug]
    mine, empty = body
    assert set(mine) == TEAM_KEYS | {"projects", "externalTeams"}
    assert (mine["isMember"], mine["teamRole"], mine["hasAccess"]) == (True, "contributor", True)
    assert mine["memberCount"] == 1  # the inactive user is not counted
    assert mine["access"] == CONTRIBUTOR
    assert mine["flags"] == {"idp:provisioned": False}
    assert [set(p) for p in mine["projects"]] == [PROJECT_KEYS]
    assert slugs(mine["projects"]) == [project.slug]
    assert (empty["isMember"], empty["teamRole"], empty["projects"]) == (False, None, [])


def test_organization_teams_not_detailed_leave_the_projects_out(reader, organization, team):
    (document,) = get_json(reader, teams_url(organization), detailed="0")
    assert set(document) == TEAM_KEYS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("back", ["backend"]),
        ("slug:frontend", ["frontend"]),
        ("hasExternalTeams:true", []),
        ("hasExternalTeams:false", ["backend", "frontend"]),
        ("nope:1", []),
    ],
)
def test_organization_teams_query(user, query, expected):
    organization = OrganizationFactory()
    backend = TeamFactory(organization=organization, slug="backend")
    TeamFactory(organization=organization, slug="frontend")
    MemberFactory(organization=organization, user=user, teams=[backend])
    assert slugs(get_json(client_for(user, READ), teams_url(organization), query=query)) == (
        expected
    )


def test_organization_teams_non_numeric_id_is_400(reader, organization):
    response = reader.get(teams_url(organization), {"query": "id:one"})
    assert_error(response, 400, {"detail": "Invalid id value"})


def test_organization_teams_with_closed_membership(reader, organization, team, closed):
    body = get_json(reader, teams_url(organization))
    other = body[-1]
    assert (other["isMember"], other["hasAccess"], other["access"]) == (False, False, [])


def test_organization_teams_need_an_org_scope(user, organization):
    response = client_for(user, ["team:read", "project:read"]).get(teams_url(organization))
    assert_error(response, 403, PERMISSION_DENIED)


# ---- GET /api/0/teams/{org}/{team}/projects/ ------------------------------------------------


def test_team_projects_are_summaries_by_slug(reader, organization, team, project):
    second = ProjectFactory(organization=organization, teams=[team], slug="aaa")
    ProjectFactory(organization=organization)
    body = get_json(reader, team_projects_url(team))
    assert slugs(body) == [second.slug, project.slug]
    assert {frozenset(item) for item in body} == {frozenset(SUMMARY_KEYS)}


def test_team_projects_by_team_id(reader, team, project):
    assert slugs(get_json(reader, team_projects_url(team, str(team.pk)))) == [project.slug]


def test_team_projects_unknown_team_is_404(reader, team, other_organization):
    assert_error(reader.get(team_projects_url(team, "no-such-team")), 404, NOT_FOUND)
    theirs = other_organization.teams.get()
    # Another organization's team named through this organization.
    url = f"/api/0/teams/{team.organization.slug}/{theirs.slug}/projects/"
    assert_error(reader.get(url), 404, NOT_FOUND)
    assert_error(reader.get(team_projects_url(theirs)), 403, PERMISSION_DENIED)


def test_team_projects_of_another_team_with_closed_membership_is_403(
    reader, organization, team, closed
):
    other_team = closed.teams.get()
    assert_error(reader.get(team_projects_url(other_team)), 403, PERMISSION_DENIED)
    assert reader.get(team_projects_url(team)).status_code == 200
    # Open membership: every member reaches every team.
    organization.allow_joinleave = True
    organization.save()
    assert slugs(get_json(reader, team_projects_url(other_team))) == [closed.slug]


def test_team_projects_need_a_project_scope(user, team):
    response = client_for(user, ["org:read", "team:read"]).get(team_projects_url(team))
    assert_error(response, 403, PERMISSION_DENIED)


# ---- GET /api/0/organizations/{org}/members/ ------------------------------------------------


def test_members_are_sentrys_members_in_the_order_they_joined(reader, organization, user):
    other = MemberFactory(
        organization=organization, role="admin", user__name="Ada Lovelace", user__email="a@x.io"
    )
    MemberFactory(organization=organization, user__is_active=False)
    MemberFactory(organization=OrganizationFactory())

    body = get_json(reader, members_url(organization))

    assert [m["user"]["id"] for m in body] == [str(user.pk), str(other.user_id)]
    document = body[1]
    assert set(document) == MEMBER_KEYS
    assert document["id"] == str(other.pk)
    assert (document["email"], document["name"], document["orgRole"]) == (
        "a@x.io",
        "Ada Lovelace",
        "admin",
    )
    assert (document["pending"], document["expired"], document["inviteStatus"]) == (
        False,
        False,
        "approved",
    )
    assert set(document["flags"].values()) == {False}
    assert set(document["user"]) == USER_KEYS
    # Sentry serializes the members' users for nobody: no addresses, even one's own.
    assert [m["user"]["emails"] for m in body] == [[], []]
    assert document["user"]["avatar"] == {
        "avatarType": "letter_avatar",
        "avatarUuid": None,
        "avatarUrl": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("email:ada@x.io", ["ada"]),
        ("email:ADA@X.IO email:bob@x.io", ["ada", "bob"]),
        ("role:manager", ["bob"]),
        ("scope:member:admin", ["me", "bob"]),
        ("scope:org:admin", ["me"]),
        ("query:lovelace", ["ada"]),
        ("lovelace", ["ada"]),
        ("isInvited:true", []),
        ("isInvited:false", ["me", "ada", "bob"]),
        ("has2fa:true", ["bob"]),
        ("whatever:1", []),
        ("id:²", []),
        ("user.id:x user.id:99999999999999999999", []),
    ],
)
def test_members_query(query, expected):
    organization = OrganizationFactory()
    me = MemberFactory(organization=organization, user__username="me", role="owner").user
    MemberFactory(
        organization=organization, user__username="ada", user__name="Ada Lovelace",
        user__email="ada@x.io",
    )  # fmt: skip
    MemberFactory(
        organization=organization, user__username="bob", user__email="bob@x.io",
        user__has_2fa=True, role="manager",
    )  # fmt: skip
    body = get_json(client_for(me, READ), members_url(organization), query=query)
    assert [member["user"]["username"] for member in body] == expected


def test_members_query_by_ids(reader, organization, user):
    other = MemberFactory(organization=organization)
    me = user.memberships.get(organization=organization)
    body = get_json(reader, members_url(organization), query=f"id:{other.pk} id:x")
    assert [m["id"] for m in body] == [str(other.pk)]
    body = get_json(reader, members_url(organization), query=f"user.id:{user.pk}")
    assert [m["id"] for m in body] == [str(me.pk)]


def test_members_need_a_member_scope(user, organization):
    response = client_for(user, ["org:read", "project:read"]).get(members_url(organization))
    assert_error(response, 403, PERMISSION_DENIED)


def test_members_of_a_non_member_are_403(organization):
    assert_error(
        client_for(UserFactory(), READ).get(members_url(organization)), 403, PERMISSION_DENIED
    )


# ---- GET /api/0/users/me/ -------------------------------------------------------------------


def test_me_is_the_tokens_owner(user):
    user.last_login = timezone.now()
    user.save()
    response = client_for(user, ["project:read"]).get("/api/0/users/me/")
    assert response.status_code == 200, response.content
    document = response.json()
    assert set(document) == USER_KEYS | {
        "options",
        "flags",
        "identities",
        "permissions",
        "authenticators",
    }
    assert (document["id"], document["email"], document["username"]) == (
        str(user.pk),
        user.email,
        user.username,
    )
    assert document["emails"] == [
        {"id": str(user.emails.get().pk), "email": user.email, "is_verified": True}
    ]
    assert document["options"] == {
        "theme": "system",
        "language": "en",
        "stacktraceOrder": -1,
        "defaultIssueEvent": "recommended",
        "timezone": "UTC",
        "clock24Hours": False,
        "prefersIssueDetailsStreamlinedUI": None,
    }
    assert document["flags"] == {"newsletter_consent_prompt": False}
    assert (document["permissions"], document["authenticators"], document["identities"]) == (
        [],
        [],
        [],
    )
    assert DATETIME.match(document["lastLogin"])
    # The owner's own id names the same user.
    assert get_json(client_for(user, ["event:read"]), f"/api/0/users/{user.pk}/") == document


def test_another_users_id_is_403_and_an_unknown_one_404(user):
    other = UserFactory()
    reader = client_for(user, READ)
    assert_error(reader.get(f"/api/0/users/{other.pk}/"), 403, PERMISSION_DENIED)
    for user_id in ("999999999", "nobody", "99999999999999999999999"):
        assert_error(reader.get(f"/api/0/users/{user_id}/"), 404, NOT_FOUND)


def test_me_needs_a_token_with_some_scope(user):
    assert_error(client_for(user, []).get("/api/0/users/me/"), 403, PERMISSION_DENIED)

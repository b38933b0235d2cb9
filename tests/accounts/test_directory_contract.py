"""The project, team, member and user routes read a fixed number of queries whatever the
page's size (no N+1), and answer what /api/0/schema/ says they answer: every live document
validates against the served schema with no key left undocumented."""

import copy

import pytest
from django.test import Client
from openapi_schema_validator import OAS30Validator

from accounts.directory_openapi import ROUTES
from tests.factories import (
    MemberFactory,
    ProjectFactory,
    ReleaseFactory,
    ReleaseProjectFactory,
    TeamFactory,
    UserFactory,
    make_issue,
)
from tests.helpers import client_for
from tests.test_openapi import dereference

pytestmark = pytest.mark.django_db

READ = ("org:read", "project:read", "member:read", "team:read")

# Every request: the token with its user, and its last-used time (a fresh token's is written).
AUTH = 2
# The organization with the requester's membership; the page; the requester's roles and
# teams; the projects' teams; their first events; their latest releases.
PROJECT_LIST_QUERIES = AUTH + 6
# The page of projects with their organizations; then as above.
YOUR_PROJECTS_QUERIES = AUTH + 5
# The project with its organization and the membership; roles and teams; teams; facts.
PROJECT_DETAIL_QUERIES = AUTH + 5
# The organization; the page of teams with their member counts; roles and teams; the
# teams' projects; those projects' teams and facts.
TEAM_LIST_QUERIES = AUTH + 7
TEAM_LIST_NOT_DETAILED_QUERIES = AUTH + 3
# The organization; the team with the requester on it; the page; as for projects.
TEAM_PROJECTS_QUERIES = AUTH + 7
# The organization; the page of members with their users.
MEMBER_LIST_QUERIES = AUTH + 2
# The owner's addresses (the user came with the token).
ME_QUERIES = AUTH + 1


@pytest.fixture
def world(organization, team, project, user):
    """`user` on `team`, with `project`; `grow(n)` adds n of everything the lists show."""

    def grow(count):
        for number in range(count):
            other_team = TeamFactory(organization=organization)
            added = ProjectFactory(organization=organization, teams=[team, other_team])
            release = ReleaseFactory(organization=organization, version=f"grow-{added.pk}")
            ReleaseProjectFactory(release=release, project=added)
            make_issue(added, message=f"issue {number}")
            MemberFactory(organization=organization, teams=[team, other_team])

    return grow


def urls(organization, team, project):
    org = organization.slug
    return {
        "projects": ("/api/0/projects/", YOUR_PROJECTS_QUERIES),
        "organization projects": (f"/api/0/organizations/{org}/projects/", PROJECT_LIST_QUERIES),
        "project": (f"/api/0/projects/{org}/{project.slug}/", PROJECT_DETAIL_QUERIES),
        "teams": (f"/api/0/organizations/{org}/teams/", TEAM_LIST_QUERIES),
        "teams, not detailed": (
            f"/api/0/organizations/{org}/teams/?detailed=0",
            TEAM_LIST_NOT_DETAILED_QUERIES,
        ),
        "team projects": (f"/api/0/teams/{org}/{team.slug}/projects/", TEAM_PROJECTS_QUERIES),
        "members": (f"/api/0/organizations/{org}/members/", MEMBER_LIST_QUERIES),
        "me": ("/api/0/users/me/", ME_QUERIES),
    }


@pytest.mark.parametrize(
    "name",
    [
        "projects",
        "organization projects",
        "project",
        "teams",
        "teams, not detailed",
        "team projects",
        "members",
        "me",
    ],
)
def test_query_count_does_not_grow_with_the_page(
    name, world, organization, team, project, user, django_assert_num_queries
):
    url, queries = urls(organization, team, project)[name]
    client = client_for(user, READ)
    with django_assert_num_queries(queries):
        small = client.get(url)
    assert small.status_code == 200, small.content
    world(6)
    client = client_for(user, READ)
    with django_assert_num_queries(queries):
        large = client.get(url)
    assert large.status_code == 200, large.content
    if isinstance(large.json(), list):
        assert len(large.json()) > len(small.json())


def test_an_empty_page_reads_no_parts(organization, user, django_assert_num_queries):
    """The organization, the (empty) page and the requester's roles: no teams or facts."""
    MemberFactory(organization=organization, user=UserFactory())
    client = client_for(user, READ)
    with django_assert_num_queries(AUTH + 3):
        response = client.get(f"/api/0/organizations/{organization.slug}/projects/")
    assert response.json() == []


# ---- The served schema ----------------------------------------------------------------------


def closed(node):
    """The schema with no undocumented key allowed in any object that lists its keys."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: closed(value) for key, value in node.items()}
    if "properties" in result:
        result["additionalProperties"] = False
    return result


def assert_documented(schema, route, response):
    documented = schema["paths"][route]["get"]["responses"]
    assert str(response.status_code) in documented, response.status_code
    answer = documented[str(response.status_code)]
    if response.status_code == 200:
        for name, header in answer.get("headers", {}).items():
            if header.get("required"):
                assert name in response.headers, name
    body_schema = dereference(answer["content"]["application/json"]["schema"], schema)
    OAS30Validator(closed(copy.deepcopy(body_schema))).validate(response.json())


def test_every_route_is_documented_with_its_scopes(schema):
    scopes = {
        "/api/0/projects/": "project:read",
        "/api/0/organizations/{organization_id_or_slug}/projects/": "org:read",
        "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/": "project:read",
        "/api/0/organizations/{organization_id_or_slug}/teams/": "org:read",
        "/api/0/teams/{organization_id_or_slug}/{team_id_or_slug}/projects/": "project:read",
        "/api/0/organizations/{organization_id_or_slug}/members/": "member:read",
        "/api/0/users/{user_id}/": "project:read",
    }
    assert set(scopes) == set(ROUTES)
    for route, scope in scopes.items():
        operation = schema["paths"][route]["get"]
        assert {"auth_token": [scope]} in operation["security"], route
        assert {"200", "401", "403", "429"} <= set(operation["responses"]), route


@pytest.mark.parametrize(
    ("route", "detailed"),
    [(route, None) for route in ROUTES] + [(ROUTES[3], "0")],
)
def test_live_answers_match_the_served_schema(
    schema, world, organization, team, project, user, route, detailed
):
    world(2)
    ProjectFactory(organization=organization)  # no team, release or event
    url = route.format(
        organization_id_or_slug=organization.slug,
        project_id_or_slug=project.slug,
        team_id_or_slug=team.slug,
        user_id="me",
    )
    if detailed is not None:
        url += f"?detailed={detailed}"
    client = client_for(user, READ)
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert_documented(schema, route, response)
    # Its errors too: no credentials, a token without the scope, an unknown name.
    assert_documented(schema, route, Client().get(url))
    assert_documented(schema, route, client_for(user, ["alerts:read"]).get(url))
    if "{" in route and route != "/api/0/users/{user_id}/":
        unknown = route.format(
            organization_id_or_slug="no-such-org",
            project_id_or_slug="p",
            team_id_or_slug="t",
        )
        assert_documented(schema, route, client.get(unknown))


def test_bad_queries_answer_documented_400s(schema, organization, project, user):
    client = client_for(user, READ)
    cases = [
        ("/api/0/projects/", "/api/0/projects/?query=id:x"),
        (ROUTES[1], f"/api/0/organizations/{organization.slug}/projects/?query=id:x"),
        (ROUTES[1], f"/api/0/organizations/{organization.slug}/projects/?cursor=bad"),
        (ROUTES[3], f"/api/0/organizations/{organization.slug}/teams/?query=id:x"),
        (ROUTES[5], f"/api/0/organizations/{organization.slug}/members/?per_page=0"),
    ]
    for route, url in cases:
        response = client.get(url)
        assert response.status_code == 400, (url, response.content)
        assert_documented(schema, route, response)

"""The issue lists' direct hits: a query that is an event id, or with shortIdLookup=1 a short
id, answers that one issue with X-Sentry-Direct-Hit: 1 (Sentry's organization_group_index.py
and project_group_index.py; docs/behaviour.md §16)."""

import pytest

from issues.models import IssueStatus
from tests.factories import ProjectFactory, TeamFactory, make_event, make_issue, make_organization
from tests.helpers import links
from tests.issues.lists import ids, org_url, project_url

pytestmark = pytest.mark.django_db

EVENT_ID = "a" * 32
# Once the token's last-used time is written: the token, the organization with its projects
# and the membership, the direct hit's lookup, the page's documents.
DIRECT_HIT_QUERIES = 4


@pytest.fixture
def event(project):
    make_issue(project, message="Another problem", fingerprint=["other"])
    return make_event(project, event_id=EVENT_ID, environment="prod", fingerprint=["hit"])


def hit(response) -> bool:
    return response.headers.get("X-Sentry-Direct-Hit") == "1"


@pytest.mark.parametrize(
    "query", [EVENT_ID, EVENT_ID.upper(), "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", f" {EVENT_ID} "]
)
def test_an_event_id_answers_its_issue_on_the_organization_list(api, project, event, query):
    response = api.get(org_url(project.organization), {"query": query})
    assert ids(response) == [event.issue_id]
    assert hit(response)
    [item] = response.json()
    assert item["matchingEventId"] == EVENT_ID
    # Sentry's organization list names no environment; the project's does.
    assert "matchingEventEnvironment" not in item
    # One page: a Link to no other.
    assert [link.results for link in links(response).values()] == [False, False]
    # The stream document all the same, without filtered counts (no search ran).
    assert set(item["stats"]) == {"24h"} and item["filtered"] is None


def test_an_event_id_answers_its_issue_and_environment_on_the_project_list(api, project, event):
    response = api.get(project_url(project), {"query": EVENT_ID})
    assert ids(response) == [event.issue_id]
    assert hit(response)
    [item] = response.json()
    assert item["matchingEventId"] == EVENT_ID
    assert item["matchingEventEnvironment"] == "prod"


def test_a_short_id_needs_short_id_lookup(api, project, event):
    short_id = event.issue.qualified_short_id
    for url in (org_url(project.organization), project_url(project)):
        response = api.get(url, {"query": short_id, "shortIdLookup": "1"})
        assert ids(response) == [event.issue_id]
        assert hit(response)
        assert "matchingEventId" not in response.json()[0]
        # Lowercase, as Sentry's by_qualified_short_id reads it.
        assert ids(api.get(url, {"query": short_id.lower(), "shortIdLookup": "1"})) == [
            event.issue_id
        ]
        # Without it the short id is searched as text, which no title holds.
        plain = api.get(url, {"query": short_id})
        assert ids(plain) == [] and not hit(plain)
        assert "matchingEventId" not in str(plain.content)


def test_a_direct_hit_ignores_the_other_filters(api, project, event):
    """Status, environment, sort and the organization list's ?project= do not narrow a
    direct hit, as in Sentry."""
    api.put(f"/api/0/issues/{event.issue_id}/", {"status": "resolved"}, format="json")
    other = ProjectFactory(organization=project.organization, teams=list(project.teams.all()))
    make_issue(other)
    params = {"query": EVENT_ID, "environment": "prod", "sort": "freq", "project": str(other.pk)}
    response = api.get(org_url(project.organization), params)
    assert ids(response) == [event.issue_id] and hit(response)
    assert response.json()[0]["status"] == IssueStatus.RESOLVED.label


def test_what_the_requester_may_not_see_is_searched_as_usual(api, organization, project, event):
    # Another organization's event and issue.
    outsider = make_organization()
    foreign = make_event(outsider.projects.get(), event_id="b" * 32)
    # A project of the organization on a team the requester is not in, with closed membership.
    organization.allow_joinleave = False
    organization.save()
    hidden = ProjectFactory(
        organization=organization, teams=[TeamFactory(organization=organization)]
    )
    unreached = make_event(hidden, event_id="c" * 32)
    for query, short_id in (
        ("b" * 32, foreign.issue.qualified_short_id),
        ("c" * 32, unreached.issue.qualified_short_id),
    ):
        for value in (query, short_id):
            response = api.get(org_url(organization), {"query": value, "shortIdLookup": "1"})
            assert ids(response) == [] and not hit(response), value


def test_the_project_list_hits_only_its_own_project(api, project, event):
    other = ProjectFactory(organization=project.organization, teams=list(project.teams.all()))
    elsewhere = make_event(other, event_id="d" * 32)
    for value in ("d" * 32, elsewhere.issue.qualified_short_id):
        response = api.get(project_url(project), {"query": value, "shortIdLookup": "1"})
        assert ids(response) == [] and not hit(response), value
    # The organization's list reaches both projects.
    response = api.get(org_url(project.organization), {"query": "d" * 32})
    assert ids(response) == [elsewhere.issue_id] and hit(response)


def test_a_deleted_issue_is_no_hit(api, project, event):
    assert api.delete(f"/api/0/issues/{event.issue_id}/").status_code == 202
    for value in (EVENT_ID, event.issue.qualified_short_id):
        response = api.get(org_url(project.organization), {"query": value, "shortIdLookup": "1"})
        assert ids(response) == [] and not hit(response)


def test_an_event_id_of_several_projects_lists_their_issues_without_the_header(api, project):
    other = ProjectFactory(organization=project.organization, teams=list(project.teams.all()))
    first = make_event(project, event_id=EVENT_ID)
    second = make_event(other, event_id=EVENT_ID)
    response = api.get(org_url(project.organization), {"query": EVENT_ID})
    assert sorted(ids(response)) == sorted([first.issue_id, second.issue_id])
    assert not hit(response)
    assert all("matchingEventId" not in item for item in response.json())


def test_an_unknown_event_id_is_searched_as_text(api, project, event):
    response = api.get(org_url(project.organization), {"query": "e" * 32})
    assert ids(response) == [] and not hit(response)


@pytest.mark.parametrize("route", ["project", "organization"])
@pytest.mark.parametrize("kind", ["event id", "short id"])
def test_a_direct_hit_runs_a_fixed_number_of_queries(
    api, project, event, route, kind, django_assert_num_queries
):
    url = project_url(project) if route == "project" else org_url(project.organization)
    query = EVENT_ID if kind == "event id" else event.issue.qualified_short_id
    api.get(url)  # the token's last-used time is written once
    with django_assert_num_queries(DIRECT_HIT_QUERIES):
        response = api.get(url, {"query": query, "shortIdLookup": "1"})
    assert hit(response)
    # A short id that names nothing costs its lookup, then the list searches as usual.
    with django_assert_num_queries(DIRECT_HIT_QUERIES + 1):
        response = api.get(url, {"query": "NOTHING-HERE-1", "shortIdLookup": "1"})
    assert response.json() == []


def test_a_query_with_a_nul_is_refused_by_the_search(api, project, event):
    query = f"{event.issue.qualified_short_id[:-1]}\x00-1"
    response = api.get(org_url(project.organization), {"query": query, "shortIdLookup": "1"})
    assert response.status_code == 400, response.content

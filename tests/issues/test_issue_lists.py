"""Issue lists (project and organization) and ?collapse= on the issue GET."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OrganizationMember
from issues.models import Assignee, Bookmark, IssueStatus
from tests.factories import (
    ApiTokenFactory,
    MemberFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
    make_event,
    make_issue,
)
from tests.helpers import PERMISSION_DENIED, client_for, follow, issue_url, links
from tests.issues.lists import ids, org_url, project_url

pytestmark = pytest.mark.django_db

DETAIL_ONLY = {
    "activity",
    "seenBy",
    "participants",
    "tags",
    "firstRelease",
    "lastRelease",
    "userReportCount",
    "pluginActions",
    "pluginIssues",
    "pluginContexts",
}


def walk(api, url, **params):
    """Follow rel="next" to the end; return every id seen, page by page."""
    pages = []
    response = api.get(url, params)
    while True:
        pages.append(ids(response))
        following = links(response)["next"]
        if not following.results:
            return pages
        response = follow(api, following.url)


def test_project_list_items_are_the_issue_document_without_detail_parts(api, project):
    issue = make_issue(project)
    response = api.get(project_url(project))
    [item] = response.json()
    detail = api.get(issue_url(issue)).json()
    assert set(item) == (set(detail) - DETAIL_ONLY)
    assert set(item["stats"]) == {"24h"}
    assert len(item["stats"]["24h"]) == 25
    for key in set(item) - {"stats"}:
        assert item[key] == detail[key], key


def test_pagination_walks_to_the_end_with_sentry_cursors(api, project):
    created = [
        make_issue(project, message=f"problem {n}", fingerprint=[f"problem {n}"]).pk
        for n in range(7)
    ]
    pages = walk(api, project_url(project), limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(issue_id for page in pages for issue_id in page) == sorted(created)
    first = api.get(project_url(project), {"limit": 3})
    _, has_previous, cursor = links(first)["previous"]
    assert not has_previous
    assert re.fullmatch(r"\d+:\d+:1", cursor)
    assert re.fullmatch(r"\d+:\d+:0", links(first)["next"][2])


@pytest.mark.parametrize(
    ("sort", "key"),
    [("date", "lastSeen"), ("new", "firstSeen"), ("freq", "count"), ("user", "userCount")],
)
def test_sort_orders_by_sentrys_keys(api, project, sort, key):
    now = timezone.now()
    for number in range(4):
        for repeat in range(number + 1):
            make_event(
                project,
                message=f"problem {number}",
                fingerprint=[f"problem {number}"],
                user={"id": f"{number}-{repeat}"},
                timestamp=(now - timedelta(hours=10 - number * 2, minutes=repeat)).isoformat(),
            )
    items = api.get(project_url(project), {"sort": sort}).json()
    values = [int(item[key]) if key in ("count", "userCount") else item[key] for item in items]
    assert values == sorted(values, reverse=True)


def test_default_query_is_unresolved_and_empty_query_lists_all(api, project):
    open_issue = make_issue(project, message="open")
    closed = make_issue(project, message="closed")
    closed.status = IssueStatus.RESOLVED
    closed.save()
    assert ids(api.get(project_url(project))) == [open_issue.pk]
    assert set(ids(api.get(project_url(project), {"query": ""}))) == {open_issue.pk, closed.pk}
    assert ids(api.get(project_url(project), {"query": "is:resolved"})) == [closed.pk]
    assert ids(api.get(project_url(project), {"query": "is:ignored"})) == []


def test_query_terms_combine(api, project, user, organization):
    other = UserFactory()
    MemberFactory(organization=organization, user=other)
    mine = make_issue(project, message="database timeout", release="2.0.0", environment="prod")
    theirs = make_issue(project, message="database down", release="1.0.0", environment="dev")
    unassigned = make_issue(project, message="cache miss", tags={"browser": "Chrome"})
    Assignee.objects.create(issue=mine, user=user)
    Assignee.objects.create(issue=theirs, user=other)
    Bookmark.objects.create(issue=theirs, user=user)
    url = project_url(project)
    assert ids(api.get(url, {"query": "assigned:me"})) == [mine.pk]
    assert ids(api.get(url, {"query": f"assigned:{other.email}"})) == [theirs.pk]
    assert ids(api.get(url, {"query": "bookmarks:me"})) == [theirs.pk]
    assert ids(api.get(url, {"query": "release:2.0.0"})) == [mine.pk]
    assert ids(api.get(url, {"query": "environment:dev"})) == [theirs.pk]
    assert ids(api.get(url, {"query": "browser:Chrome"})) == [unassigned.pk]
    assert set(ids(api.get(url, {"query": "database"}))) == {mine.pk, theirs.pk}
    assert ids(api.get(url, {"query": "is:unresolved database assigned:me"})) == [mine.pk]
    assert ids(api.get(url, {"query": 'is:unassigned "cache miss"'})) == [unassigned.pk]
    assert ids(api.get(url, {"query": "assigned:nobody@example.com"})) == []


def test_environment_parameter_filters_issues_and_counts(api, project):
    both = make_event(project, message="both", environment="prod").issue
    make_event(project, message="both", environment="dev")
    make_event(project, message="dev only", environment="dev")
    items = api.get(project_url(project), {"environment": "prod"}).json()
    assert [item["id"] for item in items] == [str(both.pk)]
    assert items[0]["count"] == "1"
    assert api.get(project_url(project), {"environment": "nowhere"}).status_code == 404


@pytest.mark.parametrize("route", ["project", "organization"])
def test_stats_period_limits_issues(api, project, route):
    recent = make_issue(project, message="recent")
    make_issue(project, message="old", timestamp=(timezone.now() - timedelta(days=3)).isoformat())
    url = project_url(project) if route == "project" else org_url(project.organization)
    assert ids(api.get(url, {"statsPeriod": "24h"})) == [recent.pk]
    assert len(ids(api.get(url, {"statsPeriod": "14d"}))) == 2
    bad = api.get(url, {"statsPeriod": "forever"})
    assert bad.status_code == 400
    assert "statsPeriod" in bad.json()


def test_the_project_list_keys_its_series_on_stats_period(api, project):
    """Sentry's project list (StreamGroupSerializer) still reads statsPeriod for its stats."""
    make_issue(project, message="old", timestamp=(timezone.now() - timedelta(days=3)).isoformat())
    [item] = api.get(project_url(project), {"statsPeriod": "14d"}).json()
    assert set(item["stats"]) == {"14d"}
    assert len(item["stats"]["14d"]) == 15
    assert sum(count for _, count in item["stats"]["14d"]) == 1
    assert "lifetime" not in item and "filtered" not in item


def test_bad_parameters_answer_400(api, project):
    for params in ({"sort": "random"}, {"limit": "x"}, {"cursor": "nope"}, {"query": 'is:"x'}):
        response = api.get(project_url(project), params)
        assert response.status_code == 400, (params, response.content)


def test_organization_list_covers_the_projects_the_member_reaches(api, organization, project):
    second = ProjectFactory(organization=organization)
    first_issue = make_issue(project, message="a")
    second_issue = make_issue(second, message="b")
    make_issue(ProjectFactory(), message="elsewhere")
    assert set(ids(api.get(org_url(organization)))) == {first_issue.pk, second_issue.pk}
    only = api.get(org_url(organization), {"project": second.pk})
    assert ids(only) == [second_issue.pk]


def test_closed_membership_limits_the_organization_list(organization, project):
    organization.allow_joinleave = False
    organization.save()
    other_team = TeamFactory(organization=organization)
    hidden = ProjectFactory(organization=organization, teams=[other_team])
    visible = make_issue(project, message="a")
    make_issue(hidden, message="b")
    member = MemberFactory(organization=organization, teams=list(project.teams.all()))
    client = client_for(member.user)
    assert ids(client.get(org_url(organization))) == [visible.pk]
    assert client.get(project_url(hidden)).status_code == 403


def test_lists_answer_403_to_non_members_and_404_for_unknown(project):
    make_issue(project)
    client = client_for(UserFactory())
    for url in (project_url(project), org_url(project.organization)):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json() == PERMISSION_DENIED
    assert client.get("/api/0/organizations/nope/issues/").status_code == 404
    assert (
        client.get(f"/api/0/projects/{project.organization.slug}/nope/issues/").status_code == 404
    )


def test_lists_need_an_event_scope(scoped_api, project):
    client = scoped_api(["project:read"])
    assert client.get(project_url(project)).status_code == 403
    assert client.get(org_url(project.organization)).status_code == 403


def test_superuser_sees_every_list(project):
    issue = make_issue(project)
    admin = UserFactory(is_superuser=True)
    client = client_for(admin)
    assert ids(client.get(project_url(project))) == [issue.pk]
    assert ids(client.get(org_url(project.organization))) == [issue.pk]


def test_page_query_count_does_not_grow_with_the_page(
    api, project, user, django_assert_num_queries
):
    def count_queries(limit):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = api.get(project_url(project), {"limit": limit, "environment": "prod"})
        assert response.status_code == 200
        return len(queries)

    for number in range(12):
        issue = make_issue(
            project, message=f"problem {number}", fingerprint=[str(number)], environment="prod"
        )
        Bookmark.objects.create(issue=issue, user=user)
        Assignee.objects.create(issue=issue, user=user)
    api.get(project_url(project))  # the token's last-used time is written once
    assert count_queries(1) == count_queries(12)


# The token, its last-used time (written once a minute: this token is fresh), one statement
# for the organization, its projects and the requester's membership, the page's ids, and one
# statement for the page's documents (issues.gather).
LIST_QUERIES = 5


@pytest.mark.parametrize("route", ["project", "organization"])
def test_a_list_runs_a_fixed_number_of_queries(
    api, project, user, route, django_assert_num_queries
):
    for number in range(3):
        issue = make_issue(project, message=f"problem {number}", fingerprint=[str(number)])
        Bookmark.objects.create(issue=issue, user=user)
    url = project_url(project) if route == "project" else org_url(project.organization)
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get(url)
    assert response.status_code == 200, response.content
    assert len(response.json()) == 3


def test_deleted_issues_are_not_listed(api, project):
    issue = make_issue(project)
    assert api.delete(issue_url(issue)).status_code == 202
    assert ids(api.get(project_url(project), {"query": ""})) == []


def test_members_role_does_not_matter_for_listing(organization, project):
    issue = make_issue(project)
    for role in OrganizationMember.Role.values:
        member = MemberFactory(organization=organization, role=role)
        client = client_for(member.user)
        assert ids(client.get(org_url(organization))) == [issue.pk], role


# ?collapse= on the issue GET


@pytest.mark.parametrize(
    ("collapse", "gone"),
    [
        ("stats", {"stats"}),
        ("tags", {"tags"}),
        ("release", {"firstRelease", "lastRelease"}),
        ("unhandled", {"isUnhandled"}),
        ("lifetime", set()),
        ("filtered", set()),
    ],
)
def test_collapse_leaves_parts_out(api, project, collapse, gone):
    issue = make_issue(project, release="1.0.0")
    full = api.get(issue_url(issue)).json()
    collapsed = api.get(issue_url(issue), {"collapse": collapse}).json()
    assert set(full) - set(collapsed) == gone
    assert set(collapsed) <= set(full)


def test_collapse_base_keeps_only_the_id_and_the_detail_parts(api, issue):
    document = api.get(issue_url(issue), {"collapse": ["base", "stats"]}).json()
    assert "id" in document
    assert "title" not in document and "status" not in document
    assert "stats" not in document
    assert {"activity", "tags", "seenBy"} <= set(document)


def test_collapse_skips_the_reads_of_what_it_leaves_out(api, issue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from issues_api.statements import statement_text

    def tables_read(url):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        return " ".join(statement_text(query["sql"]) for query in queries)

    full = tables_read(issue_url(issue))
    collapsed = tables_read(
        f"/api/0/issues/{issue.pk}/?collapse=stats&collapse=tags&collapse=release"
    )
    for table in ("issues_issuehourlytotal", "issues_issuetagkey", "releases_releaseproject"):
        assert table in full
        assert table not in collapsed


def test_unknown_expand_and_collapse_values_are_ignored(api, issue):
    full = api.get(issue_url(issue)).json()
    other = api.get(
        issue_url(issue), {"expand": ["inbox", "nonsense"], "collapse": "nonsense"}
    ).json()
    full.pop("stats")
    other.pop("stats")
    assert other == full


# Access, in Sentry's order (docs/behaviour.md §1)


def test_lists_check_access_before_their_parameters(api, project):
    """The organization first (404 unknown, 403 to a non-member), then the list's own
    parameters: a ?project= that is no id is a 404, to a member only."""
    url = org_url(project.organization)
    response = api.get(url, {"project": "nope"})
    assert response.status_code == 404, response.content
    outsider = ApiTokenFactory(user=UserFactory())
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {outsider.plaintext}")
    response = api.get(url, {"project": "nope"})
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": "You do not have permission to perform this action."}


def test_a_member_whose_role_grants_no_event_scope_is_refused_every_list(api, user, project):
    """As on an issue: the token's scopes cut down to the role's must keep an event scope."""
    make_issue(project)
    OrganizationMember.objects.filter(user=user).update(role="intern")
    for url in (project_url(project), org_url(project.organization)):
        response = api.get(url)
        assert response.status_code == 403, (url, response.content)

"""The issue lists' `query` language and period: what a term costs, what it matches, and the
limits that keep a query from costing more."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from issues.models import Assignee, Bookmark, Environment, Issue, IssueStatus
from issues.search import MAX_QUERY_LENGTH, MAX_TERMS, IssueSearch, status_search
from issues.selectors import issues_for_list, status_page
from tests.factories import (
    OrganizationFactory,
    ProjectFactory,
    TeamFactory,
    make_event,
    make_issue,
)
from tests.issues.lists import ids, org_url, project_url

pytestmark = pytest.mark.django_db

# The page of issues: the one query that reads the issue table with a LIMIT.
LIST_QUERY = re.compile(r'^SELECT .* FROM "issues_issue" .* LIMIT', re.DOTALL)


def list_sql(api, url, params) -> str | None:
    """The SQL of the query that reads the page of issues (None if none was run), checking the
    request answered 200."""
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    pages = [query["sql"] for query in queries if LIST_QUERY.match(query["sql"])]
    assert len(pages) <= 1, pages
    return pages[0] if pages else None


def joins(sql: str) -> int:
    return len(re.findall(r"\bJOIN\b", sql))


@pytest.fixture
def searched(project, user):
    """Three issues: one bookmarked and assigned to the user in production with a Chrome tag,
    one in staging, one in both."""
    prod = make_issue(project, message="database timeout", environment="prod", tags={"b": "C"})
    staging = make_issue(project, message="cache miss", environment="staging")
    both = make_event(project, message="queue full", environment="prod").issue
    make_event(project, message="queue full", environment="staging")
    Bookmark.objects.create(issue=prod, user=user)
    Assignee.objects.create(issue=prod, user=user)
    return {"prod": prod, "staging": staging, "both": both}


@pytest.mark.parametrize(
    ("term", "matches"),
    [
        ("environment:prod", {"prod", "both"}),
        ("is:bookmarked", {"prod"}),
        ("environment:prod is:bookmarked", {"prod"}),
        ("assigned:me", {"prod"}),
        ("b:C", {"prod"}),
        ("database", {"prod"}),
    ],
)
def test_a_repeated_term_runs_the_same_sql_as_one(api, project, searched, term, matches):
    url = project_url(project)
    once = list_sql(api, url, {"query": term})
    repeated = " ".join([term] * 50)
    assert list_sql(api, url, {"query": repeated}) == once
    shuffled = " ".join(term.split()[::-1] * 50)
    assert len(list_sql(api, url, {"query": shuffled})) == len(once)
    expected = {searched[name].pk for name in matches}
    assert set(ids(api.get(url, {"query": repeated}))) == expected


def test_no_term_adds_a_join_or_distinct_to_the_list_query(api, project, searched, user):
    url = project_url(project)
    bare = list_sql(api, url, {"query": ""})
    query = (
        f"is:unresolved is:assigned is:bookmarked bookmarks:{user.email} assigned:me "
        "assigned:#nobody environment:prod environment:staging release:1.0 b:C database "
    )
    for params in ({"query": query}, {"query": query * 3, "environment": ["prod", "staging"]}):
        sql = list_sql(api, url, params)
        assert joins(sql) == joins(bare), sql
        assert "DISTINCT" not in sql
    with_terms = list_sql(api, url, {"query": "environment:prod is:bookmarked b:C database"})
    assert joins(with_terms) == joins(bare)
    assert "DISTINCT" not in with_terms


def test_environment_terms_are_one_condition_issues_seen_in_each(api, project, searched):
    url = project_url(project)
    assert ids(api.get(url, {"query": "environment:prod environment:staging"})) == [
        searched["both"].pk
    ]
    assert ids(api.get(url, {"query": "environment:prod environment:nowhere"})) == []
    one = list_sql(api, url, {"query": "environment:prod"})
    two = list_sql(api, url, {"query": "environment:prod environment:staging"})
    assert joins(two) == joins(one)
    assert two.count("SELECT") == one.count("SELECT")


def test_the_environment_parameter_lists_an_issue_seen_in_several_once(api, project, searched):
    url = project_url(project)
    listed = ids(api.get(url, {"environment": ["prod", "staging"]}))
    assert sorted(listed) == sorted(issue.pk for issue in searched.values())
    sql = list_sql(api, url, {"environment": ["prod", "staging"]})
    assert joins(sql) == joins(list_sql(api, url, {}))
    assert "DISTINCT" not in sql


def test_terms_that_name_the_same_thing_count_once(api, project, searched, user):
    url = project_url(project)
    assert list_sql(api, url, {"query": f"assigned:me assigned:{user.email}"}) == list_sql(
        api, url, {"query": "assigned:me"}
    )
    assert list_sql(api, url, {"query": "is:bookmarked bookmarks:me"}) == list_sql(
        api, url, {"query": "is:bookmarked"}
    )
    assert list_sql(api, url, {"query": "is:ignored is:archived"}) == list_sql(
        api, url, {"query": "is:ignored"}
    )


@pytest.mark.parametrize(
    "query",
    [
        "is:resolved is:unresolved",
        "is:unresolved is:ignored " * 25,
        "is:assigned is:unassigned",
        "assigned:nobody@example.com database",
        "bookmarks:nobody@example.com",
    ],
)
def test_contradictory_terms_list_nothing_without_a_list_query(api, project, searched, query):
    url = project_url(project)
    assert ids(api.get(url, {"query": query})) == []
    assert list_sql(api, url, {"query": query}) is None


def test_status_terms_still_filter(api, project, searched):
    searched["staging"].status = IssueStatus.RESOLVED
    searched["staging"].save()
    url = project_url(project)
    assert ids(api.get(url, {"query": "is:resolved is:resolved"})) == [searched["staging"].pk]
    assert ids(api.get(url, {"query": "is:unassigned is:resolved"})) == [searched["staging"].pk]


def test_a_query_has_at_most_50_different_terms(api, project, organization):
    issue = make_issue(project, message=" ".join(f"w{number}" for number in range(MAX_TERMS)))
    words = [f"w{number}" for number in range(MAX_TERMS + 1)]
    for url in (project_url(project), org_url(organization)):
        assert ids(api.get(url, {"query": " ".join(words[:MAX_TERMS] * 2)})) == [issue.pk]
        response = api.get(url, {"query": " ".join(words)})
        assert response.status_code == 400, response.content
        assert response.json() == {
            "query": [f"Too many search terms: at most {MAX_TERMS} different terms."]
        }


def test_a_query_has_at_most_4096_characters(api, project):
    url = project_url(project)
    assert api.get(url, {"query": "x" * MAX_QUERY_LENGTH}).status_code == 200
    response = api.get(url, {"query": "x" * (MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 400, response.content
    assert response.json() == {
        "query": [f"The query is too long: at most {MAX_QUERY_LENGTH} characters."]
    }


# assigned:#team


def test_assigned_team_is_the_team_of_the_lists_organization(api, project, organization):
    # The other organization's team comes first, as a lookup by slug alone would find it.
    elsewhere = TeamFactory(organization=OrganizationFactory(), slug="backend")
    ours = TeamFactory(organization=organization, slug="backend")
    mine = make_issue(project, message="ours")
    theirs = make_issue(project, message="assigned to the other one")
    Assignee.objects.create(issue=mine, team=ours)
    Assignee.objects.create(issue=theirs, team=elsewhere)  # as no PUT could, to tell them apart
    for url in (project_url(project), org_url(organization)):
        assert ids(api.get(url, {"query": "assigned:#backend"})) == [mine.pk]
        assert ids(api.get(url, {"query": "assigned:#nothing"})) == []


# Quotes


def test_an_unmatched_quote_is_text(api, project):
    cant = make_issue(project, message="can't connect to the database")
    reilly = make_issue(project, message="O'Reilly book not found")
    unterminated = make_issue(project, message='SyntaxError: "unterminated string')
    url = project_url(project)
    assert ids(api.get(url, {"query": "can't"})) == [cant.pk]
    assert ids(api.get(url, {"query": "O'Reilly"})) == [reilly.pk]
    assert ids(api.get(url, {"query": '"unterminated'})) == [unterminated.pk]
    assert ids(api.get(url, {"query": 'is:unresolved "unterminated string'})) == [unterminated.pk]
    assert ids(api.get(url, {"query": "can't database"})) == [cant.pk]


def test_balanced_quotes_group_words(api, project):
    two_words = make_issue(project, message="two words here", tags={"server": "web one"})
    make_issue(project, message="words, two of them", tags={"server": "web"})
    url = project_url(project)
    assert ids(api.get(url, {"query": '"two words"'})) == [two_words.pk]
    assert ids(api.get(url, {"query": 'server:"web one"'})) == [two_words.pk]
    assert ids(api.get(url, {"query": 'server:"web one" "two words" is:unresolved'})) == [
        two_words.pk
    ]
    assert ids(api.get(url, {"query": r'"two \"words"'})) == []


def test_an_unknown_is_value_is_still_400_even_with_an_unmatched_quote(api, project):
    for query in ('is:"x', "is:nope", "is:resolved is:nope"):
        response = api.get(project_url(project), {"query": query})
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["query"]


# statsPeriod

BAD_PERIODS = [
    "1000000000d",
    "99999999999999999999w",
    "999999999999999s",
    "9" * 5000 + "s",
    "91d",
    "0d",
    "1e9d",
    "-1d",
    "1.5d",
    "\u0661\u0662h",  # Arabic-Indic digits, which int() reads
    "\uff11d",  # a fullwidth digit
    "24 h",
    "24H",
]


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_a_period_out_of_range_or_malformed_is_400_on_both_lists(api, project, period):
    for url in (project_url(project), org_url(project.organization)):
        response = api.get(url, {"statsPeriod": period})
        assert response.status_code == 400, (url, response.content)
        [message] = response.json()["statsPeriod"]
        assert message in (
            "The stats period is between 1s and 90d.",
            f"Invalid stats period: {period!r}",
        )


@pytest.mark.parametrize("period", ["90d", "12w", "0000000000000024h", "1h"])
def test_a_period_up_to_90_days_is_accepted(api, project, period):
    issue = make_issue(project)
    response = api.get(project_url(project), {"statsPeriod": period})
    assert ids(response) == [issue.pk]
    assert list(response.json()[0]["stats"]) == [period]


def test_group_stats_period_start_and_end_are_not_read(api, project):
    # The lists read statsPeriod only; Sentry's other period parameters are ignored, as
    # unknown parameters are, whatever they hold.
    issue = make_issue(project)
    params = {"groupStatsPeriod": "1000000000d", "start": "99999-01-01", "end": "1e9"}
    assert ids(api.get(project_url(project), params)) == [issue.pk]


STATUS_QUERIES = [
    "",
    "is:unresolved",
    "is:resolved",
    "is:ignored is:archived",
    "is:unresolved is:resolved",
]


def test_a_status_search_finds_what_the_full_search_finds(api, project, searched, user, subtests):
    """The lists' default search (statuses, a period, an order) runs as one statement written
    once (issues.selectors.status_page); IssueSearch's queryset finds the same page."""
    now = timezone.now()
    for status, days, seen in [
        (IssueStatus.RESOLVED, 0, 5),
        (IssueStatus.IGNORED, 3, 5),
        (IssueStatus.PENDING_DELETION, 0, 9),
        (IssueStatus.UNRESOLVED, 2, 7),
    ]:
        issue = make_issue(project, message=f"{status} {days}")
        Issue.objects.filter(pk=issue.pk).update(
            status=status, last_seen=now - timedelta(days=days), times_seen=seen, user_count=seen
        )
    make_issue(ProjectFactory(organization=project.organization))  # not listed
    organization = project.organization
    environments = {env.name: env for env in Environment.objects.filter(organization=organization)}
    request = SimpleNamespace(user=user)
    cases = 0
    for query in STATUS_QUERIES:
        for sort in ["", "date", "new", "freq", "user"]:
            for period in ["", "24h", "7d"]:
                for names in [(), ("prod",), ("prod", "staging")]:
                    data = QueryDict(mutable=True)
                    data.update({"query": query, "sort": sort, "statsPeriod": period})
                    chosen = [environments[name] for name in names]
                    search = status_search(data)
                    assert search is not None
                    found = status_page([project], search=search, environments=chosen, now=now)
                    full = IssueSearch(
                        data,
                        queryset=issues_for_list([project]),
                        request=request,
                        organization=project.organization,
                        environments=chosen,
                        projects=[project],
                    )
                    with subtests.test(query=query, sort=sort, period=period, names=names):
                        expected = list(full.qs.values_list("id", flat=True)[0:50])
                        assert list(found[0:50]) == expected
                        assert list(found[1:3]) == expected[1:3]
                    cases += 1
    assert cases == 225


@pytest.mark.parametrize(
    "params",
    [
        {"query": "is:unresolved database"},
        {"query": "is:bookmarked"},
        {"query": "is:unresolved", "sort": " date"},
        {"query": "environment:prod"},
    ],
)
def test_other_searches_are_not_status_searches(params):
    data = QueryDict(mutable=True)
    data.update(params)
    assert status_search(data) is None

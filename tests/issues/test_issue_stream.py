"""The organization issue list in today's Sentry shape (StreamGroupSerializerSnuba):
groupStatsPeriod, lifetime, filtered, ?expand= and ?collapse= (docs/behaviour.md §16)."""

import copy
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from issues.models import Issue, IssueStatus, IssueSubstatus
from issues.stats import INVALID_GROUP_STATS_PERIOD, auto_rollup
from tests.contract import current_response_schema
from tests.factories import make_event, make_issue
from tests.helpers import validate
from tests.issues.lists import ids, org_url, project_url

pytestmark = pytest.mark.django_db

HOUR, DAY = 3600, 86400
ORG_LIST = "/api/0/organizations/{organization_id_or_slug}/issues/"
PROJECT_LIST = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/"
# Once the token's last-used time is written: the token, one statement for the organization,
# its projects and the membership, the page's ids, one for the page's documents.
STREAM_QUERIES = 4


def ago(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


def items(api, project, **params) -> list[dict]:
    response = api.get(org_url(project.organization), params)
    assert response.status_code == 200, response.content
    return response.json()


def one(api, project, **params) -> dict:
    [item] = items(api, project, **params)
    return item


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---- Sentry's schemas ---------------------------------------------------------------------


# Keys Sentry's schema requires that its code sends only when asked (?expand=, an event id
# as the query) or not from this serializer at all (derivedData): the schema is stricter than
# the code, which is followed (DESIGN.md).
ONLY_WHEN_ASKED = {
    "inbox",
    "owners",
    "sessionCount",
    "integrationIssues",
    "sentryAppIssues",
    "latestEventHasAttachments",
    "matchingEventId",
    "matchingEventEnvironment",
    "derivedData",
}


def organization_list_schema() -> dict:
    schema = copy.deepcopy(current_response_schema(ORG_LIST))
    item = schema["items"]
    item["required"] = [key for key in item["required"] if key not in ONLY_WHEN_ASKED]
    return schema


def test_both_lists_validate_against_sentrys_current_schemas(api, project):
    issue = make_issue(project, tags={"browser": "Chrome"}, fingerprint=["chrome"])
    make_event(project, tags={"browser": "Firefox"}, fingerprint=["firefox"])
    schema = organization_list_schema()
    organization_list = items(api, project, expand="inbox", query="browser:Chrome")
    validate(schema, organization_list)
    assert ids_of(organization_list) == [issue.pk]
    assert organization_list[0]["inbox"]["reason"] == 0
    for params in ({"groupStatsPeriod": "14d"}, {"groupStatsPeriod": "auto"}, {"query": ""}):
        validate(schema, items(api, project, **params))
    project_list = api.get(project_url(project)).json()
    assert len(project_list) == 2
    validate(current_response_schema(PROJECT_LIST), project_list)


def ids_of(documents) -> list[int]:
    return [int(document["id"]) for document in documents]


# ---- groupStatsPeriod ---------------------------------------------------------------------


def test_stats_follow_group_stats_period_not_stats_period(api, project):
    make_issue(project)
    make_issue(project, timestamp=ago(days=3))
    default = one(api, project, statsPeriod="14d")
    assert set(default["stats"]) == {"24h"}
    hours = [bucket for bucket, _ in default["stats"]["24h"]]
    assert len(hours) == 24
    assert {later - earlier for earlier, later in itertools.pairwise(hours)} == {HOUR}
    assert hours[-1] == int(timezone.now().timestamp()) // HOUR * HOUR
    assert sum(count for _, count in default["stats"]["24h"]) == 1

    days = one(api, project, groupStatsPeriod="14d")["stats"]["14d"]
    assert len(days) == 14
    assert days[-1][0] == int(timezone.now().timestamp()) // DAY * DAY
    assert sum(count for _, count in days) == 2


def test_auto_cuts_the_search_window_as_sentry_does(api, project):
    make_issue(project, timestamp=ago(days=6))
    make_event(project)
    item = one(api, project, groupStatsPeriod="auto", statsPeriod="7d")
    series = item["stats"]["auto"]
    assert set(item["stats"]) == {"auto"}
    steps = {later[0] - earlier[0] for earlier, later in itertools.pairwise(series)}
    assert steps == {6 * HOUR}
    assert 28 <= len(series) <= 30
    assert sum(count for _, count in series) == 2
    # Sentry's rollups: hours up to 12 (at least one here), then whole days.
    assert auto_rollup(timedelta(hours=6)) == HOUR
    assert auto_rollup(timedelta(hours=40)) == 2 * HOUR
    assert auto_rollup(timedelta(days=14)) == 12 * HOUR
    assert auto_rollup(timedelta(days=20)) == DAY
    assert auto_rollup(timedelta(days=90)) == 3 * DAY
    # Without statsPeriod the window is Sentry's default, 90 days.
    default = one(api, project, groupStatsPeriod="auto")["stats"]["auto"]
    assert default[1][0] - default[0][0] == 3 * DAY


def test_empty_group_stats_period_shows_no_series(api, project):
    make_issue(project)
    item = one(api, project, groupStatsPeriod="", expand="sessions")
    assert "stats" not in item and "sessionCount" not in item
    assert "stats" not in item["lifetime"]
    assert item["filtered"] is None


@pytest.mark.parametrize("value", ["7d", "1h", "24H", "none", "auto "])
def test_other_group_stats_periods_are_sentrys_400(api, project, value):
    response = api.get(org_url(project.organization), {"groupStatsPeriod": value})
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": INVALID_GROUP_STATS_PERIOD}


# ---- lifetime and filtered ----------------------------------------------------------------


def test_lifetime_counts_the_issue_in_the_environments_whatever_the_window(api, project):
    issue = make_issue(project, environment="prod", timestamp=ago(days=3))
    make_event(project, environment="prod", user={"id": "u2"})
    make_event(project, environment="dev")
    item = one(api, project, statsPeriod="24h", environment="prod")
    assert item["lifetime"]["count"] == "2"
    assert item["lifetime"]["userCount"] == 2
    assert moment(item["lifetime"]["firstSeen"]) == issue.first_seen
    assert item["lifetime"]["stats"] is None
    assert {key: item["lifetime"][key] for key in ("count", "firstSeen", "lastSeen")} == {
        key: item[key] for key in ("count", "firstSeen", "lastSeen")
    }
    assert one(api, project)["lifetime"]["count"] == "3"


def test_filtered_is_null_without_event_filters(api, project):
    make_issue(project)
    for query in ("is:unresolved", "", "is:unassigned is:unresolved"):
        assert one(api, project, query=query)["filtered"] is None, query


def test_filtered_counts_the_events_a_tag_term_names(api, project):
    server = {"server_name": "web01"}
    first = make_event(project, tags={"browser": "Chrome", **server}, timestamp=ago(hours=5))
    make_event(project, tags={"browser": "Chrome", **server}, timestamp=ago(hours=2))
    make_event(project, tags={"browser": "Firefox", **server}, timestamp=ago(hours=1))
    item = one(api, project, query="browser:Chrome")
    filtered = item["filtered"]
    assert (filtered["count"], item["count"], item["lifetime"]["count"]) == ("2", "3", "3")
    assert filtered["userCount"] == 2
    assert moment(filtered["firstSeen"]) == first.issue.first_seen.replace(microsecond=0)
    assert moment(filtered["lastSeen"]) < moment(item["lastSeen"])
    assert filtered["stats"] == item["stats"]
    # Two terms: the rarer one bounds the events carrying both.
    both = one(api, project, query="browser:Chrome server_name:web01")["filtered"]
    assert both["count"] == "2"
    # Free text matches what every event of the issue shares.
    assert one(api, project, query="Something")["filtered"]["count"] == "3"


def test_filtered_counts_follow_the_environment(api, project):
    make_event(project, tags={"browser": "Chrome"}, environment="prod")
    make_event(project, tags={"browser": "Chrome"}, environment="dev")
    item = one(api, project, query="browser:Chrome", environment="prod")
    assert item["filtered"]["count"] == "1"
    assert one(api, project, query="browser:Chrome")["filtered"]["count"] == "2"


def test_release_terms_are_event_filters(api, project):
    make_event(project, release="1.0.0")
    make_event(project, release="2.0.0")
    assert one(api, project, query="release:1.0.0")["filtered"]["count"] == "1"


# ---- ?expand= -----------------------------------------------------------------------------


def test_expand_inbox_shows_new_regressed_and_escalating_issues(api, project):
    issue = make_issue(project)
    [plain] = items(api, project)
    assert "inbox" not in plain
    inbox = one(api, project, expand="inbox")["inbox"]
    assert inbox == {
        "reason": 0,
        "reason_details": None,
        "date_added": issue.first_seen.isoformat().replace("+00:00", "Z"),
    }
    regressed_at = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    Issue.objects.filter(pk=issue.pk).update(
        substatus=IssueSubstatus.REGRESSED, active_at=regressed_at
    )
    inbox = one(api, project, expand="inbox")["inbox"]
    assert (inbox["reason"], moment(inbox["date_added"])) == (2, regressed_at)
    Issue.objects.filter(pk=issue.pk).update(substatus=IssueSubstatus.ESCALATING)
    assert one(api, project, expand="inbox")["inbox"]["reason"] == 5
    Issue.objects.filter(pk=issue.pk).update(substatus=IssueSubstatus.ONGOING)
    assert one(api, project, expand="inbox")["inbox"] is None


def test_an_issue_leaves_the_inbox_when_resolved_or_a_week_old(api, project):
    issue = make_issue(project)
    old = make_issue(project, message="old", fingerprint=["old"], timestamp=ago(days=8))
    Issue.objects.filter(pk=issue.pk).update(status=IssueStatus.RESOLVED, substatus=None)
    inboxes = {
        int(item["id"]): item["inbox"] for item in items(api, project, query="", expand="inbox")
    }
    assert inboxes == {issue.pk: None, old.pk: None}


def test_expand_owners_and_what_this_service_does_not_keep(api, project):
    make_issue(project)
    expand = [
        "owners",
        "sessions",
        "integrationIssues",
        "sentryAppIssues",
        "pluginActions",
        "pluginIssues",
        "latestEventHasAttachments",
        "nonsense",
    ]
    item = one(api, project, expand=expand)
    assert item["owners"] is None
    assert item["sessionCount"] is None
    assert item["integrationIssues"] == item["sentryAppIssues"] == []
    assert item["pluginActions"] == item["pluginIssues"] == []
    assert item["latestEventHasAttachments"] is False
    assert "nonsense" not in item


# ---- ?collapse= ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collapse", "gone"),
    [
        ("stats", {"stats", "lifetime", "filtered"}),
        ("lifetime", {"lifetime"}),
        ("filtered", {"filtered"}),
        ("unhandled", {"isUnhandled"}),
        ("nonsense", set()),
    ],
)
def test_collapse_leaves_parts_out(api, project, collapse, gone):
    make_issue(project)
    full = one(api, project)
    collapsed = one(api, project, collapse=collapse)
    assert set(full) - set(collapsed) == gone
    assert {key: full[key] for key in collapsed} == collapsed


def test_collapse_base_keeps_the_id_counts_and_the_series(api, project):
    make_issue(project)
    item = one(api, project, collapse="base")
    assert set(item) == {
        "id",
        "count",
        "userCount",
        "firstSeen",
        "lastSeen",
        "isUnhandled",
        "stats",
        "lifetime",
        "filtered",
    }
    assert set(one(api, project, collapse=["base", "stats", "unhandled"])) == {
        "id",
        "count",
        "userCount",
        "firstSeen",
        "lastSeen",
    }


def test_the_project_list_reads_neither_expand_nor_collapse(api, project):
    make_issue(project)
    [plain] = api.get(project_url(project)).json()
    [asked] = api.get(project_url(project), {"expand": "inbox", "collapse": "stats"}).json()
    assert asked == plain
    assert "inbox" not in asked and "stats" in asked


# ---- queries ------------------------------------------------------------------------------


def count_queries(api, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize("number", [1, 6])
def test_the_organization_list_runs_a_fixed_number_of_queries(
    api, project, number, django_assert_num_queries
):
    for index in range(number):
        make_issue(
            project,
            message=f"problem {index}",
            fingerprint=[str(index)],
            tags={"browser": "Chrome"},
        )
    url = org_url(project.organization)
    api.get(url)  # the token's last-used time is written once
    expand = ["inbox", "owners", "sessions"]
    # Inbox, owners, lifetime and a text term's filtered counts read nothing more.
    with django_assert_num_queries(STREAM_QUERIES):
        response = api.get(url, {"expand": expand, "query": "problem"})
    assert len(response.json()) == number
    # A tag term's filtered counts: one query for the page.
    with django_assert_num_queries(STREAM_QUERIES + 1):
        response = api.get(url, {"expand": expand, "query": "browser:Chrome"})
    assert len(response.json()) == number
    assert all(item["filtered"]["count"] == "1" for item in response.json())
    # Collapsed, filtered is not read at all.
    params = {"query": "browser:Chrome", "collapse": "filtered"}
    assert count_queries(api, url, params) == STREAM_QUERIES
    assert ids(api.get(url, {"groupStatsPeriod": "auto"})) != []


def test_a_bucket_timestamp_is_utc_aligned(api, project):
    make_issue(project)
    [bucket, *_] = one(api, project, groupStatsPeriod="14d")["stats"]["14d"]
    assert datetime.fromtimestamp(bucket[0], UTC).hour == 0

"""GET .../issues/{id}/tags/, .../tags/{key}/ and .../tags/{key}/values/: Sentry's tag shapes,
read from the tag counters (never from events), filtered by environment, paged and sorted
as Sentry sorts them, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from issues.models import Event, IssueTagKey, IssueTagValue
from tests.factories import make_event, make_issue
from tests.helpers import (
    DATETIME,
    NOT_FOUND,
    PERMISSION_DENIED,
    ROUTES,
    assert_error,
    client_for,
    follow,
    get_json,
    issue_url,
    links,
)

pytestmark = pytest.mark.django_db

# token, its last-used time, the issue with the requester's membership (issues.gather).
LOOKUP_QUERIES = 3
# + the keys with their totals, then their values (top ones and how many).
TAGS_QUERIES = LOOKUP_QUERIES + 2
# + the environments of ?environment=.
ENVIRONMENT_QUERIES = TAGS_QUERIES + 1
# + whether the key exists, then the page of values.
VALUES_QUERIES = LOOKUP_QUERIES + 2


def tags_url(issue, *rest, route="issues"):
    return issue_url(issue, route) + "/".join(["tags", *rest]) + "/"


def record(project, *, when=None, **payload):
    """An event of the one issue these tests share (same message)."""
    if when is not None:
        payload["timestamp"] = when.isoformat()
    return make_event(project, message="tagged problem", **payload)


@pytest.fixture
def tagged(project):
    """An issue with 3 events in production and 1 in staging: server_name web1 (twice) and
    web2 in production, web3 in staging; release 1.0 only in staging; users id:1 (3 events)
    and id:2."""
    now = timezone.now()
    record(project, when=now - timedelta(hours=3), tags={"server_name": "web1"}, user={"id": "1"})
    record(project, when=now - timedelta(hours=2), tags={"server_name": "web1"}, user={"id": "2"})
    record(project, when=now - timedelta(hours=1), tags={"server_name": "web2"}, user={"id": "1"})
    event = record(
        project,
        when=now - timedelta(minutes=30),
        environment="staging",
        tags={"server_name": "web3"},
        user={"id": "1"},
        release="1.0",
    )
    return event.issue


def by_key(document):
    return {item["key"]: item for item in document}


@pytest.mark.parametrize("route", ROUTES)
def test_tags_lists_keys_with_counts_and_top_values(api, tagged, route):
    document = get_json(api, tags_url(tagged, route=route))

    keys = by_key(document)
    assert set(keys) >= {"server_name", "environment", "level", "user"}
    server = keys["server_name"]
    assert set(server) == {"key", "name", "uniqueValues", "totalValues", "topValues"}
    assert server["name"] == "Server"
    assert server["totalValues"] == 4
    assert server["uniqueValues"] == 3
    # By count, then by value.
    assert [(v["value"], v["count"]) for v in server["topValues"]] == [
        ("web1", 2),
        ("web2", 1),
        ("web3", 1),
    ]
    top = server["topValues"][0]
    assert set(top) == {"key", "name", "value", "count", "lastSeen", "firstSeen"}
    assert top["key"] == "server_name"
    assert DATETIME.match(top["firstSeen"]) and DATETIME.match(top["lastSeen"])
    assert top["firstSeen"] < top["lastSeen"]
    # Sentry's reserved keys lose their prefix; a user value names its search.
    user = keys["user"]
    assert user["name"] == "User"
    assert user["topValues"][0] == {
        **user["topValues"][0],
        "key": "user",
        "value": "id:1",
        "name": "1",
        "count": 3,
        "query": 'user.id:"1"',
    }
    assert keys["release"]["totalValues"] == 1
    # Keys by how many events carry them, most first.
    totals = [item["totalValues"] for item in document]
    assert totals == sorted(totals, reverse=True)


def test_tags_follow_the_environment(api, tagged):
    document = get_json(api, tags_url(tagged), environment="production")

    server = by_key(document)["server_name"]
    assert server["totalValues"] == 3
    assert server["uniqueValues"] == 2
    assert [v["value"] for v in server["topValues"]] == ["web1", "web2"]
    assert "release" not in by_key(document)

    both = get_json(api, tags_url(tagged), environment=["production", "staging"])
    assert by_key(both)["server_name"]["totalValues"] == 4


def test_tags_key_and_limit(api, tagged):
    document = get_json(api, tags_url(tagged), key=["server_name", "release"], limit="1")

    assert [item["key"] for item in document] == ["server_name", "release"]
    assert [len(item["topValues"]) for item in document] == [1, 1]
    # With keys, 9 values by default; none with limit=0.
    assert len(get_json(api, tags_url(tagged), key="server_name")[0]["topValues"]) == 3
    assert get_json(api, tags_url(tagged), limit="0")[0]["topValues"] == []


@pytest.mark.parametrize("limit", ["-1", "x", "101", "1.5", ""])
def test_tags_invalid_limit_is_400(api, tagged, limit):
    response = api.get(tags_url(tagged), {"limit": limit})
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"detail"}


def test_tags_of_an_issue_without_tags_is_an_empty_list(api, issue):
    IssueTagValue.objects.filter(issue=issue).delete()
    issue_keys = get_json(api, tags_url(issue))
    assert {item["key"] for item in issue_keys} >= {"level"}
    # An issue whose counters hold no key lists none.
    IssueTagKey.objects.filter(issue=issue).delete()
    assert get_json(api, tags_url(issue)) == []


def test_tags_are_read_from_the_counters_not_from_events(api, tagged):
    before = get_json(api, tags_url(tagged))
    Event.objects.filter(issue=tagged).delete()
    assert get_json(api, tags_url(tagged)) == before


@pytest.mark.parametrize("route", ROUTES)
def test_tag_details(api, tagged, route):
    document = get_json(api, tags_url(tagged, "server_name", route=route))

    assert document["key"] == "server_name"
    assert document["totalValues"] == 4
    assert document["uniqueValues"] == 3
    assert [v["value"] for v in document["topValues"]] == ["web1", "web2", "web3"]
    # Reserved keys by their API name.
    assert get_json(api, tags_url(tagged, "release"))["key"] == "release"
    assert get_json(api, tags_url(tagged, "user"))["totalValues"] == 4


def test_tag_details_unknown_key_or_environment_is_404(api, tagged, organization):
    assert_error(api.get(tags_url(tagged, "nope")), 404, NOT_FOUND)
    assert_error(api.get(tags_url(tagged, "release"), {"environment": "nowhere"}), 404, NOT_FOUND)
    # A key the issue has, but not in that environment.
    response = api.get(tags_url(tagged, "release"), {"environment": "production"})
    assert_error(response, 404, NOT_FOUND)


def test_values_are_paged_with_sentry_link(api, project):
    now = timezone.now()
    for number in range(5):
        event = record(
            project, when=now - timedelta(minutes=number), tags={"server_name": f"s{number}"}
        )
    issue = event.issue

    response = api.get(tags_url(issue, "server_name", "values"), {"per_page": "2", "sort": "age"})

    assert response.status_code == 200, response.content
    first = response.json()
    # age: newest first sighting first.
    assert [item["value"] for item in first] == ["s0", "s1"]
    assert set(first[0]) == {"key", "name", "value", "count", "lastSeen", "firstSeen"}
    page = links(response)
    assert page["next"].results and not page["previous"].results
    seen = [item["value"] for item in first]
    while page["next"].results:
        response = follow(api, page["next"].url)
        seen += [item["value"] for item in response.json()]
        page = links(response)
    assert seen == ["s0", "s1", "s2", "s3", "s4"]


def test_values_sorts(api, project):
    now = timezone.now()
    record(project, when=now - timedelta(hours=5), tags={"server_name": "old"})
    record(project, when=now - timedelta(hours=4), tags={"server_name": "busy"})
    record(project, when=now - timedelta(hours=3), tags={"server_name": "busy"})
    issue = record(project, when=now - timedelta(hours=1), tags={"server_name": "old"}).issue
    record(project, when=now - timedelta(hours=2), tags={"server_name": "new"})
    url = tags_url(issue, "server_name", "values")

    def order(sort):
        return [item["value"] for item in get_json(api, url, sort=sort)]

    assert order("date") == ["old", "new", "busy"]
    assert order("age") == ["new", "busy", "old"]
    # busy and old have 2 each: by value.
    assert order("count") == ["busy", "old", "new"]
    # Sentry's default: by first sighting.
    assert order("anything") == order("age")
    assert get_json(api, url, sort="count")[0]["count"] == 2


def test_values_follow_the_environment(api, tagged):
    url = tags_url(tagged, "server_name", "values")
    assert {item["value"] for item in get_json(api, url, environment="staging")} == {"web3"}
    # A key known in the issue, not in that environment: an empty page.
    assert get_json(api, tags_url(tagged, "release", "values"), environment="production") == []


def test_values_unknown_key_or_environment_is_404(api, tagged):
    assert_error(api.get(tags_url(tagged, "nope", "values")), 404, NOT_FOUND)
    url = tags_url(tagged, "server_name", "values")
    assert_error(api.get(url, {"environment": "nowhere"}), 404, NOT_FOUND)


@pytest.mark.parametrize("params", [{"cursor": "bad"}, {"per_page": "0"}, {"per_page": "101"}])
def test_values_bad_paging_is_400(api, tagged, params):
    response = api.get(tags_url(tagged, "server_name", "values"), params)
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("tail", [(), ("server_name",), ("server_name", "values")])
def test_tag_routes_need_an_event_scope(user, tagged, tail):
    response = client_for(user, ["project:read"]).get(tags_url(tagged, *tail))
    assert_error(response, 403, PERMISSION_DENIED)
    assert client_for(user, ["event:read"]).get(tags_url(tagged, *tail)).status_code == 200


@pytest.mark.parametrize("tail", [(), ("server_name",), ("server_name", "values")])
def test_tag_routes_unknown_and_foreign_issues(api, foreign_issue, tail):
    assert_error(api.get(f"/api/0/issues/0/{'/'.join(['tags', *tail])}/"), 404, NOT_FOUND)
    assert_error(api.get(tags_url(foreign_issue, *tail)), 403, PERMISSION_DENIED)


def many_values_issue(project, count: int):
    now = timezone.now()
    issue = None
    for number in range(count):
        issue = record(
            project,
            when=now - timedelta(minutes=number),
            environment=f"env{number % 3}",
            tags={"server_name": f"s{number}", f"key{number % 12}": "x"},
        ).issue
    return issue


@pytest.mark.parametrize("count", [1, 40])
def test_tag_routes_read_a_fixed_number_of_queries(user, project, count, django_assert_num_queries):
    issue = many_values_issue(project, count)
    # Each request with a new token: its first use writes its last-used time, counted.
    clients = [client_for(user) for _ in range(4)]
    environments = ["env0", "env1"][: min(count, 2)]
    with django_assert_num_queries(TAGS_QUERIES):
        assert clients[0].get(tags_url(issue)).status_code == 200
    with django_assert_num_queries(ENVIRONMENT_QUERIES):
        response = clients[1].get(tags_url(issue), {"environment": environments})
    assert response.status_code == 200
    with django_assert_num_queries(TAGS_QUERIES):
        assert clients[2].get(tags_url(issue, "server_name")).status_code == 200
    with django_assert_num_queries(VALUES_QUERIES):
        response = clients[3].get(tags_url(issue, "server_name", "values"))
    assert len(response.json()) == count


def test_tag_of_another_issue_is_not_shown(api, tagged, project):
    other = make_issue(project, message="other", tags={"only_here": "1"})
    assert_error(api.get(tags_url(tagged, "only_here")), 404, NOT_FOUND)
    assert get_json(api, tags_url(other, "only_here"))["totalValues"] == 1

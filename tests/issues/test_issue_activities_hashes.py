"""GET .../issues/{id}/activities/ (the issue document's activity, under "activity") and GET
.../issues/{id}/hashes/ (the hashes that group events into the issue, paged)."""

import pytest

from issues.models import IssueHash
from tests.factories import make_event, make_issue, make_notes
from tests.helpers import (
    NOT_FOUND,
    PERMISSION_DENIED,
    ROUTES,
    assert_error,
    client_for,
    follow,
    get_issue,
    get_json,
    issue_url,
    links,
)

pytestmark = pytest.mark.django_db

# token, its last-used time, and the issue with the requester's membership and its activity
# (the issue GET's statement, issues.gather).
ACTIVITY_QUERIES = 3
# token, its last-used time, the issue; the page of hashes, the issue's latest event.
HASH_QUERIES = 5


def activities_url(issue, route="issues"):
    return issue_url(issue, route) + "activities/"


def hashes_url(issue, route="issues"):
    return issue_url(issue, route) + "hashes/"


@pytest.mark.parametrize("route", ROUTES)
def test_activities_are_the_issue_documents_activity(api, issue, user, route):
    api.post(issue_url(issue) + "comments/", {"text": "a note"}, format="json")
    api.put(issue_url(issue), {"status": "resolved"}, format="json")

    document = get_json(api, activities_url(issue, route))

    assert set(document) == {"activity"}
    assert [item["type"] for item in document["activity"]] == [
        "set_resolved",
        "note",
        "first_seen",
    ]
    assert document["activity"] == get_issue(api, issue)["activity"]
    assert document["activity"][0]["user"]["id"] == str(user.pk)


def test_activities_ignore_the_environment(api, issue):
    expected = get_json(api, activities_url(issue))
    assert get_json(api, activities_url(issue), environment="production") == expected


@pytest.mark.parametrize("count", [1, 150])
def test_activities_read_a_fixed_number_of_queries(user, issue, count, django_assert_num_queries):
    make_notes(issue, count)
    client = client_for(user)  # a new token: its first use writes its last-used time
    with django_assert_num_queries(ACTIVITY_QUERIES):
        response = client.get(activities_url(issue))
    # Sentry's 100 newest, first_seen appended then cut.
    assert len(response.json()["activity"]) == min(count + 1, 100)


@pytest.mark.parametrize("route", ROUTES)
def test_hashes_list_the_issues_hashes_with_its_latest_event(api, project, route):
    make_event(project, message="hashed")
    latest = make_event(project, message="hashed")
    issue = latest.issue

    document = get_json(api, hashes_url(issue, route))

    (only,) = IssueHash.objects.filter(issue=issue)
    assert [item["id"] for item in document] == [only.hash]
    event = document[0]["latestEvent"]
    assert event["eventID"] == latest.event_id
    assert event["groupID"] == str(issue.pk)


def test_hashes_are_paged_newest_first(api, issue):
    extra = [
        IssueHash.objects.create(project_id=issue.project_id, issue=issue, hash=f"{n:032x}")
        for n in range(4)
    ]

    response = api.get(hashes_url(issue), {"per_page": "2"})

    assert response.status_code == 200, response.content
    seen = [item["id"] for item in response.json()]
    assert seen == [extra[3].hash, extra[2].hash]
    page = links(response)
    while page["next"].results:
        response = follow(api, page["next"].url)
        seen += [item["id"] for item in response.json()]
        page = links(response)
    assert len(seen) == 5
    assert len(set(seen)) == 5


def test_hashes_of_other_issues_are_not_listed(api, issue, project):
    other = make_issue(project, message="another")
    hashes = {item["id"] for item in get_json(api, hashes_url(issue))}
    assert hashes.isdisjoint(IssueHash.objects.filter(issue=other).values_list("hash", flat=True))


@pytest.mark.parametrize("count", [1, 60])
def test_hashes_read_a_fixed_number_of_queries(user, issue, count, django_assert_num_queries):
    IssueHash.objects.bulk_create(
        IssueHash(project_id=issue.project_id, issue=issue, hash=f"{n:032x}")
        for n in range(count - 1)
    )
    client = client_for(user)
    with django_assert_num_queries(HASH_QUERIES):
        response = client.get(hashes_url(issue))
    assert len(response.json()) == count


def test_hash_delete_is_not_served(api, issue):
    # No unmerge here: the route answers GET only.
    response = api.delete(hashes_url(issue))
    assert response.status_code == 405, response.content
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert IssueHash.objects.filter(issue=issue).exists()


@pytest.mark.parametrize("url", [activities_url, hashes_url])
def test_scopes_unknown_and_foreign_issues(api, user, issue, foreign_issue, url):
    assert_error(client_for(user, ["project:read"]).get(url(issue)), 403, PERMISSION_DENIED)
    assert client_for(user, ["event:read"]).get(url(issue)).status_code == 200
    assert_error(api.get(url(foreign_issue)), 403, PERMISSION_DENIED)
    unknown = url(issue).replace(f"/issues/{issue.pk}/", "/issues/0/")
    assert_error(api.get(unknown), 404, NOT_FOUND)

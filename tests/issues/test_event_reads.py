"""The events list's and the short-id lookup's reads: what they show of unusual stored
payloads."""

import pytest

from tests.factories import make_event, make_issue

pytestmark = pytest.mark.django_db

# Larger than 64 bits, and a run of digits as long in a string.
BIG = 123456789012345678901234567890


def events_url(issue, suffix=""):
    return f"/api/0/issues/{issue.pk}/events/{suffix}"


def get_json(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_list_shows_numbers_of_any_size_as_stored(api, project):
    user = {"id": "7", "data": {"big": BIG, "negative": -BIG, "small": 0.1, "text": str(BIG)}}
    issue = make_issue(project, user=user, extra={"big": BIG})
    [item] = get_json(api, events_url(issue))
    assert item["user"]["data"] == user["data"]
    [full] = get_json(api, events_url(issue), full="true")
    assert (full["user"]["data"], full["context"]) == (user["data"], {"big": BIG})


def test_full_list_items_name_their_environment(api, project):
    first = make_event(project, message="m", environment="staging")
    make_event(project, message="m", environment="")
    items = get_json(api, events_url(first.issue), full="true")
    assert [item["environment"] for item in items] == [None, "staging"]
    assert [
        item["environment"]
        for item in get_json(api, events_url(first.issue), full="true", environment="staging")
    ] == ["staging"]

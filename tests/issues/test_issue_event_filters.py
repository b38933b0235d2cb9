"""The events list's date range (statsPeriod, start and end, Sentry's
get_date_range_from_params) and search (query), over HTTP (docs/behaviour.md §15)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import make_event
from tests.helpers import assert_error, events_url

pytestmark = pytest.mark.django_db

# The token, the issue with the membership, the page of events (the token's last-used time
# written before): as without filters.
FILTERED_LIST_QUERIES = 3


def at(days_ago: float, **payload):
    return {"timestamp": (timezone.now() - timedelta(days=days_ago)).isoformat(), **payload}


@pytest.fixture
def events(project):
    """Four events of one issue, newest first in the list: 1h, 2d, 10d and 40d old."""
    made = [
        make_event(project, fingerprint=["one"], **at(40, message="Disk full on db-1")),
        make_event(
            project,
            fingerprint=["one"],
            **at(10, message="Disk 100% full", release="2.0.0", user={"id": "42"}),
        ),
        make_event(
            project,
            fingerprint=["one"],
            environment="staging",
            tags={"browser": "Firefox", "server_name": "web02"},
            **at(2, message="Timeout talking to db_main"),
        ),
        make_event(
            project,
            fingerprint=["one"],
            user={"email": "ana@example.com"},
            **at(1 / 24, message="Disk full again"),
        ),
    ]
    return list(reversed(made))


def listed(api, events, **params) -> list[int]:
    """The positions (0 newest) in `events` of the events the list shows."""
    response = api.get(events_url(events[0].issue), params)
    assert response.status_code == 200, response.content
    by_id = {event.event_id: index for index, event in enumerate(events)}
    return [by_id[item["eventID"]] for item in response.json()]


# ---- the date range -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({}, [0, 1, 2, 3]),
        ({"statsPeriod": "1d"}, [0]),
        ({"statsPeriod": "14d"}, [0, 1, 2]),
        ({"statsPeriod": "90d"}, [0, 1, 2, 3]),
        ({"statsPeriod": "7200"}, [0]),  # a bare number is seconds, as Sentry reads it
        ({"statsPeriod": "1w", "start": "2000-01-01T00:00:00"}, [0, 1]),  # the period wins
        ({"statsPeriodStart": "30d", "statsPeriodEnd": "1d"}, [1, 2]),
        ({"timeframe": "3d"}, [0, 1]),
    ],
)
def test_the_period_narrows_the_list(api, events, params, shown):
    assert listed(api, events, **params) == shown


def test_start_and_end_narrow_the_list(api, events):
    now = timezone.now()
    start = (now - timedelta(days=12)).replace(tzinfo=None).isoformat()  # no zone: UTC
    end = events[1].datetime.isoformat()  # the end is not included
    assert listed(api, events, start=start, end=end) == [2]
    end = (now - timedelta(days=1)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert listed(api, events, start=start, end=end) == [1, 2]
    # A Unix time, as Sentry's parse_datetime_string also takes.
    assert listed(api, events, start=str((now - timedelta(days=5)).timestamp()), end=end) == [1]
    assert listed(api, events, start="2020-03-22", end="2020-03-23") == []


def test_the_period_combines_with_environments_pagination_and_full(api, events):
    response = api.get(
        events_url(events[0].issue),
        {"statsPeriod": "14d", "environment": "production", "per_page": 1, "full": "true"},
    )
    assert [item["eventID"] for item in response.json()] == [events[0].event_id]
    next_link = response.headers["Link"].split(", ")[1]
    assert 'results="true"' in next_link and "statsPeriod=14d" in next_link


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"statsPeriod": "forever"}, "Invalid statsPeriod: 'forever'"),
        ({"statsPeriod": ""}, "Invalid statsPeriod: ''"),
        ({"statsPeriod": "0d"}, "start must be before end"),
        ({"statsPeriod": "9999999999d"}, "Invalid statsPeriod: '9999999999d'"),
        ({"statsPeriod": "999999999w"}, "Invalid statsPeriod: '999999999w'"),
        ({"start": "2020-03-22T00:00:00"}, "start and end are both required"),
        ({"end": "2020-03-22T00:00:00"}, "start and end are both required"),
        ({"start": "yesterday", "end": "today"}, "yesterday is not a valid ISO8601 date query"),
        ({"start": "2020-03-22", "end": "1e400"}, "1e400 is not a valid ISO8601 date query"),
        ({"start": "2020-03-23", "end": "2020-03-22"}, "start must be before end"),
        (
            {"start": "0001-01-01T00:00:00+05:00", "end": "2020-03-22"},
            "0001-01-01T00:00:00+05:00 is not a valid ISO8601 date query",
        ),
        ({"start": "2020-03-22", "end": "nan"}, "nan is not a valid ISO8601 date query"),
        ({"statsPeriodStart": "3d"}, "statsPeriodStart and statsPeriodEnd are both required"),
        ({"statsPeriodStart": "1d", "statsPeriodEnd": "3d"}, "start must be before end"),
    ],
)
def test_an_invalid_date_range_is_sentrys_400(api, events, params, detail):
    response = api.get(events_url(events[0].issue), params)
    assert_error(response, 400, {"detail": detail})


# ---- the search ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", [0, 1, 2, 3]),
        ("disk", [0, 2, 3]),  # free text: in the message, whatever the case
        ("disk full", [0, 2, 3]),  # each word
        ('"disk full"', [0, 3]),
        ("disk AND full", [0, 2, 3]),
        ("100%", [2]),  # LIKE's wildcards are text
        ("db_main", [1]),
        ("db%main", []),
        ('message:"full again"', [0]),
        ("browser:Firefox", [1]),
        ("server_name:web01", [0, 2, 3]),  # the factory's, under its own key
        ("environment:staging", [1]),
        ("release:2.0.0", [2]),  # Sentry's sentry:release
        ("level:error", [0, 1, 2, 3]),
        ("user.id:42", [2]),
        ("user.email:ana@example.com", [0]),
        ("user:id:42", [2]),
        ("browser:Firefox disk", []),
        ("browser:Chrome", []),
    ],
)
def test_the_query_searches_the_events(api, events, query, shown):
    assert listed(api, events, query=query) == shown


def test_an_event_id_names_its_event(api, events):
    event_id = events[2].event_id
    assert listed(api, events, query=event_id) == [2]
    assert listed(api, events, query=event_id.upper()) == [2]
    assert listed(api, events, query=f"id:{event_id}") == [2]
    assert listed(api, events, query=f"id:{event_id} id:{events[1].event_id}") == []
    assert listed(api, events, query="f" * 32) == []


def test_the_query_and_the_period_combine(api, events):
    assert listed(api, events, query="disk", statsPeriod="14d") == [0, 2]


@pytest.mark.parametrize(
    "query",
    [
        "!browser:Firefox",
        "has:browser",
        "browser:Fire*",
        "timestamp:>2020-01-01",
        "disk OR timeout",
        "(disk)",
    ],
)
def test_what_the_search_cannot_honour_is_a_400(api, events, query):
    response = api.get(events_url(events[0].issue), {"query": query})
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("Unsupported search for an issue's events")


def test_an_invalid_event_id_term_is_a_400(api, events):
    response = api.get(events_url(events[0].issue), {"query": "id:nope"})
    assert_error(response, 400, {"detail": "Invalid value for id: 'nope': not an event id."})


def test_filtered_items_are_those_of_the_unfiltered_list(api, events):
    """Filters change which rows come back, not their documents (kept per process by row)."""
    issue = events[0].issue
    plain = {item["eventID"]: item for item in api.get(events_url(issue)).json()}
    for params in ({"query": "disk"}, {"statsPeriod": "3d", "full": "true"}):
        for item in api.get(events_url(issue), params).json():
            if "full" not in params:
                assert item == plain[item["eventID"]]
            else:
                assert item["eventID"] in plain


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"statsPeriod": "14d"},
        {"start": "2020-01-01T00:00:00", "end": datetime.now(UTC).isoformat()},
        {"query": "disk browser:Firefox user.id:42 release:2.0.0", "statsPeriod": "30d"},
        {"query": "a" * 32},
    ],
)
def test_a_filtered_list_runs_a_fixed_number_of_queries(
    api, events, params, django_assert_num_queries
):
    url = events_url(events[0].issue)
    api.get(url)  # the token's last-used time is written once
    with django_assert_num_queries(FILTERED_LIST_QUERIES):
        assert api.get(url, params).status_code == 200

"""The keys today's Sentry adds to an issue's events (issue 13, point 8): the detail's `_meta`,
`size`, `userReport`, `sdkUpdates`, `resolvedWith` and `occurrence`, the list's `crashFile`,
and the empty page of an environment the organization does not have, over HTTP."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from issues.models import Event, UserReport
from tests.factories import make_event
from tests.helpers import NOT_FOUND, events_url, get_json, links
from tests.issues.test_issue_events import (
    DETAIL_KEYS,
    DETAIL_QUERIES,
    FULL_KEYS,
    exception_payload,
)

pytestmark = pytest.mark.django_db

# Sentry's _meta of an event nothing annotated.
NO_ANNOTATIONS = {
    "entries": {},
    "message": None,
    "user": None,
    "contexts": None,
    "sdk": None,
    "context": None,
    "packages": None,
    "tags": {},
}


def detail_urls(event) -> list[str]:
    """Every route that answers the event's detail."""
    organization = event.issue.project.organization
    tail = f"issues/{event.issue_id}/events"
    return [
        events_url(event.issue, event.event_id),
        events_url(event.issue, "latest"),
        events_url(event.issue, "oldest"),
        events_url(event.issue, "recommended"),
        f"/api/0/groups/{event.issue_id}/events/{event.event_id}/",
        f"/api/0/organizations/{organization.slug}/{tail}/{event.event_id}/",
        f"/api/0/organizations/{organization.slug}/{tail}/latest/",
    ]


def report_for(event, **fields) -> UserReport:
    values = {"name": "Jane", "email": "jane@example.com", "comments": "It broke."} | fields
    return UserReport.objects.create(
        project=event.project,
        issue=event.issue,
        environment=event.environment,
        event_id=event.event_id,
        **values,
    )


# ---- the list -------------------------------------------------------------------------------


@pytest.mark.parametrize("full", [False, True], ids=["summary", "full"])
def test_list_items_have_a_null_crash_file(api, project, full):
    event = make_event(project, platform="native")
    params = {"full": "true"} if full else {}
    [item] = get_json(api, events_url(event.issue), **params)
    assert "crashFile" in item
    assert item["crashFile"] is None


def test_full_list_items_have_the_full_events_new_keys(api, project):
    event = make_event(project, **exception_payload())
    [item] = get_json(api, events_url(event.issue), full="true")
    assert set(item) == FULL_KEYS
    stored = Event.objects.get(pk=event.pk).data
    assert item["size"] == len(json.dumps(stored, separators=(",", ":")))
    assert item["occurrence"] is None
    assert item["_meta"] == NO_ANNOTATIONS


def test_an_environment_the_organization_does_not_have_gives_an_empty_page(api, project):
    event = make_event(project, environment="production")
    for params in (
        {"environment": "nowhere"},
        {"environment": ["production", "nowhere"]},
        {"environment": "nowhere", "full": "true", "per_page": "5"},
    ):
        response = api.get(events_url(event.issue), params)
        assert response.status_code == 200, response.content
        assert response.json() == []
        # The Link of any empty first page: neither way has results.
        assert links(response)["previous"].results is False
        assert links(response)["next"].results is False


def test_an_environment_of_another_organization_gives_an_empty_page(
    api, project, other_organization
):
    event = make_event(project, environment="production")
    other_project = other_organization.projects.first()
    make_event(other_project, environment="elsewhere")
    assert get_json(api, events_url(event.issue), environment="elsewhere") == []


def test_an_unknown_issue_is_still_404_with_an_unknown_environment(api, project):
    response = api.get("/api/0/issues/999999999/events/", {"environment": "nowhere"})
    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_the_event_detail_keeps_404_for_an_unknown_environment(api, project):
    event = make_event(project, environment="production")
    response = api.get(events_url(event.issue, "latest"), {"environment": "nowhere"})
    assert response.status_code == 404, response.content


# ---- the detail -----------------------------------------------------------------------------


def test_every_detail_route_has_the_new_keys(api, project):
    event = make_event(project)
    for url in detail_urls(event):
        document = get_json(api, url)
        assert set(document) == DETAIL_KEYS, url
        assert document["userReport"] is None
        assert document["sdkUpdates"] == []
        assert document["resolvedWith"] == []
        assert document["occurrence"] is None
        assert document["crashFile"] is None
        assert document["_meta"] == NO_ANNOTATIONS


def test_size_is_the_length_of_the_stored_payloads_compact_json(api, project):
    event = make_event(project, message="Ünïcödé 💥 broke", extra={"big": 2**70, "f": 0.5})
    document = get_json(api, events_url(event.issue, event.event_id))
    stored = Event.objects.get(pk=event.pk).data
    # Non-ASCII characters count as their \\u escapes, as in Sentry's json.dumps.
    assert document["size"] == len(json.dumps(stored, separators=(",", ":")))
    assert document["size"] > len(json.dumps(stored, separators=(",", ":"), ensure_ascii=False))


def test_user_report_is_sentrys_serialization_of_the_events_report(api, project):
    user = {"id": "42", "email": "ann@example.com", "username": "ann", "ip_address": "10.0.0.1"}
    event = make_event(project, user=user)
    report = report_for(event)
    document = get_json(api, events_url(event.issue, event.event_id))
    digest = hashlib.md5(b"ann@example.com", usedforsecurity=False).hexdigest()
    assert document["userReport"] == {
        "id": str(report.pk),
        "eventID": event.event_id,
        "name": "Jane",
        "email": "jane@example.com",
        "comments": "It broke.",
        "dateCreated": report.date_added.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user": {
            "id": "42",
            # Sentry's EventUser: the display name falls back to the email.
            "name": "ann@example.com",
            "username": "ann",
            "email": "ann@example.com",
            "ipAddress": "10.0.0.1",
            "avatarUrl": f"https://secure.gravatar.com/avatar/{digest}?s=32&d=mm",
        },
        "event": {"id": event.event_id, "eventID": event.event_id},
    }


def test_user_report_name_falls_back_to_its_email_and_a_missing_user_id_is_none(api, project):
    event = make_event(project, user={"email": "ann@example.com"})
    report_for(event, name="")
    report = get_json(api, events_url(event.issue, event.event_id))["userReport"]
    assert report["name"] == "jane@example.com"
    # Sentry writes str() of the event user's id, so "None" when the SDK sent none.
    assert report["user"]["id"] == "None"


def test_user_report_of_another_event_is_not_shown(api, project):
    first = make_event(project)
    second = make_event(project)
    assert first.issue_id == second.issue_id
    report_for(first)
    assert get_json(api, events_url(second.issue, second.event_id))["userReport"] is None
    shown = get_json(api, events_url(first.issue, first.event_id))["userReport"]
    assert shown["eventID"] == first.event_id


def test_the_newest_report_of_an_event_is_shown(api, project):
    event = make_event(project)
    report_for(event, comments="first")
    report_for(event, comments="second")
    document = get_json(api, events_url(event.issue, event.event_id))
    assert document["userReport"]["comments"] == "second"


def test_resolved_with_lists_how_the_frames_were_resolved(api, project):
    payload = exception_payload()
    frames = payload["exception"]["values"][0]["stacktrace"]["frames"]
    frames[0]["data"] = {"resolved_with": "release", "sourcemap": "app.js.map"}
    frames[1]["data"] = {"resolved_with": "debug-id"}
    thread_frame = {"function": "run", "data": {"resolved_with": "debug-id"}}
    payload["threads"] = {"values": [{"id": 1, "stacktrace": {"frames": [thread_frame]}}]}
    payload["stacktrace"] = {"frames": [{"function": "main", "data": {"symbolicated": True}}]}
    event = make_event(project, **payload)
    document = get_json(api, events_url(event.issue, event.event_id))
    assert document["resolvedWith"] == ["debug-id", "release"]


def test_meta_shows_the_payloads_annotations_where_sentry_shows_them(api, project):
    annotation = {"": {"rem": [["@password", "s"]], "len": 12}}
    payload = exception_payload(
        logentry={"formatted": "Login failed for [Filtered]"},
        user={"id": "1", "email": "[Filtered]"},
        extra={"password": "[Filtered]"},
        modules={"django": "5.0"},
        tags={"a": "1", "secret": "[Filtered]"},
        _meta={
            "logentry": {"formatted": annotation},
            "user": {"email": annotation},
            "extra": {"password": annotation},
            "exception": {"values": {"0": {"value": annotation}}},
            "tags": {"secret": annotation},
        },
    )
    event = make_event(project, **payload)
    document = get_json(api, events_url(event.issue, event.event_id))
    meta = document["_meta"]
    types = [entry["type"] for entry in document["entries"]]
    assert meta["message"] == annotation
    assert meta["user"] == {"email": annotation}
    assert meta["context"] == {"password": annotation}
    assert meta["packages"] is None
    assert meta["contexts"] is None
    assert meta["sdk"] is None
    # By the entry's position, from its interface's annotation (logentry for the message).
    assert meta["entries"] == {
        str(types.index("message")): {"data": {"formatted": annotation}},
        str(types.index("exception")): {"data": {"values": {"0": {"value": annotation}}}},
    }
    tag_keys = [tag["key"] for tag in document["tags"]]
    assert meta["tags"] == {str(tag_keys.index("secret")): {"value": annotation}}


def test_collapse_stacktrace_only_leaves_out_what_the_detail_adds(api, project):
    event = make_event(project)
    document = get_json(api, events_url(event.issue, "latest"), collapse="stacktraceOnly")
    assert set(document) == FULL_KEYS
    assert set(get_json(api, events_url(event.issue, "latest"), collapse="other")) == DETAIL_KEYS


@pytest.mark.parametrize("reports", [0, 3])
def test_the_user_report_costs_no_query(api, project, reports, django_assert_num_queries):
    now = timezone.now()
    events = [
        make_event(project, timestamp=(now - timedelta(minutes=minute)).isoformat())
        for minute in range(3)
    ]
    for event in events[:reports]:
        report_for(event)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = api.get(events_url(events[0].issue, "latest"))
    assert response.status_code == 200, response.content
    assert (response.json()["userReport"] is not None) == bool(reports)


@pytest.mark.parametrize("value", ["yes", "-189197793", "false", ""])
def test_full_other_than_true_or_1_gives_the_short_items(api, project, value):
    # Sentry reads `full` as `in ("1", "true")`; any other value is accepted (our schema
    # documents it as a string for that reason).
    event = make_event(project)
    [item] = get_json(api, events_url(event.issue), full=value)
    assert "event.type" in item
    assert "entries" not in item

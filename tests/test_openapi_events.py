"""An issue's events routes in /api/0/schema/: documented with their scopes and parameters,
their documents built from the declarations that render them, and live responses (successes
and errors) valid against the schema served."""

import re

import pytest
from django.test import Client

from issues.events.documents import EVENT, EVENT_DETAIL, EVENT_SUMMARY
from issues.events.schemas import ROUTES
from issues.models import UserReport
from tests.factories import make_event
from tests.helpers import client_for
from tests.issues.test_issue_events import exception_payload
from tests.test_openapi_subresources import assert_documented

pytestmark = pytest.mark.django_db

LEGACY = "/api/0/issues/{issue_id}/"
ORGANIZATION = "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/"
READ_SCOPES = ["event:read", "event:write", "event:admin"]


def test_every_route_is_documented_with_its_scopes(schema):
    assert set(ROUTES) == {
        form + tail for form in (LEGACY, ORGANIZATION) for tail in ("events/", "events/{event_id}/")
    }
    for path in ROUTES:
        item = schema["paths"][path]
        assert set(item) & {"get", "put", "post", "delete"} == {"get"}
        operation = item["get"]
        assert [scope for entry in operation["security"] for scope in entry["auth_token"]] == (
            READ_SCOPES
        )
        parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "path"}
        for name in re.findall(r"{(\w+)}", path):
            assert parameters[name]["description"]
            assert parameters[name]["schema"]["pattern"] == "^[^/\\u0000]+$"


def test_components_are_the_declared_documents(schema):
    components = schema["components"]["schemas"]
    for name, keys in (
        ("EventSummary", EVENT_SUMMARY),
        ("Event", EVENT),
        ("EventDetail", EVENT_DETAIL),
    ):
        assert list(components[name]["properties"]) == [key.name for key in keys]
    detail = components["EventDetail"]
    assert set(detail["properties"]) - set(detail["required"]) == {
        "release",
        "userReport",
        "sdkUpdates",
        "resolvedWith",
        "previousEventID",
        "nextEventID",
    }


@pytest.fixture
def world(project):
    """An issue with two events, one with a stacktrace, a release and a user report."""
    older = make_event(project, **exception_payload(user={"id": "7"}))
    event = make_event(
        project,
        release="1.0",
        environment="staging",
        **exception_payload(user={"id": "8", "email": "a@example.com"}),
    )
    UserReport.objects.create(
        project=project,
        issue=event.issue,
        event_id=event.event_id,
        name="",
        email="a@example.com",
        comments="broken",
    )
    assert older.issue_id == event.issue_id
    return event


@pytest.mark.parametrize("form", [LEGACY, ORGANIZATION])
def test_live_responses_match_the_schema(schema, api, user, world, form):
    event = world
    issue = event.issue

    def url(tail, **parts):
        return (form + tail).format(
            issue_id=parts.get("issue_id", issue.pk),
            organization_id_or_slug=issue.project.organization.slug,
            event_id=parts.get("event_id", event.event_id),
        )

    no_scope = client_for(user, ["project:read"])
    cases = [
        ("events/", api, {}, 200),
        ("events/", api, {"full": "true"}, 200),
        ("events/", api, {"environment": "staging", "per_page": "1"}, 200),
        ("events/", api, {"environment": "nowhere"}, 200),
        ("events/", api, {"cursor": "nope"}, 400),
        ("events/", no_scope, {}, 403),
        ("events/", Client(), {}, 401),
        ("events/{event_id}/", api, {}, 200),
        ("events/{event_id}/", api, {"collapse": "stacktraceOnly"}, 200),
        ("events/{event_id}/", api, {"environment": "nowhere"}, 404),
        ("events/{event_id}/", no_scope, {}, 403),
        ("events/{event_id}/", Client(), {}, 401),
    ]
    for tail, client, params, status in cases:
        response = client.get(url(tail), params)
        assert response.status_code == status, (tail, params, response.content)
        assert_documented(schema, form + tail, "get", response)
    for event_id in ("latest", "oldest", "recommended", "0" * 32):
        response = api.get(url("events/{event_id}/", event_id=event_id))
        assert response.status_code == (404 if event_id == "0" * 32 else 200)
        assert_documented(schema, form + "events/{event_id}/", "get", response)
    response = api.get(url("events/", issue_id="0"))
    assert response.status_code == 404
    assert_documented(schema, form + "events/", "get", response)

"""The issue's tags, notes, activity and hashes routes in /api/0/schema/: each documented with
its scopes, and live responses (successes and errors) valid against the schema served."""

import re

import pytest
from django.test import Client
from openapi_schema_validator import OAS30Validator

from issues.subresources.schemas import ROUTES
from tests.factories import make_event
from tests.helpers import client_for
from tests.test_openapi import dereference

pytestmark = pytest.mark.django_db

SCOPES = {
    "get": ["event:read", "event:write", "event:admin"],
    "post": ["event:write", "event:admin"],
    "put": ["event:write", "event:admin"],
    "delete": ["event:admin"],
}
METHODS = {
    "tags/": {"get"},
    "tags/{key}/": {"get"},
    "tags/{key}/values/": {"get"},
    "comments/": {"get", "post"},
    "comments/{note_id}/": {"put", "delete"},
    "activities/": {"get"},
    "hashes/": {"get"},
}
LEGACY = "/api/0/issues/{issue_id}/"
ORGANIZATION = "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/"


def test_every_route_and_method_is_documented_with_its_scopes(schema):
    assert len(ROUTES) == 2 * len(METHODS)
    for tail, methods in METHODS.items():
        for form in (LEGACY, ORGANIZATION):
            item = schema["paths"][form + tail]
            assert {method for method in item if method in SCOPES} == methods
            for method in methods:
                operation = item[method]
                accepted = [
                    scope for entry in operation["security"] for scope in entry["auth_token"]
                ]
                assert accepted == SCOPES[method]
                parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "path"}
                for name in re.findall(r"{(\w+)}", form + tail):
                    assert parameters[name]["description"]
                    assert parameters[name]["schema"]["pattern"] == "^[^/\\u0000]+$"


def assert_documented(schema, path: str, method: str, response):
    """The live response has a status the operation documents, its required headers, and a
    body valid against the documented schema."""
    documented = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (path, method, response.status_code)
    entry = documented[str(response.status_code)]
    for name, header in entry.get("headers", {}).items():
        if header.get("required"):
            assert name in response.headers, name
    if "content" not in entry:
        assert response.content == b""
        return
    assert response["Content-Type"] == "application/json"
    body_schema = dereference(entry["content"]["application/json"]["schema"], schema)
    OAS30Validator(body_schema).validate(response.json())


@pytest.fixture
def world(api, project, user):
    """An issue with tags in two environments, a note by the requester and a resolution."""
    make_event(project, message="documented", tags={"server_name": "web1"}, user={"id": "7"})
    issue = make_event(project, message="documented", environment="staging", release="1.0").issue
    base = f"/api/0/issues/{issue.pk}/"
    note = api.post(base + "comments/", {"text": "documented note"}, format="json").json()
    api.put(base, {"status": "resolved"}, format="json")
    return issue, note


@pytest.mark.parametrize("form", [LEGACY, ORGANIZATION])
def test_live_responses_match_the_schema(schema, api, user, world, form):
    issue, note = world
    organization = issue.project.organization

    def url(tail, **parts):
        return (form + tail).format(
            issue_id=parts.get("issue_id", issue.pk),
            organization_id_or_slug=organization.slug,
            key=parts.get("key", "server_name"),
            note_id=parts.get("note_id", note["id"]),
        )

    reader = client_for(user, ["event:read"])
    cases = [
        ("tags/", "get", api, {}, None, 200),
        ("tags/", "get", api, {"environment": "staging", "key": "user"}, None, 200),
        ("tags/", "get", api, {"limit": "x"}, None, 400),
        ("tags/", "get", api, {"environment": "nowhere"}, None, 404),
        ("tags/{key}/", "get", api, {}, None, 200),
        ("tags/{key}/", "get", api, {"environment": "staging"}, None, 200),
        ("tags/{key}/values/", "get", api, {"sort": "count", "per_page": "1"}, None, 200),
        ("tags/{key}/values/", "get", api, {"cursor": "nope"}, None, 400),
        ("comments/", "get", api, {}, None, 200),
        ("comments/", "post", api, {}, {"text": "another"}, 201),
        ("comments/", "post", api, {}, {"text": "documented note"}, 400),
        ("comments/", "post", api, {}, {"mentions": ["team:0"]}, 400),
        ("comments/", "post", reader, {}, {"text": "x"}, 403),
        ("comments/{note_id}/", "put", api, {}, {"text": "edited"}, 200),
        ("comments/{note_id}/", "put", api, {}, {}, 400),
        ("comments/{note_id}/", "delete", reader, {}, None, 403),
        ("activities/", "get", api, {}, None, 200),
        ("hashes/", "get", api, {}, None, 200),
        ("hashes/", "get", Client(), {}, None, 401),
    ]
    for tail, method, client, params, body, status in cases:
        if body is None:
            response = getattr(client, method)(url(tail), params)
        else:
            response = getattr(client, method)(url(tail), body, content_type="application/json")
        assert response.status_code == status, (tail, method, response.content)
        assert_documented(schema, form + tail, method, response)

    for tail in ("tags/{key}/", "tags/{key}/values/"):
        response = api.get(url(tail, key="nope"))
        assert response.status_code == 404
        assert_documented(schema, form + tail, "get", response)
    response = api.put(url("comments/{note_id}/", note_id="0"), {"text": "x"}, format="json")
    assert response.status_code == 404
    assert_documented(schema, form + "comments/{note_id}/", "put", response)
    response = api.delete(url("comments/{note_id}/"))
    assert response.status_code == 204
    assert_documented(schema, form + "comments/{note_id}/", "delete", response)
    response = api.get(url("activities/", issue_id="0"))
    assert response.status_code == 404
    assert_documented(schema, form + "activities/", "get", response)

"""The service's own OpenAPI schema (/api/0/schema/) and Swagger UI (/api/0/docs/), and live
responses validated against the schema that the service serves."""

import copy
import re

import pytest
from django.test import Client
from openapi_schema_validator import OAS30Validator

from accounts.directory_openapi import ROUTES as DIRECTORY_ROUTES
from accounts.models import User
from accounts.openapi import KEY_ROUTES
from issues.events.schemas import ROUTES as EVENT_ROUTES
from issues.models import Issue, IssueStatus
from issues.openapi import BULK_ROUTES, ISSUE_DETAIL, ISSUE_ROUTES
from issues.seed import PUMP_STATION_VERSION, build_reference_world, token_for
from issues.subresources.schemas import ROUTES as SUBRESOURCE_ROUTES
from issues.validators import IssueUpdateValidator, StatusDetailsValidator
from releases.openapi import RELEASE_ROUTES
from tests.factories import ApiTokenFactory, MemberFactory, UserFactory

ROUTES = {
    "issues": "/api/0/issues/{issue_id}/",
    "groups": "/api/0/groups/{issue_id}/",
    "organization": "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/",
}
METHODS = ("get", "put", "delete")
(KEYS_ROUTE,) = KEY_ROUTES


def dereference(node, document):
    """The schema with every local $ref replaced by what it points at (none is recursive)."""
    if isinstance(node, list):
        return [dereference(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return dereference(target, document)
    return {key: dereference(value, document) for key, value in node.items()}


def response_schema(schema, route, method, status):
    response = schema["paths"][ROUTES[route]][method]["responses"][str(status)]
    return dereference(response["content"]["application/json"]["schema"], schema)


def assert_matches(schema, response, route, method):
    """The live response has a documented status and a body valid against its schema."""
    documented = schema["paths"][ROUTES[route]][method]["responses"]
    assert str(response.status_code) in documented, response.status_code
    for name, header in documented[str(response.status_code)].get("headers", {}).items():
        if header.get("required"):
            assert name in response.headers, name
        if name in response.headers and header["schema"]["type"] == "integer":
            assert re.fullmatch(r"-?[0-9]+", response[name]), (name, response[name])
    if "content" not in documented[str(response.status_code)]:
        assert response.content == b""
        return None
    assert response["Content-Type"] == "application/json"
    body = response.json()
    OAS30Validator(response_schema(schema, route, method, response.status_code)).validate(body)
    return body


def strict(component):
    """A document schema with every property required and no other key allowed."""
    result = copy.deepcopy(component)
    result["required"] = list(result["properties"])
    result["additionalProperties"] = False
    return result


def url(route, issue):
    return ROUTES[route].format(
        issue_id=issue.pk, organization_id_or_slug=issue.project.organization.slug
    )


# The schema and the docs page.


def test_schema_is_public_openapi_3_json(client):
    response = client.get("/api/0/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    assert document["openapi"].startswith("3.0.")
    # Credentials are neither needed nor looked at.
    response = client.get("/api/0/schema/?format=json", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 200


def test_schema_lists_the_three_routes_and_their_methods(schema):
    assert set(ROUTES.values()) == set(ISSUE_ROUTES)
    assert set(schema["paths"]) == (
        set(ISSUE_ROUTES)
        | set(BULK_ROUTES)
        | {KEYS_ROUTE}
        | set(SUBRESOURCE_ROUTES)
        | set(EVENT_ROUTES)
        | set(DIRECTORY_ROUTES)
        | set(RELEASE_ROUTES)
    )
    operation_ids = []
    for path in ROUTES.values():
        item = schema["paths"][path]
        assert set(item) >= set(METHODS)
        for method in METHODS:
            operation = item[method]
            operation_ids.append(operation["operationId"])
            names = {parameter["name"] for parameter in operation["parameters"]}
            assert "issue_id" in names
            assert ("organization_id_or_slug" in names) == ("{organization_id_or_slug}" in path)
            assert ("environment" in names) == (method in ("get", "put"))
    assert len(set(operation_ids)) == len(operation_ids) == 9


def test_schema_documents_the_statuses_and_the_bearer_scopes(schema):
    assert schema["components"]["securitySchemes"]["auth_token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["auth_token"]["description"],
    }
    scopes = {
        "get": ["event:read", "event:write", "event:admin"],
        "put": ["event:write", "event:admin"],
        "delete": ["event:admin"],
    }
    statuses = {
        "get": {"200", "400", "401", "403", "404", "429"},
        "put": {"200", "204", "400", "401", "403", "404", "413", "415", "429"},
        "delete": {"202", "400", "401", "403", "404", "429"},
    }
    for path in ROUTES.values():
        for method in METHODS:
            operation = schema["paths"][path][method]
            assert operation["security"] == [{"auth_token": [scope]} for scope in scopes[method]]
            assert set(operation["responses"]) == statuses[method]
        put = schema["paths"][path]["put"]
        assert put["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/IssueUpdate"
        }
        environment = next(p for p in put["parameters"] if p["name"] == "environment")
        assert environment["in"] == "query"
        assert environment["explode"] is True
        assert environment["schema"]["type"] == "array"


def test_put_body_has_exactly_the_validator_fields(schema):
    body = schema["components"]["schemas"]["IssueUpdate"]
    assert set(body["properties"]) == set(IssueUpdateValidator().fields)
    assert "required" not in body
    details = body["properties"]["statusDetails"]
    assert set(details["properties"]) == set(StatusDetailsValidator().fields)
    assigned_to = body["properties"]["assignedTo"]["anyOf"]
    assert {branch["type"] for branch in assigned_to} == {"string", "integer", "boolean"}
    assert any(branch.get("nullable") for branch in assigned_to)


def test_docs_page_is_public_and_self_hosted(client, db):
    # db: closing a file response ends the request, which looks at the database connection.
    response = client.get("/api/0/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "/api/0/schema/" in html
    assert "SwaggerUIBundle" in html
    # No CDN: nothing is loaded from another host.
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)
    assert "cdn" not in html.lower()
    assets = re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()


# Live responses against the served schema.


@pytest.fixture(scope="module")
def reference_world(module_db):
    """The reference world, built once for the module: each test starts from it as built."""
    with module_db():
        user, issue = build_reference_world()
    return user.pk, issue.pk


@pytest.fixture
def reference(reference_world, db, settings):
    """The reference world's issue 1 and a client with its owner's all-event-scopes token."""
    settings.ISSUES_API_URL_PREFIX = "https://sentry.io"
    user_pk, issue_pk = reference_world
    user = User.objects.get(pk=user_pk)
    issue = Issue.objects.select_related("project__organization").get(pk=issue_pk)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return user, issue, client


@pytest.mark.parametrize("route", ROUTES)
def test_get_matches_the_schema(schema, reference, route):
    _, issue, client = reference
    response = client.get(url(route, issue))
    assert response.status_code == 200
    body = assert_matches(schema, response, route, "get")
    # Without ?collapse= every documented key is there, and no other.
    OAS30Validator(strict(dereference(ISSUE_DETAIL, schema))).validate(body)


def test_get_with_environment_and_collapse_matches_the_schema(schema, reference):
    _, issue, client = reference
    response = client.get(url("issues", issue) + "?environment=prod&collapse=stats&collapse=tags")
    body = assert_matches(schema, response, "issues", "get")
    assert "stats" not in body and "tags" not in body
    response = client.get(url("issues", issue) + "?collapse=base&collapse=release")
    body = assert_matches(schema, response, "issues", "get")
    assert "title" not in body and "firstRelease" not in body


@pytest.mark.parametrize(
    "change",
    [
        {"status": "resolved"},
        {"status": "resolved", "statusDetails": {"inRelease": PUMP_STATION_VERSION}},
        {"status": "resolvedInNextRelease"},
        {"status": "ignored", "statusDetails": {"ignoreDuration": 30}},
        {"status": "ignored", "ignoreCount": 10, "ignoreWindow": 60, "ignoreUserCount": 2},
        {"status": "unresolved"},
        {"assignedTo": "john@interstellar.invalid"},
        {"assignedTo": None},
        {"hasSeen": True, "isBookmarked": True, "isSubscribed": True, "isPublic": True},
        {},
    ],
    ids=lambda change: ",".join(change) or "empty",
)
def test_put_matches_the_schema(schema, reference, change):
    user, issue, client = reference
    if change.get("assignedTo"):
        change = {**change, "assignedTo": user.email}
    response = client.put(url("organization", issue), change, content_type="application/json")
    assert response.status_code == 200, response.content
    body = assert_matches(schema, response, "organization", "put")
    OAS30Validator(strict(schema["components"]["schemas"]["Issue"])).validate(body)


def test_put_with_team_assignee_and_snooze_actor_matches_the_schema(schema, reference):
    _, issue, client = reference
    team = issue.project.teams.first()
    response = client.put(
        url("groups", issue),
        {"status": "ignored", "assignedTo": f"team:{team.pk}", "ignoreUserCount": 3},
        content_type="application/json",
    )
    body = assert_matches(schema, response, "groups", "put")
    assert body["assignedTo"]["type"] == "team"
    assert body["statusDetails"]["actor"] is not None
    # The GET document then shows the activity these changes wrote.
    body = assert_matches(schema, client.get(url("groups", issue)), "groups", "get")
    assert {"assigned", "set_ignored"} <= {item["type"] for item in body["activity"]}


@pytest.mark.parametrize(
    "change",
    [
        {"status": "nope"},
        {"statusDetails": {"ignoreWindow": 10081}},
        {"statusDetails": {"inRelease": "not-a-release"}},
        {"assignedTo": "nobody@nowhere.invalid"},
        {"hasSeen": "maybe"},
        {"discard": True, "status": "resolved"},
        ["not", "an", "object"],
    ],
    ids=lambda change: ",".join(change) if isinstance(change, dict) else "list",
)
def test_put_validation_error_matches_the_schema(schema, reference, change):
    _, issue, client = reference
    response = client.put(url("issues", issue), change, content_type="application/json")
    assert response.status_code == 400
    body = assert_matches(schema, response, "issues", "put")
    assert body


def test_put_discard_and_delete_match_the_schema(schema, reference):
    _, issue, client = reference
    response = client.put(url("issues", issue), {"discard": True}, content_type="application/json")
    assert response.status_code == 204
    assert_matches(schema, response, "issues", "put")
    other = issue.project.issues.exclude(pk=issue.pk).first()
    response = client.delete(url("organization", other))
    assert response.status_code == 202
    assert_matches(schema, response, "organization", "delete")
    # Both are gone: 404 {"detail": ...}.
    for route, method, target in (("issues", "get", issue), ("organization", "delete", other)):
        response = getattr(client, method)(url(route, target))
        assert response.status_code == 404
        assert assert_matches(schema, response, route, method) == {
            "detail": "The requested resource does not exist"
        }


@pytest.mark.parametrize("method", METHODS)
def test_auth_errors_match_the_schema(schema, reference, method):
    _, issue, _ = reference
    target = url("issues", issue)
    # 401: no credentials, or a token nobody holds.
    for client in (Client(), Client(HTTP_AUTHORIZATION="Bearer " + "0" * 64)):
        response = getattr(client, method)(target)
        assert response.status_code == 401
        assert set(assert_matches(schema, response, "issues", method)) == {"detail"}
    # 403: a token without the method's scope (GET: one with no event scope), and a user
    # outside the organization.
    weak = ApiTokenFactory(user=UserFactory(), scopes=["project:read"])
    MemberFactory(organization=issue.project.organization, user=weak.user)
    outsider = ApiTokenFactory(user=UserFactory())
    for token in (weak, outsider):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
        response = getattr(client, method)(target)
        assert response.status_code == 403
        assert set(assert_matches(schema, response, "issues", method)) == {"detail"}


@pytest.mark.parametrize("method", METHODS)
def test_rate_limit_matches_the_schema(schema, reference, settings, method):
    settings.ISSUES_API_RATE_LIMIT = "1/1m"
    _, issue, client = reference
    getattr(client, method)(url("organization", issue) + "?environment=nowhere")
    response = getattr(client, method)(url("organization", issue))
    assert response.status_code == 429
    body = assert_matches(schema, response, "organization", method)
    assert body["detail"].endswith("Limit is 1/1m")
    assert {"Retry-After", "X-Sentry-Rate-Limit-Remaining"} <= set(response.headers)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", METHODS)
def test_not_found_matches_the_schema(schema, reference, route, method):
    _, issue, client = reference
    target = ROUTES[route].format(issue_id="999999", organization_id_or_slug="no-such-org")
    response = getattr(client, method)(target)
    assert response.status_code == 404
    assert_matches(schema, response, route, method)
    if method != "delete":
        response = getattr(client, method)(url(route, issue) + "?environment=nowhere")
        assert response.status_code == 404
        assert_matches(schema, response, route, method)


def test_hidden_issue_is_a_documented_404(schema, reference):
    _, issue, client = reference
    issue.status = IssueStatus.PENDING_DELETION
    issue.save(update_fields=["status"])
    response = client.get(url("issues", issue))
    assert response.status_code == 404
    assert_matches(schema, response, "issues", "get")


# The project's client keys.


def keys_url(issue, **parts) -> str:
    project = issue.project
    values = {
        "organization_id_or_slug": project.organization.slug,
        "project_id_or_slug": project.slug,
    }
    return KEYS_ROUTE.format(**(values | parts))


def assert_keys_match(schema, response):
    documented = schema["paths"][KEYS_ROUTE]["get"]["responses"]
    assert str(response.status_code) in documented, response.status_code
    content = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    body = response.json()
    OAS30Validator(dereference(content, schema)).validate(body)
    return body


def test_keys_route_documents_its_parameters_statuses_and_scopes(schema):
    operation = schema["paths"][KEYS_ROUTE]["get"]
    assert set(schema["paths"][KEYS_ROUTE]) == {"get"}
    assert operation["operationId"] == "listProjectKeys"
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {
        "organization_id_or_slug",
        "project_id_or_slug",
        "status",
        "cursor",
        "per_page",
    }
    assert operation["security"] == [
        {"auth_token": [scope]} for scope in ("project:read", "project:write", "project:admin")
    ]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "429"}
    assert operation["responses"]["200"]["headers"]["Link"]["required"] is True


def test_keys_list_matches_the_schema(schema, reference):
    _, issue, client = reference
    response = client.get(keys_url(issue))
    assert response.status_code == 200, response.content
    body = assert_keys_match(schema, response)
    assert len(body) == 1
    # Every documented key but the superusers' useCase is there, and no other.
    component = strict(schema["components"]["schemas"]["ProjectKey"])
    component["required"].remove("useCase")
    OAS30Validator(component).validate(body[0])
    assert body[0]["dsn"]["public"].startswith("https://")
    assert body[0]["dsn"]["public"].endswith(f"@sentry.io/{issue.project.pk}")


def test_keys_errors_match_the_schema(schema, reference):
    _, issue, client = reference
    for response, status in (
        (client.get(keys_url(issue, project_id_or_slug="nope")), 404),
        (client.get(keys_url(issue) + "?cursor=bad"), 400),
        (Client().get(keys_url(issue)), 401),
        (
            Client(HTTP_AUTHORIZATION="Bearer " + ApiTokenFactory().plaintext).get(keys_url(issue)),
            403,
        ),
    ):
        assert response.status_code == status, response.content
        assert set(assert_keys_match(schema, response)) == {"detail"}

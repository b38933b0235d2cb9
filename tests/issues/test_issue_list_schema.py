"""The issue lists' GET in the service's own schema (/api/0/schema/, issues/list_openapi.py):
what it documents, and live answers validated against it, items strictly (every documented key
and no other)."""

import pytest
from openapi_schema_validator import OAS30Validator

from issues.openapi import BULK_ROUTES
from tests.factories import make_issue
from tests.helpers import client_for
from tests.issues.lists import org_url, project_url
from tests.test_openapi import dereference, strict

pytestmark = pytest.mark.django_db

PATHS = {"project": BULK_ROUTES[0], "organization": BULK_ROUTES[1]}
# The organization's list is Sentry's stream (issues/stream.py), with an item of its own.
ITEMS = {"project": "IssueListItem", "organization": "OrganizationIssueListItem"}


def url(route, project):
    return project_url(project) if route == "project" else org_url(project.organization)


def assert_documented(schema, response, route) -> None:
    """The status is documented, with its headers; a 200's items have every key of the
    route's item that the request does not leave out (?collapse=, no stats) or add (?expand=)
    and no other, a 400's body is the documented error."""
    documented = schema["paths"][PATHS[route]]["get"]["responses"]
    assert str(response.status_code) in documented, response.status_code
    described = documented[str(response.status_code)]
    for name, header in described.get("headers", {}).items():
        assert not header.get("required") or name in response.headers, name
    body_schema = dereference(described["content"]["application/json"]["schema"], schema)
    body = response.json()
    OAS30Validator(body_schema).validate(body)
    if response.status_code == 200:
        declared = dereference(schema["components"]["schemas"][ITEMS[route]], schema)
        for document in body:
            item = strict(declared)
            # The keys the request may leave out or add are optional in the schema: an
            # answer has each of them or not, and nothing else.
            optional = set(declared["properties"]) - set(declared["required"])
            item["required"] = [*declared["required"], *(optional & set(document))]
            OAS30Validator(item).validate(document)


def test_the_lists_get_is_documented_with_its_parameters_and_scopes(schema):
    for route, path in PATHS.items():
        get = schema["paths"][path]["get"]
        assert get["security"] == [
            {"auth_token": ["event:read"]},
            {"auth_token": ["event:write"]},
            {"auth_token": ["event:admin"]},
        ]
        names = {parameter["name"] for parameter in get["parameters"]}
        assert {"query", "environment", "statsPeriod", "sort", "cursor", "per_page"} <= names
        assert ("project" in names) == (route == "organization")
        assert set(get["responses"]) == {"200", "400", "401", "403", "404", "414", "429"}
        assert get["responses"]["200"]["headers"]["Link"]["required"]
        item = get["responses"]["200"]["content"]["application/json"]["schema"]["items"]
        assert item == {"$ref": f"#/components/schemas/{ITEMS[route]}"}
        assert schema["components"]["schemas"][ITEMS[route]]["required"][0] == "id"
        stream = {"groupStatsPeriod", "expand", "collapse"}
        assert (stream <= names) == (route == "organization")


def test_the_organization_items_lifetime_filtered_and_expanded_parts_are_documented(schema):
    item = schema["components"]["schemas"]["OrganizationIssueListItem"]
    assert {"lifetime", "filtered", "inbox", "owners", "sessionCount"} <= set(item["properties"])
    assert not {"lifetime", "filtered", "inbox", "stats"} & set(item["required"])


@pytest.mark.parametrize("route", PATHS)
def test_live_answers_match_the_schema(schema, api, user, project, route):
    one = make_issue(project, message="one")
    ignored = make_issue(project, message="two", environment="staging")
    api.put(f"/api/0/issues/{ignored.pk}/", {"status": "ignored"}, format="json")
    target = url(route, project)
    answers = [
        (api.get(target), 200),
        (api.get(target, {"query": "", "statsPeriod": "14d", "sort": "freq"}), 200),
        (api.get(target, {"query": "is:ignored", "statsPeriod": ""}), 200),
        (api.get(target, {"environment": "staging", "query": "", "limit": "1"}), 200),
        # Direct hits: one item, by event id (with matchingEventId) or by short id.
        (api.get(target, {"query": one.events.get().event_id}), 200),
        (api.get(target, {"query": one.qualified_short_id, "shortIdLookup": "1"}), 200),
        (api.get(target, {"statsPeriod": "91d"}), 400),
        (api.get(target, {"sort": "trends"}), 400),
        (api.get(target, {"query": "is:nonsense"}), 400),
        (api.get(target, {"cursor": "nonsense"}), 400),
        (api.get(target, {"per_page": "0"}), 400),
        (api.get(target, {"environment": "nowhere"}), 404),
        (api.get(target.replace(project.organization.slug, "nowhere")), 404),
        (client_for(user, ["project:read"]).get(target), 403),
        (api.__class__().get(target), 401),
    ]
    if route == "organization":
        answers += [
            (api.get(target, {"groupStatsPeriod": "14d", "expand": ["inbox", "owners"]}), 200),
            (api.get(target, {"groupStatsPeriod": "", "collapse": "lifetime"}), 200),
            (api.get(target, {"query": "level:error", "groupStatsPeriod": "auto"}), 200),
            (api.get(target, {"collapse": "base", "expand": "sessions"}), 200),
            (api.get(target, {"groupStatsPeriod": "1w"}), 400),
        ]
    for response, status in answers:
        assert response.status_code == status, response.content
        assert_documented(schema, response, route)

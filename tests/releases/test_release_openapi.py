"""Live answers of the release routes, each validated against what /api/0/schema/ documents
for its route, method and status (body and required headers)."""

import pytest
from django.test import Client
from openapi_schema_validator import OAS30Validator

from releases import openapi
from releases.models import Repository
from releases.services import release_for_version, release_record_deploy
from tests.factories import ReleaseProjectFactory, UserFactory
from tests.helpers import client_for
from tests.test_openapi import dereference

pytestmark = pytest.mark.django_db


def assert_documented(schema, route: str, method: str, response) -> None:
    documented = schema["paths"][route][method]["responses"]
    status = str(response.status_code)
    assert status in documented, (route, method, status, response.content)
    for name, header in documented[status].get("headers", {}).items():
        if header.get("required"):
            assert name in response.headers, name
    body_schema = documented[status]["content"]["application/json"]["schema"]
    OAS30Validator(dereference(body_schema, schema)).validate(response.json())


def test_every_release_route_answers_as_documented(schema, organization, project, user):
    ci = client_for(user, ["project:releases", "org:read"])
    reader = client_for(user, ["event:read"])
    Repository.objects.create(organization=organization, name="acme/api")
    release = release_for_version(organization_id=organization.pk, version="app@1.0.0")
    ReleaseProjectFactory(release=release, project=project)
    release_record_deploy(release=release, environment_name="prod")
    org = {"organization_id_or_slug": organization.slug}
    proj = {**org, "project_id_or_slug": project.slug}
    routes = {
        "list": openapi.ORGANIZATION_RELEASES.format(**org),
        "detail": openapi.ORGANIZATION_RELEASE.format(**org, version="app@1.0.0"),
        "missing": openapi.ORGANIZATION_RELEASE.format(**org, version="nope"),
        "deploys": openapi.DEPLOYS.format(**org, version="app@1.0.0"),
        "previous": openapi.PREVIOUS_WITH_COMMITS.format(**org, version="app@1.0.0"),
        "previous missing": openapi.PREVIOUS_WITH_COMMITS.format(**org, version="nope"),
        "repos": openapi.REPOSITORIES.format(**org),
        "project list": openapi.PROJECT_RELEASES.format(**proj),
        "project detail": openapi.PROJECT_RELEASE.format(**proj, version="app@1.0.0"),
    }
    refs = {"refs": [{"repository": "acme/api", "commit": "a1..b2"}]}
    cases = [
        (openapi.ORGANIZATION_RELEASES, "get", ci.get(routes["list"], {"project": "-1"})),
        (openapi.ORGANIZATION_RELEASES, "get", ci.get(routes["list"], {"sort": "x"})),
        (openapi.ORGANIZATION_RELEASES, "get", reader.get(routes["list"])),
        (openapi.ORGANIZATION_RELEASES, "get", Client().get(routes["list"])),
        (
            openapi.ORGANIZATION_RELEASES,
            "post",
            ci.post(
                routes["list"], {"version": "app@2.0.0", "projects": [project.slug]}, format="json"
            ),
        ),
        (
            openapi.ORGANIZATION_RELEASES,
            "post",
            ci.post(
                routes["list"], {"version": "app@2.0.0", "projects": [project.slug]}, format="json"
            ),
        ),
        (openapi.ORGANIZATION_RELEASES, "post", ci.post(routes["list"], {}, format="json")),
        (openapi.ORGANIZATION_RELEASE, "get", ci.get(routes["detail"])),
        (openapi.ORGANIZATION_RELEASE, "get", ci.get(routes["missing"])),
        (openapi.ORGANIZATION_RELEASE, "put", ci.put(routes["detail"], refs, format="json")),
        (
            openapi.ORGANIZATION_RELEASE,
            "put",
            ci.put(routes["detail"], {"refs": [{"repository": "x", "commit": "y"}]}, format="json"),
        ),
        (openapi.DEPLOYS, "get", ci.get(routes["deploys"])),
        (
            openapi.DEPLOYS,
            "post",
            ci.post(routes["deploys"], {"environment": "prod"}, format="json"),
        ),
        (openapi.DEPLOYS, "post", ci.post(routes["deploys"], {}, format="json")),
        (openapi.PREVIOUS_WITH_COMMITS, "get", ci.get(routes["previous"])),
        (openapi.PREVIOUS_WITH_COMMITS, "get", ci.get(routes["previous missing"])),
        (openapi.REPOSITORIES, "get", ci.get(routes["repos"])),
        (
            openapi.REPOSITORIES,
            "get",
            client_for(UserFactory(), ["org:read"]).get(routes["repos"]),
        ),
        (openapi.PROJECT_RELEASES, "get", ci.get(routes["project list"])),
        (
            openapi.PROJECT_RELEASES,
            "post",
            ci.post(routes["project list"], {"version": "app@3.0.0"}, format="json"),
        ),
        (openapi.PROJECT_RELEASE, "get", ci.get(routes["project detail"])),
        (
            openapi.PROJECT_RELEASE,
            "put",
            ci.put(
                routes["project detail"], {"dateReleased": "2026-01-01T00:00:00Z"}, format="json"
            ),
        ),
    ]
    statuses = set()
    for route, method, response in cases:
        assert_documented(schema, route, method, response)
        statuses.add(response.status_code)
    assert statuses == {200, 201, 208, 400, 401, 403, 404}


def test_the_schema_names_the_release_scopes_per_method(schema):
    operation = schema["paths"][openapi.ORGANIZATION_RELEASES]
    get_scopes = {scope for item in operation["get"]["security"] for scope in item["auth_token"]}
    post_scopes = {scope for item in operation["post"]["security"] for scope in item["auth_token"]}
    assert "project:read" in get_scopes
    assert post_scopes == {"project:write", "project:admin", "project:releases"}

"""Client keys: every project has one, their DSNs, and GET
/api/0/projects/{org}/{project}/keys/ in Sentry's shape, over HTTP."""

import importlib
import re

import pytest
from django.apps import apps as installed_apps

from accounts.dsn import key_urls
from accounts.models import OrganizationMember, Project, ProjectKey
from tests.factories import (
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    ProjectKeyFactory,
    TeamFactory,
    UserFactory,
)
from tests.helpers import (
    DATETIME,
    NOT_FOUND,
    PERMISSION_DENIED,
    assert_error,
    client_for,
    follow,
    get_json,
    links,
    project_keys_url,
)

pytestmark = pytest.mark.django_db

HEX32 = re.compile(r"[0-9a-f]{32}")
PROJECT_SCOPES = ("project:read",)

# Sentry's answer for one key (docs: "List a Project's Client Keys", with the DSN parts its
# serializer has added since: playstation, integration, otlp_*; the loader's newer options).
SENTRY_KEY = {
    "id": "60120449b6b1d5e45f75561e6dabd80b",
    "name": "Liked Pegasus",
    "label": "Liked Pegasus",
    "public": "60120449b6b1d5e45f75561e6dabd80b",
    "secret": "189485c3b8ccf582bf5e12c530ef8858",
    "projectId": 4505281256090153,
    "isActive": True,
    "rateLimit": {"window": 7200, "count": 1000},
    "dsn": {
        "secret": "https://a785682d:bcd99b37@o4504765715316736.ingest.sentry.io/4505281256090153",
        "public": "https://a785682d@o4504765715316736.ingest.sentry.io/4505281256090153",
        "csp": "https://o1.ingest.sentry.io/api/4505281256090153/csp-report/?sentry_key=a7",
        "security": "https://o1.ingest.sentry.io/api/4505281256090153/security/?sentry_key=a7",
        "minidump": "https://o1.ingest.sentry.io/api/4505281256090153/minidump/?sentry_key=a7",
        "nel": "https://o1.ingest.sentry.io/api/4505281256090153/nel/?sentry_key=a7",
        "unreal": "https://o1.ingest.sentry.io/api/4505281256090153/unreal/a7/",
        "crons": "https://o1.ingest.sentry.io/api/4505281256090153/cron/___MONITOR_SLUG___/a7/",
        "cdn": "https://js.sentry-cdn.com/a7.min.js",
        "playstation": "https://o1.ingest.sentry.io/api/4505281256090153/playstation/?sentry_key=a7",
        "integration": "https://o1.ingest.sentry.io/api/4505281256090153/integration/",
        "otlp_traces": "https://o1.ingest.sentry.io/api/4505281256090153/integration/otlp/v1/traces",
        "otlp_logs": "https://o1.ingest.sentry.io/api/4505281256090153/integration/otlp/v1/logs",
    },
    "browserSdkVersion": "10.x",
    "browserSdk": {"choices": [["10.x", "10.x"], ["9.x", "9.x"], ["8.x", "8.x"], ["7.x", "7.x"]]},
    "dateCreated": "2023-06-21T19:50:26.036254Z",
    "dynamicSdkLoaderOptions": {
        "hasReplay": True,
        "hasPerformance": True,
        "hasDebug": False,
        "hasFeedback": False,
        "hasLogsAndMetrics": False,
    },
}


def shape(value):
    """The JSON types of a document, keys in order: what must match Sentry's."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


@pytest.fixture
def keys_api(user):
    """`user` (a member of `organization`, on the project's team) with a project:read token."""
    return client_for(user, PROJECT_SCOPES)


def only_key(project) -> ProjectKey:
    return ProjectKey.objects.get(project=project)


# ---- Every project has a key ----------------------------------------------------------------


def test_a_new_project_gets_one_active_default_key():
    project = Project.objects.create(organization=OrganizationFactory(), name="New", slug="new")

    key = only_key(project)
    assert key.label == "Default"
    assert key.is_active
    assert key.use_case == "user"
    assert HEX32.fullmatch(key.public_key)
    assert HEX32.fullmatch(key.secret_key)
    assert key.public_key != key.secret_key
    assert (key.rate_limit_count, key.rate_limit_window) == (None, None)


def test_saving_a_project_again_makes_no_other_key(project):
    project.name = "Renamed"
    project.save()
    assert project.keys.count() == 1


def test_keys_of_projects_are_unique(organization):
    projects = [ProjectFactory(organization=organization) for _ in range(5)]
    public = {only_key(project).public_key for project in projects}
    assert len(public) == 5


def test_the_migration_gives_a_key_to_every_keyless_project(organization):
    keyless = [ProjectFactory(organization=organization) for _ in range(2)]
    kept = ProjectFactory(organization=organization)
    ProjectKey.objects.filter(project__in=keyless).delete()
    before = only_key(kept)
    migration = importlib.import_module("accounts.migrations.0005_project_keys")

    migration.give_keys_to_keyless_projects(installed_apps, None)

    for project in keyless:
        key = only_key(project)
        assert key.is_active and key.label == "Default"
        assert HEX32.fullmatch(key.public_key) and HEX32.fullmatch(key.secret_key)
    assert only_key(kept) == before


# ---- The DSN --------------------------------------------------------------------------------


def test_dsn_is_built_from_the_request_without_a_url_prefix(keys_api, project, settings):
    settings.ISSUES_API_URL_PREFIX = ""
    key = only_key(project)

    body = get_json(keys_api, project_keys_url(project))

    assert body[0]["dsn"]["public"] == f"http://{key.public_key}@testserver/{project.pk}"
    assert body[0]["dsn"]["secret"] == (
        f"http://{key.public_key}:{key.secret_key}@testserver/{project.pk}"
    )


def test_dsn_keeps_the_path_of_the_url_prefix(keys_api, project, settings):
    settings.ISSUES_API_URL_PREFIX = "https://example.com:8443/sentry"
    key = only_key(project)
    public, secret, pk = key.public_key, key.secret_key, project.pk

    body = get_json(keys_api, project_keys_url(project))

    api = f"https://example.com:8443/sentry/api/{pk}"
    assert body[0]["dsn"] == {
        "secret": f"https://{public}:{secret}@example.com:8443/sentry/{pk}",
        "public": f"https://{public}@example.com:8443/sentry/{pk}",
        "csp": f"{api}/csp-report/?sentry_key={public}",
        "security": f"{api}/security/?sentry_key={public}",
        "minidump": f"{api}/minidump/?sentry_key={public}",
        "nel": f"{api}/nel/?sentry_key={public}",
        "unreal": f"{api}/unreal/{public}/",
        "crons": f"{api}/cron/___MONITOR_SLUG___/{public}/",
        "cdn": f"https://example.com:8443/sentry/js-sdk-loader/{public}.min.js",
        "playstation": f"{api}/playstation/?sentry_key={public}",
        "integration": f"{api}/integration/",
        "otlp_traces": f"{api}/integration/otlp/v1/traces",
        "otlp_logs": f"{api}/integration/otlp/v1/logs",
    }


def test_dsn_under_a_prefix_without_a_path():
    urls = key_urls(project_id=42, public_key="a" * 32, secret_key="b" * 32, prefix="https://x.io/")
    assert urls.public == f"https://{'a' * 32}@x.io/42"
    assert urls.csp == f"https://x.io/api/42/csp-report/?sentry_key={'a' * 32}"


# ---- The list -------------------------------------------------------------------------------


def test_list_has_sentrys_keys_and_types(keys_api, project, settings):
    settings.ISSUES_API_URL_PREFIX = "https://sentry.example.com"
    ProjectKeyFactory(project=project, label="Liked Pegasus", rate_limited=True)

    body = get_json(keys_api, project_keys_url(project))

    assert [item["name"] for item in body] == ["Liked Pegasus", "Default"]
    limited, default = body
    assert shape(limited) == shape(SENTRY_KEY)
    assert limited["rateLimit"] == {"window": 7200, "count": 1000}
    assert default["rateLimit"] is None
    key = ProjectKey.objects.get(project=project, label="Default")
    assert default["id"] == default["public"] == key.public_key
    assert default["secret"] == key.secret_key
    assert default["projectId"] == project.pk
    assert default["isActive"] is True
    assert DATETIME.match(default["dateCreated"])
    assert "useCase" not in default
    assert default["browserSdkVersion"] in dict(default["browserSdk"]["choices"])


def test_an_unlabelled_key_is_named_by_its_public_key(keys_api, project):
    key = ProjectKeyFactory(project=project, label="")
    body = get_json(keys_api, project_keys_url(project))
    assert body[0]["name"] == body[0]["label"] == key.public_key[:14]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, ["Inactive", "Default"]),
        ("active", ["Default"]),
        ("inactive", ["Inactive"]),
        ("nonsense", []),
    ],
)
def test_status_filters_the_keys(keys_api, project, status, expected):
    ProjectKeyFactory(project=project, label="Inactive", inactive=True)
    params = {} if status is None else {"status": status}
    body = get_json(keys_api, project_keys_url(project), **params)
    assert [item["name"] for item in body] == expected


def test_the_project_and_organization_may_be_named_by_id(keys_api, project):
    url = project_keys_url(project, project.organization.pk, project.pk)
    assert get_json(keys_api, url)[0]["projectId"] == project.pk


def test_keys_of_other_projects_are_not_listed(keys_api, organization, project):
    other = ProjectFactory(organization=organization)
    body = get_json(keys_api, project_keys_url(project))
    assert [item["id"] for item in body] == [only_key(project).public_key]
    assert only_key(other).public_key not in {item["id"] for item in body}


def test_superusers_see_the_use_case(project):
    admin = UserFactory(is_superuser=True)
    body = get_json(client_for(admin, PROJECT_SCOPES), project_keys_url(project))
    assert body[0]["useCase"] == "user"


def test_the_list_is_paginated_with_link_cursors(keys_api, project):
    for number in range(3):
        ProjectKeyFactory(project=project, label=f"Extra {number}")

    first = keys_api.get(project_keys_url(project), {"per_page": 2})
    assert first.status_code == 200, first.content
    assert [item["name"] for item in first.json()] == ["Extra 2", "Extra 1"]
    page = links(first)
    assert page["next"].results and not page["previous"].results

    second = follow(keys_api, page["next"].url)
    assert [item["name"] for item in second.json()] == ["Extra 0", "Default"]
    assert not links(second)["next"].results


# The token (its last-used time is written at most once a minute, so a first request warms
# it), the project with its organization and the requester's membership, and the page.
KEYS_QUERIES = 3


@pytest.mark.parametrize("extra_keys", [0, 12])
def test_the_list_runs_a_fixed_number_of_queries(
    keys_api, project, extra_keys, django_assert_num_queries
):
    for _ in range(extra_keys):
        ProjectKeyFactory(project=project)
    keys_api.get(project_keys_url(project))  # the token's last-used time is written once

    with django_assert_num_queries(KEYS_QUERIES):
        response = keys_api.get(project_keys_url(project))

    assert response.status_code == 200, response.content
    assert len(response.json()) == extra_keys + 1


# ---- Who may list them ----------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["project:read", "project:write", "project:admin"])
def test_any_project_scope_lists_the_keys(user, project, scope):
    member = OrganizationMember.objects.get(user=user)
    member.role = OrganizationMember.Role.ADMIN  # a role that grants project:write and :admin
    member.save()
    response = client_for(user, [scope]).get(project_keys_url(project))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("scopes", [["event:read", "event:write", "event:admin"], ["org:read"]])
def test_a_token_without_a_project_scope_is_403(user, project, scopes):
    response = client_for(user, scopes).get(project_keys_url(project))
    assert_error(response, 403, PERMISSION_DENIED)


def test_without_credentials_is_401(api_client, project):
    response = api_client.get(project_keys_url(project))
    assert response.status_code == 401


def test_a_non_member_is_refused_as_on_the_project_issue_list(project):
    """As Sentry's ProjectEndpoint (and /projects/{org}/{project}/issues/ here): a project
    that exists but is not the requester's answers 403, an unknown one 404."""
    client = client_for(UserFactory(), PROJECT_SCOPES)
    response = client.get(project_keys_url(project))
    assert_error(response, 403, PERMISSION_DENIED)
    issues = client_for(UserFactory(), ["event:read"]).get(
        f"/api/0/projects/{project.organization.slug}/{project.slug}/issues/"
    )
    assert_error(issues, 403, PERMISSION_DENIED)


def test_closed_membership_hides_projects_of_other_teams(organization, project):
    organization.allow_joinleave = False
    organization.save()
    outsider = MemberFactory(
        organization=organization, teams=[TeamFactory(organization=organization)]
    )
    response = client_for(outsider.user, PROJECT_SCOPES).get(project_keys_url(project))
    assert_error(response, 403, PERMISSION_DENIED)


@pytest.mark.parametrize(
    ("organization_part", "project_part"),
    [
        ("no-such-org", None),
        (None, "no-such-project"),
        (None, "99999999999999999999"),
        ("99999999999999999999", None),
        ("0", None),
    ],
)
def test_unknown_organization_or_project_is_404(keys_api, project, organization_part, project_part):
    url = project_keys_url(project, organization_part, project_part)
    assert_error(keys_api.get(url), 404, NOT_FOUND)


def test_a_project_of_another_organization_is_404(keys_api, project):
    elsewhere = ProjectFactory()
    url = project_keys_url(elsewhere, project.organization.slug)
    assert_error(keys_api.get(url), 404, NOT_FOUND)

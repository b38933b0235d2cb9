"""The reference world answers GET /api/0/issues/1/ as Sentry's documented example does."""

import copy
import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from openapi_schema_validator import OAS30Validator

from tests.contract import EXAMPLE, EXAMPLE_HEADERS, NEWER_KEYS, OPENAPI

TOKEN = "f" * 64

GET_ROUTES = (
    "/api/0/issues/{issue_id}/",
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/",
)


def get_schema(route):
    return OPENAPI["paths"][route]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]


def expected_buckets(now: datetime, step: int, count: int) -> list[int]:
    last = int(now.timestamp()) // step * step
    return [last - step * offset for offset in range(count - 1, -1, -1)]


def assert_same(actual, expected, path="$"):
    """Every key of `expected`, recursively, with the same value and JSON type."""
    assert type(actual) is type(expected), f"{path}: {actual!r} is not like {expected!r}"
    if isinstance(expected, dict):
        assert set(actual) == set(expected), f"{path}: keys {set(actual) ^ set(expected)}"
        for key, value in expected.items():
            assert_same(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: length {len(actual)} != {len(expected)}"
        for index, (item, value) in enumerate(zip(actual, expected, strict=True)):
            assert_same(item, value, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


@pytest.fixture
def reference_document(api_client, settings, django_db_reset_sequences):
    """The GET document of issue 1 on a fresh database seeded by seed_example."""
    settings.ISSUES_API_URL_PREFIX = "https://sentry.io"
    call_command("seed_example", "--token", TOKEN, "--token-only", stdout=io.StringIO())
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    before = datetime.now(UTC)
    response = api_client.get("/api/0/issues/1/")
    after = datetime.now(UTC)
    assert response.status_code == 200, response.content
    return response, before, after


def test_reference_issue_matches_the_example(reference_document):
    response, before, after = reference_document
    document = response.json()

    # Its only keys beyond the example's are the newer ones Sentry's current schema requires.
    assert set(document) - set(EXAMPLE) == NEWER_KEYS
    assert set(EXAMPLE) <= set(document)

    # The two documented exceptions: stats counts depend on today; newGroups counts honestly
    # (both sample events of Pump Station opened an issue in the release).
    expected = copy.deepcopy(EXAMPLE)
    actual = {key: document[key] for key in EXAMPLE}
    actual["stats"] = expected["stats"] = None
    for release in ("firstRelease", "lastRelease"):
        assert actual[release]["newGroups"] == 2
        actual[release]["newGroups"] = expected[release]["newGroups"]
    assert_same(actual, expected)

    # Bucket timestamps are right for today, whichever side of an hour the request fell on.
    stats = document["stats"]
    assert set(stats) == {"24h", "30d"}
    hourly = [bucket[0] for bucket in stats["24h"]]
    daily = [bucket[0] for bucket in stats["30d"]]
    assert hourly in (expected_buckets(before, 3600, 25), expected_buckets(after, 3600, 25))
    assert daily in (expected_buckets(before, 86400, 31), expected_buckets(after, 86400, 31))
    for bucket in stats["24h"] + stats["30d"]:
        assert [type(value) for value in bucket] == [int, int]
        # The reference events are from 2020.
        assert bucket[1] == 0


def test_reference_issue_has_current_sentry_values_for_newer_keys(reference_document):
    document = reference_document[0].json()
    assert document["substatus"] == "ongoing"  # first seen long ago and unresolved
    assert document["priority"] == "high"  # an error-level issue
    assert document["priorityLockedAt"] is None
    assert document["issueType"] == "error"
    assert document["issueCategory"] == "error"
    assert document["isUnhandled"] is False
    assert document["seerFixabilityScore"] is None
    assert document["seerAutofixLastTriggered"] is None
    assert document["seerExplorerAutofixLastTriggered"] is None


@pytest.mark.parametrize("route", GET_ROUTES)
def test_reference_issue_validates_against_sentry_get_schema(reference_document, route):
    document = reference_document[0].json()
    OAS30Validator(get_schema(route)).validate(document)


def test_reference_issue_has_sentry_headers(reference_document):
    response = reference_document[0]
    reference = {}
    for line in EXAMPLE_HEADERS.splitlines()[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            reference[name.strip()] = value.strip()
    for name in set(reference) - {"Content-Length"}:
        assert response.headers[name] == reference[name], name
    assert response.headers["Content-Length"] == str(len(response.content))


def test_reference_issue_is_the_same_on_every_route(reference_document, api_client):
    document = reference_document[0].json()
    for url in (
        "/api/0/groups/1/",
        "/api/0/organizations/the-interstellar-jurisdiction/issues/1/",
        "/api/0/organizations/the-interstellar-jurisdiction/issues/PUMP-STATION-1/",
        "/api/0/organizations/1/groups/pump-station-1/",
    ):
        response = api_client.get(url)
        assert response.status_code == 200, (url, response.content)
        other = response.json()
        other["stats"] = document["stats"]
        assert other == document, url


@pytest.mark.django_db
@pytest.mark.parametrize("route", GET_ROUTES)
@pytest.mark.parametrize("state", ["ignored", "resolved_in_release", "resolved_in_commit"])
def test_busy_issue_validates_against_sentry_get_schema(api, project, user, route, state):
    """Every part filled (actor, assignee, share, seen, subscription, releases, tags, stats).

    The commit lives in another release: the 2020 schema types a release's owner, authors,
    lastCommit and lastDeploy as strings, where Sentry (and this service) answer objects."""
    from releases.models import Repository
    from releases.services import release_set_commits
    from tests.factories import ReleaseProjectFactory, make_event

    issue = make_event(project, release="1.0.0", request={"url": "http://x.io/"}).issue
    repository = Repository.objects.create(organization=project.organization, name="acme/app")
    shipped = ReleaseProjectFactory(
        project=project, release__organization=project.organization, release__version="0.9.0"
    ).release
    release_set_commits(
        release=shipped,
        repository=repository,
        commits=[{"key": "c" * 40, "message": "Fix", "author_email": "a@x.io"}],
    )
    bodies = {
        "ignored": {"status": "ignored", "ignoreCount": 5, "ignoreUserCount": 2},
        "resolved_in_release": {"status": "resolved", "statusDetails": {"inRelease": "1.0.0"}},
        "resolved_in_commit": {
            "status": "resolved",
            "statusDetails": {"inCommit": {"commit": "c" * 40, "repository": "acme/app"}},
        },
    }
    body = {**bodies[state], "assignedTo": user.email, "isPublic": True, "hasSeen": True}
    response = api.put(f"/api/0/issues/{issue.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    api.put(f"/api/0/issues/{issue.pk}/", {"isBookmarked": True}, format="json")
    response = api.get(f"/api/0/issues/{issue.pk}/")
    assert response.status_code == 200, response.content
    document = response.json()
    assert document["statusDetails"], document["statusDetails"]
    OAS30Validator(get_schema(route)).validate(document)

"""The issue documents follow their declarations (issues/documents.py): the keys in the
declared order, collapsed keys left out without being computed, and every declared key in
the OpenAPI component."""

import pytest
from django.test import Client

from issues import documents
from issues.documents import ISSUE, ISSUE_DETAIL, LIST_ITEM, shown_keys
from tests.factories import make_issue
from tests.issues.lists import project_url

pytestmark = pytest.mark.django_db


def names(keys):
    return [key.name for key in keys]


@pytest.fixture
def issue(project):
    return make_issue(project, release="1.0.0", tags={"a": "1"})


def test_get_document_has_the_declared_keys_in_order(api, issue):
    document = api.get(f"/api/0/issues/{issue.pk}/").json()
    assert list(document) == names(ISSUE_DETAIL)


def test_put_document_has_the_declared_keys_in_order(api, issue):
    response = api.put(f"/api/0/issues/{issue.pk}/", {"isBookmarked": True}, format="json")
    assert response.status_code == 200, response.content
    assert list(response.json()) == names(ISSUE)


def test_list_item_has_the_declared_keys_in_order(api, project, issue):
    [item] = api.get(project_url(project), {"statsPeriod": "14d"}).json()
    assert list(item) == names(LIST_ITEM)
    assert list(item["stats"]) == ["14d"]
    # Without a period, no stats.
    [item] = api.get(project_url(project), {"statsPeriod": ""}).json()
    assert list(item) == names(ISSUE)


@pytest.mark.parametrize(
    "collapse",
    [["base"], ["base", "stats"], ["stats", "tags"], ["release", "unhandled"], ["lifetime"]],
)
def test_collapsed_document_has_the_shown_keys_in_order(api, issue, collapse):
    document = api.get(f"/api/0/issues/{issue.pk}/", {"collapse": collapse}).json()
    assert list(document) == names(shown_keys(ISSUE_DETAIL, frozenset(collapse)))


def test_collapsed_keys_are_not_computed(api, issue, monkeypatch):
    def not_computed(*args, **kwargs):
        raise AssertionError("a collapsed key was computed")

    for name in ("shown_status", "shown_subscription", "assigned_to", "has_seen", "tags"):
        monkeypatch.setattr(documents, name, not_computed)
    monkeypatch.setattr(documents.IssueContext, "release", not_computed)
    response = api.get(
        f"/api/0/issues/{issue.pk}/", {"collapse": ["base", "tags", "release", "stats"]}
    )
    assert response.status_code == 200, response.content
    assert "status" not in response.json()


def test_every_declared_key_is_in_the_openapi_components():
    schemas = Client().get("/api/0/schema/?format=json").json()["components"]["schemas"]
    assert list(schemas["Issue"]["properties"]) == names(ISSUE)
    assert schemas["Issue"]["required"] == names(ISSUE)
    assert list(schemas["IssueDetail"]["properties"]) == names(ISSUE_DETAIL)
    # ?collapse= may leave out any key but the id and the detail keys it does not name.
    assert schemas["IssueDetail"]["required"] == [
        "id",
        "activity",
        "seenBy",
        "participants",
        "pluginActions",
        "pluginIssues",
        "pluginContexts",
        "userReportCount",
    ]
    for key in ISSUE_DETAIL:
        assert schemas["IssueDetail"]["properties"][key.name] == key.schema, key.name

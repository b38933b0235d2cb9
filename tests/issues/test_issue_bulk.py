"""Bulk changes: PUT and DELETE on the project's and the organization's issue lists, by
?id= or by the list's search (docs/behaviour.md §13)."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.utils import timezone
from openapi_schema_validator import OAS30Validator

from issues.bulk import (
    BULK_MUTATION_LIMIT,
    ECHOED,
    IDS_NOT_INTEGERS,
    MERGE_ACROSS_PROJECTS,
    MERGE_NOT_SUPPORTED,
    MULTIPLE_PROJECTS,
)
from issues.models import (
    Activity,
    ActivityType,
    Assignee,
    Bookmark,
    Issue,
    IssuePriority,
    IssueStatus,
    IssueTombstone,
    Share,
    Snooze,
)
from issues.openapi import BULK_ROUTES
from tests.factories import (
    ProjectFactory,
    ReleaseFactory,
    ReleaseProjectFactory,
    TeamFactory,
    UserFactory,
    make_issue,
)
from tests.helpers import (
    NOT_FOUND,
    PERMISSION_DENIED,
    assert_error,
    client_for,
    db_state,
    issue_url,
)
from tests.test_openapi import dereference

pytestmark = pytest.mark.django_db

ROUTES = ("project", "organization")
# Queries of a bulk change of N issues: PUT_QUERIES + PUT_QUERIES_PER_ISSUE * N, and the same
# for DELETE. Only the apply phase grows with N.
# Fixed: the token (with its user), the scope (organization, membership and projects in one
# statement), the selection (one query); for PUT the answer's document too (issues.gather).
# Validation of a plain resolve reads nothing.
PUT_QUERIES = 4
DELETE_QUERIES = 3
# Per issue, one transaction each (a savepoint and its release inside the test's own
# transaction): PUT reads the issue under its lock and sends its writes in one batch (on
# SQLite one statement each: the resolution's and the snooze's deletes, the issue's update,
# the activity and the actor's subscription); DELETE marks the issue and forgets its
# fingerprints.
PUT_QUERIES_PER_ISSUE = {"postgresql": 4, "sqlite": 3 + 5}
DELETE_QUERIES_PER_ISSUE = 4
TOO_MANY_PARAMETERS = {
    "detail": ("The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS.")
}


def list_url(route: str, where, **params) -> str:
    """The project's (`where`) list on the project route, its organization's on the other."""
    organization = where.organization
    if route == "project":
        base = f"/api/0/projects/{organization.slug}/{where.slug}/issues/"
    else:
        base = f"/api/0/organizations/{organization.slug}/issues/"
    items = [(key, value) for key, values in params.items() for value in values]
    return base + (f"?{urlencode(items)}" if items else "")


def ids_url(route: str, where, issues, **params) -> str:
    return list_url(route, where, id=[issue.pk for issue in issues], **params)


def statuses(issues) -> list[int]:
    return [Issue.objects.get(pk=issue.pk).status for issue in issues]


def activity_types(issue) -> list[str]:
    return list(Activity.objects.filter(issue=issue).order_by("pk").values_list("type", flat=True))


@pytest.fixture
def issues(project):
    return [
        make_issue(project, message=f"problem {number}", fingerprint=[f"problem {number}"])
        for number in range(3)
    ]


# PUT: what changes, and the answer


@pytest.mark.parametrize("route", ROUTES)
def test_put_resolves_each_named_issue_with_its_activity(api, project, issues, route):
    named, other = issues[:2], issues[2]

    response = api.put(ids_url(route, project, named), {"status": "resolved"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "resolved", "statusDetails": {}, "inbox": None}
    assert statuses(named) == [IssueStatus.RESOLVED] * 2
    assert statuses([other]) == [IssueStatus.UNRESOLVED]
    for issue in named:
        assert activity_types(issue) == [ActivityType.SET_RESOLVED]
    assert activity_types(other) == []


@pytest.mark.parametrize("route", ROUTES)
def test_put_priority_sets_each_issue_and_answers_it(api, project, issues, route):
    """Sentry's handle_priority on each issue: set_priority where it changes, the lock on
    every one; update_groups answers the validated priority (docs/behaviour.md §16)."""
    named = issues[:2]
    Issue.objects.filter(pk=named[0].pk).update(priority=IssuePriority.HIGH)
    Issue.objects.filter(pk=named[1].pk).update(priority=IssuePriority.LOW)

    response = api.put(ids_url(route, project, named), {"priority": "low"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"priority": "low"}
    for issue in named:
        fresh = Issue.objects.get(pk=issue.pk)
        assert (fresh.priority, fresh.priority_locked_at is not None) == (IssuePriority.LOW, True)
    assert activity_types(named[0]) == [ActivityType.SET_PRIORITY]
    assert activity_types(named[1]) == []
    assert Issue.objects.get(pk=issues[2].pk).priority_locked_at is None
    refused = api.put(ids_url(route, project, named), {"priority": None}, format="json")
    assert refused.status_code == 400, refused.content
    assert refused.json() == {"priority": ["This field may not be null."]}


@pytest.mark.parametrize("route", ROUTES)
def test_put_without_ids_changes_what_the_search_finds(api, project, issues, route):
    ignored = issues[0]
    ignored.status = IssueStatus.IGNORED
    ignored.save(update_fields=["status"])

    # The default query is is:unresolved: the ignored issue is not touched.
    response = api.put(list_url(route, project), {"status": "resolved"}, format="json")

    assert response.status_code == 200, response.content
    assert statuses(issues) == [IssueStatus.IGNORED] + [IssueStatus.RESOLVED] * 2
    assert activity_types(ignored) == []


def test_put_with_a_query_changes_only_its_matches(api, project, issues):
    url = list_url("project", project, query=["problem 1"])

    response = api.put(url, {"isBookmarked": True}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"isBookmarked": True}
    assert list(Bookmark.objects.values_list("issue_id", flat=True)) == [issues[1].pk]


def test_put_ignores_with_conditions_and_answers_their_details(api, user, project, issues):
    response = api.put(
        ids_url("project", project, issues),
        {"status": "ignored", "ignoreDuration": 30},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    details = body.pop("statusDetails")
    assert body == {"ignoreDuration": 30, "status": "ignored", "inbox": None}
    assert details["actor"]["id"] == str(user.pk)
    assert details["ignoreUntil"] is not None
    assert Snooze.objects.filter(issue__in=issues).count() == 3
    for issue in issues:
        assert activity_types(issue) == [ActivityType.SET_IGNORED]


def test_put_answers_the_assignee_share_and_subscription(api, user, project, issues):
    body = {"assignedTo": f"user:{user.pk}", "isPublic": True, "isSubscribed": False}

    response = api.put(ids_url("organization", project, issues[:2]), body, format="json")

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["assignedTo"]["id"] == str(user.pk)
    assert answer["assignedTo"]["type"] == "user"
    assert answer["isPublic"] is True
    assert answer["shareId"] == Share.objects.get(issue=issues[1]).uuid
    assert answer["isSubscribed"] is False
    assert answer["subscriptionDetails"] == {"reason": "unknown"}
    assert set(answer) == {
        "assignedTo",
        "isPublic",
        "shareId",
        "isSubscribed",
        "subscriptionDetails",
    }
    assert Assignee.objects.filter(user=user).count() == 2
    assert Share.objects.count() == 2
    for issue in issues[:2]:
        assert activity_types(issue) == [ActivityType.ASSIGNED, ActivityType.SET_PUBLIC]


def test_put_merge_of_one_issue_is_accepted_and_changes_nothing(api, project, issues):
    before = db_state(issues[0])

    response = api.put(ids_url("project", project, issues[:1]), {"merge": True}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"merge": True}
    assert db_state(issues[0]) == before


def test_put_discard_discards_each_issue(api, project, issues):
    response = api.put(ids_url("project", project, issues[:2]), {"discard": True}, format="json")

    assert response.status_code == 204, response.content
    assert response.content == b""
    assert statuses(issues) == [IssueStatus.PENDING_DELETION] * 2 + [IssueStatus.UNRESOLVED]
    assert IssueTombstone.objects.count() == 2


# PUT: what selects nothing, and what is refused before anything changes


@pytest.mark.parametrize("route", ROUTES)
def test_put_with_ids_that_name_no_visible_issue_answers_204(
    api, project, issues, foreign_issue, route
):
    issues[0].status = IssueStatus.PENDING_DELETION
    issues[0].save(update_fields=["status"])
    before = [db_state(issue) for issue in issues]

    url = ids_url(route, project, [issues[0], foreign_issue]) + "&id=999999999&id=" + "9" * 30
    response = api.put(url, {"status": "resolved"}, format="json")

    assert response.status_code == 204, response.content
    assert response.content == b""
    assert [db_state(issue) for issue in issues] == before
    assert Issue.objects.get(pk=foreign_issue.pk).status == IssueStatus.UNRESOLVED


@pytest.mark.parametrize("route", ROUTES)
def test_put_refuses_an_invalid_body_even_when_nothing_is_selected(api, project, route):
    url = list_url(route, project, id=["999999999"])

    response = api.put(url, {"status": "nonsense"}, format="json")

    assert_error(response, 400, {"status": ['"nonsense" is not a valid choice.']})
    assert api.put(url, {"status": "resolved"}, format="json").status_code == 204
    if route == "organization":
        # Also when ?project= keeps no project: the body is validated as for one reached.
        elsewhere = list_url(route, project, id=["999999999"], project=["999999999"])
        response = api.put(elsewhere, {"ignoreWindow": -1}, format="json")
        assert_error(
            response, 400, {"ignoreWindow": ["Ensure this value is greater than or equal to 0."]}
        )


def test_put_that_fails_validation_changes_nothing(api, project, issues):
    before = [db_state(issue) for issue in issues]

    response = api.put(
        ids_url("project", project, issues),
        {"status": "resolved", "isBookmarked": "maybe"},
        format="json",
    )

    assert_error(response, 400, {"isBookmarked": ['"maybe" is not a valid boolean.']})
    assert [db_state(issue) for issue in issues] == before


def test_put_validates_the_assignee_for_every_project_of_the_selection(
    api, organization, team, user, project, issues
):
    # The user is on the team of the first project only: not assignable in the second.
    elsewhere = ProjectFactory(
        organization=organization, teams=[TeamFactory(organization=organization)]
    )
    there = make_issue(elsewhere, message="elsewhere", fingerprint=["elsewhere"])
    selection = [issues[0], there]
    before = [db_state(issue) for issue in selection]

    response = api.put(
        ids_url("organization", project, selection),
        {"status": "resolved", "assignedTo": f"user:{user.pk}"},
        format="json",
    )

    assert_error(response, 400, {"assignedTo": ["Cannot assign to non-team member"]})
    assert [db_state(issue) for issue in selection] == before


def test_put_resolving_in_a_release_across_projects_is_refused(
    api, organization, team, project, issues
):
    elsewhere = ProjectFactory(organization=organization, teams=[team])
    there = make_issue(elsewhere, message="elsewhere", fingerprint=["elsewhere"])
    release = ReleaseFactory(organization=organization, version="1.0")
    ReleaseProjectFactory(release=release, project=project)
    ReleaseProjectFactory(release=release, project=elsewhere)
    selection = [issues[0], there]
    before = [db_state(issue) for issue in selection]

    response = api.put(
        ids_url("organization", project, selection),
        {"status": "resolved", "statusDetails": {"inRelease": "1.0"}},
        format="json",
    )

    assert_error(response, 400, {"detail": MULTIPLE_PROJECTS})
    assert [db_state(issue) for issue in selection] == before


def test_put_merge_of_several_issues_is_refused(api, organization, team, project, issues):
    before = [db_state(issue) for issue in issues]

    response = api.put(
        ids_url("project", project, issues),
        {"merge": True, "status": "resolved"},
        format="json",
    )

    assert_error(response, 400, {"detail": MERGE_NOT_SUPPORTED})
    assert [db_state(issue) for issue in issues] == before

    there = make_issue(
        ProjectFactory(organization=organization, teams=[team]), message="x", fingerprint=["x"]
    )
    response = api.put(
        ids_url("organization", project, [issues[0], there]), {"merge": "1"}, format="json"
    )

    assert_error(response, 400, {"detail": MERGE_ACROSS_PROJECTS})


@pytest.mark.parametrize("method", ["put", "delete"])
def test_ids_must_be_integers_and_at_most_the_limit(api, project, issues, method):
    before = [db_state(issue) for issue in issues]
    send = getattr(api, method)

    url = ids_url("project", project, issues) + "&id=PROJECT-1"
    assert_error(
        send(url, {"status": "resolved"}, format="json"), 400, {"detail": IDS_NOT_INTEGERS}
    )

    # More ids than the limit cannot reach the view: Django refuses so many parameters.
    url = list_url("project", project, id=[issue.pk for issue in issues] * 334)
    assert_error(send(url, {"status": "resolved"}, format="json"), 400, TOO_MANY_PARAMETERS)
    assert [db_state(issue) for issue in issues] == before


def test_a_search_selects_at_most_the_limit(api, project, issues, monkeypatch):
    assert BULK_MUTATION_LIMIT == 1000  # Sentry's
    monkeypatch.setattr("issues.bulk.BULK_MUTATION_LIMIT", 2)

    response = api.put(list_url("project", project), {"status": "resolved"}, format="json")

    assert response.status_code == 200, response.content
    assert sorted(statuses(issues)) == sorted(
        [IssueStatus.RESOLVED, IssueStatus.RESOLVED, IssueStatus.UNRESOLVED]
    )


# DELETE


@pytest.mark.parametrize("route", ROUTES)
def test_delete_hides_each_named_issue(api, project, issues, route):
    response = api.delete(ids_url(route, project, issues[:2]))

    assert response.status_code == 204, response.content
    assert response.content == b""
    assert statuses(issues) == [IssueStatus.PENDING_DELETION] * 2 + [IssueStatus.UNRESOLVED]
    assert_error(api.get(issue_url(issues[0])), 404, NOT_FOUND)


def test_delete_without_ids_deletes_what_the_search_finds(api, project, issues):
    issues[0].status = IssueStatus.RESOLVED
    issues[0].save(update_fields=["status"])

    response = api.delete(list_url("organization", project))

    assert response.status_code == 204, response.content
    assert statuses(issues) == [IssueStatus.RESOLVED] + [IssueStatus.PENDING_DELETION] * 2


def test_delete_of_nothing_answers_204(api, project, issues, foreign_issue):
    response = api.delete(ids_url("project", project, [foreign_issue]))

    assert response.status_code == 204, response.content
    assert statuses([*issues, foreign_issue]) == [IssueStatus.UNRESOLVED] * 4


# Access: the list routes' rules, with the method's scopes


@pytest.mark.parametrize("route", ROUTES)
def test_put_needs_event_write_and_delete_event_admin(user, project, issues, route):
    url = ids_url(route, project, issues)
    before = [db_state(issue) for issue in issues]

    reader = client_for(user, ["event:read"])
    assert_error(reader.put(url, {"status": "resolved"}, format="json"), 403, PERMISSION_DENIED)
    writer = client_for(user, ["event:write"])
    assert_error(writer.delete(url), 403, PERMISSION_DENIED)
    assert [db_state(issue) for issue in issues] == before

    response = writer.put(url, {"status": "resolved"}, format="json")
    assert response.status_code == 200, response.content
    admin = client_for(user, ["event:admin"])
    assert admin.delete(url).status_code == 204


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["put", "delete"])
def test_outsiders_are_refused(api_client, project, issues, route, method):
    outsider = client_for(UserFactory())
    before = [db_state(issue) for issue in issues]

    response = getattr(outsider, method)(ids_url(route, project, issues), {}, format="json")

    assert_error(response, 403, PERMISSION_DENIED)
    assert [db_state(issue) for issue in issues] == before
    unknown = ids_url(route, project, issues).replace(project.organization.slug, "no-such-org")
    assert_error(getattr(outsider, method)(unknown), 404, NOT_FOUND)


def test_closed_membership_leaves_out_projects_of_other_teams(
    organization, team, user, project, issues
):
    organization.allow_joinleave = False
    organization.save(update_fields=["allow_joinleave"])
    elsewhere = ProjectFactory(
        organization=organization, teams=[TeamFactory(organization=organization)]
    )
    there = make_issue(elsewhere, message="elsewhere", fingerprint=["elsewhere"])
    api = client_for(user)

    response = api.put(
        ids_url("organization", project, [issues[0], there]), {"status": "resolved"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert statuses([issues[0], there]) == [IssueStatus.RESOLVED, IssueStatus.UNRESOLVED]
    assert api.delete(ids_url("organization", project, [there])).status_code == 204
    assert statuses([there]) == [IssueStatus.UNRESOLVED]


def test_the_organization_route_narrows_by_project(api, organization, team, project, issues):
    elsewhere = ProjectFactory(organization=organization, teams=[team])
    there = make_issue(elsewhere, message="elsewhere", fingerprint=["elsewhere"])

    url = list_url("organization", project, project=[elsewhere.pk])
    response = api.put(url, {"status": "resolved"}, format="json")

    assert response.status_code == 200, response.content
    assert statuses([*issues, there]) == [IssueStatus.UNRESOLVED] * 3 + [IssueStatus.RESOLVED]


def test_an_unknown_environment_answers_404(api, project, issues):
    url = list_url("project", project, environment=["nowhere"])

    assert_error(api.put(url, {"status": "resolved"}, format="json"), 404, NOT_FOUND)
    assert_error(api.delete(url), 404, NOT_FOUND)
    assert statuses(issues) == [IssueStatus.UNRESOLVED] * 3


def test_a_resolve_in_the_next_release_names_the_release_of_the_project(api, project, issues):
    release = ReleaseFactory(
        organization=project.organization,
        version="2.0",
        date_added=timezone.now() - timedelta(hours=1),
    )
    ReleaseProjectFactory(release=release, project=project)

    response = api.put(
        ids_url("project", project, issues), {"status": "resolvedInNextRelease"}, format="json"
    )

    assert response.status_code == 200, response.content
    details = response.json()["statusDetails"]
    assert details["inNextRelease"] is True
    for issue in issues:
        assert activity_types(issue) == [ActivityType.SET_RESOLVED_IN_RELEASE]


# Query counts: fixed for the selection and the validation, then a fixed number per issue


def many_issues(project, count):
    return [
        make_issue(project, message=f"counted {number}", fingerprint=[f"counted {number}"])
        for number in range(count)
    ]


@pytest.mark.parametrize("count", [1, 5])
def test_bulk_put_queries(api, project, count, django_assert_num_queries):
    selected = many_issues(project, count)
    url = ids_url("project", project, selected)
    api.get(list_url("project", project))  # the token's last-used time is written once

    per_issue = PUT_QUERIES_PER_ISSUE[connection.vendor]
    with django_assert_num_queries(PUT_QUERIES + per_issue * count):
        response = api.put(url, {"status": "resolved"}, format="json")

    assert response.status_code == 200, response.content
    assert statuses(selected) == [IssueStatus.RESOLVED] * count


@pytest.mark.parametrize("count", [1, 5])
def test_bulk_delete_queries(api, project, count, django_assert_num_queries):
    selected = many_issues(project, count)
    url = ids_url("organization", project, selected)
    api.get(list_url("project", project))

    with django_assert_num_queries(DELETE_QUERIES + DELETE_QUERIES_PER_ISSUE * count):
        response = api.delete(url)

    assert response.status_code == 204, response.content
    assert statuses(selected) == [IssueStatus.PENDING_DELETION] * count


# The schema: live answers against what /api/0/schema/ says


@pytest.fixture
def schema(client):
    response = client.get("/api/0/schema/?format=json")
    assert response.status_code == 200, response.content
    return response.json()


def assert_documented(schema, response, route: str, method: str) -> None:
    """The answer has a documented status, and a body valid against its schema (none where
    the schema gives none)."""
    path = BULK_ROUTES[0] if route == "project" else BULK_ROUTES[1]
    documented = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, response.status_code
    described = documented[str(response.status_code)]
    if "content" not in described:
        assert response.content == b""
        return
    body_schema = dereference(described["content"]["application/json"]["schema"], schema)
    OAS30Validator(body_schema).validate(response.json())


def test_schema_documents_put_and_delete_with_their_scopes(schema):
    for path in BULK_ROUTES:
        item = schema["paths"][path]
        assert set(item) == {"get", "put", "delete"}  # GET: tests/issues/test_issue_list_schema.py
        assert item["put"]["security"] == [
            {"auth_token": ["event:write"]},
            {"auth_token": ["event:admin"]},
        ]
        assert item["delete"]["security"] == [{"auth_token": ["event:admin"]}]
        names = {parameter["name"] for parameter in item["put"]["parameters"]}
        assert {"id", "query", "environment"} <= names
        assert ("project" in names) == path.startswith("/api/0/organizations/")
    result = schema["components"]["schemas"]["IssueBulkUpdateResult"]
    assert set(result["properties"]) >= set(ECHOED)


@pytest.mark.parametrize("route", ROUTES)
def test_live_answers_match_the_schema(schema, api, user, scoped_api, project, issues, route):
    url = ids_url(route, project, issues[:2])
    bodies = [
        {"status": "resolved"},
        {"status": "ignored", "ignoreDuration": 30, "ignoreCount": 5},
        {"status": "unresolved", "hasSeen": True, "isBookmarked": "1"},
        {"assignedTo": f"user:{user.pk}", "isPublic": True, "isSubscribed": True},
        {"assignedTo": None, "isPublic": False, "snoozeDuration": None},
        {"status": "muted"},
        {"status": "nonsense"},
        {"merge": True},
        {"priority": "low"},
        {"priority": "urgent"},
    ]
    for body in bodies:
        response = api.put(url, body, format="json")
        assert response.status_code in (200, 400), response.content
        assert_documented(schema, response, route, "put")
    for response in (
        api.put(ids_url(route, project, issues[:1]), {"merge": True}, format="json"),
        api.put(url + "&id=x", {"status": "resolved"}, format="json"),
        scoped_api(["event:read"]).put(url, {"status": "resolved"}, format="json"),
        api.put(url.replace(project.organization.slug, "nowhere"), {}, format="json"),
        api.delete(url.replace(project.organization.slug, "nowhere")),
        scoped_api(["event:write"]).delete(url),
        api.delete(url),
        api.delete(url),  # nothing left to delete
        api.put(url, {"status": "resolved"}, format="json"),  # nothing left to change
    ):
        method = response.request["REQUEST_METHOD"].lower()
        assert_documented(schema, response, route, method)


@pytest.mark.parametrize("route", ["project", "organization"])
def test_the_lists_allow_header_names_their_get_put_and_delete(api, project, route):
    # What Allow says is what the schema documents on these paths (GET, PUT, DELETE), which
    # the fuzzer's Allow check holds too (.ci/fuzz).
    response = api.options(list_url(route, project))

    assert response.status_code == 200
    allowed = {method.strip() for method in response["Allow"].split(",")}
    assert allowed == {"GET", "PUT", "DELETE", "HEAD", "OPTIONS"}

"""PUT /api/0/issues/{id}/: the PUT document and status transitions (docs/behaviour.md §3)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from openapi_schema_validator import OAS30Validator

from issues.models import (
    Activity,
    Issue,
    IssueStatus,
    IssueSubstatus,
    Resolution,
    Snooze,
    Subscription,
    SubscriptionReason,
)
from releases.models import Release, ReleaseProject, Repository
from releases.services import release_for_version, release_set_commits
from tests.contract import NEWER_KEYS, OPENAPI
from tests.factories import ProjectFactory, make_event
from tests.helpers import get_issue, issue_url, put_issue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]

# The GET keys the PUT document leaves out (Sentry's GroupSerializer vs. the endpoint's extras).
GET_ONLY_KEYS = {
    "activity",
    "stats",
    "tags",
    "firstRelease",
    "lastRelease",
    "seenBy",
    "participants",
    "userReportCount",
    "pluginActions",
    "pluginIssues",
    "pluginContexts",
}
PUT_KEYS = {
    # Sentry's 26 serializer keys...
    "id",
    "shareId",
    "shortId",
    "count",
    "userCount",
    "title",
    "culprit",
    "permalink",
    "firstSeen",
    "lastSeen",
    "logger",
    "level",
    "status",
    "statusDetails",
    "isPublic",
    "platform",
    "project",
    "type",
    "metadata",
    "numComments",
    "assignedTo",
    "isBookmarked",
    "isSubscribed",
    "subscriptionDetails",
    "hasSeen",
    "annotations",
} | NEWER_KEYS  # ...plus the newer ones current Sentry requires.
PUT_ROUTES = (
    "/api/0/issues/{issue_id}/",
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/",
)
SET_IGNORED_DATA_KEYS = {
    "ignoreCount",
    "ignoreDuration",
    "ignoreUntil",
    "ignoreUserCount",
    "ignoreUserWindow",
    "ignoreWindow",
}
NO_RELEASE_FOR_NEXT = "No release data present in the system to form a basis for 'Next Release'"
SHA = "a" * 40


def put_schema(route):
    return OPENAPI["paths"][route]["put"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]


def org_url(issue):
    organization = issue.project.organization
    return f"/api/0/organizations/{organization.slug}/issues/{issue.qualified_short_id}/"


def put_invalid(api, issue, body):
    response = api.put(issue_url(issue), body, format="json")
    assert response.status_code == 400, response.content
    return response.json()


def activities(issue):
    """(type slug, data) of the issue's Activity rows, oldest first."""
    return [
        (row.get_type_display(), row.data)
        for row in Activity.objects.filter(issue=issue).order_by("id")
    ]


def activity_types(issue):
    return [slug for slug, _ in activities(issue)]


def make_release(project, version, *, date_added=None, date_released=None):
    """A release of the project (semver parts filled in as record_event would)."""
    release = release_for_version(organization_id=project.organization_id, version=version)
    if date_added is not None:
        release.date_added = date_added
    release.date_released = date_released
    release.save()
    ReleaseProject.objects.get_or_create(release=release, project=project)
    return release


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def refreshed(issue) -> Issue:
    return Issue.objects.get(pk=issue.pk)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def status_change_subscribers(issue):
    return set(
        Subscription.objects.filter(
            issue=issue, reason=SubscriptionReason.STATUS_CHANGE, is_active=True
        ).values_list("user_id", flat=True)
    )


def make_commit(project, *, sha=SHA, repository_name="getsentry/sentry", release=None):
    """A commit of a repository of the organization, stored through a release's commits.
    Without `release`, the commit belongs to a release of no project."""
    repository, _ = Repository.objects.get_or_create(
        organization_id=project.organization_id, name=repository_name
    )
    if release is None:
        release = Release.objects.create(
            organization_id=project.organization_id, version=f"unshipped-{sha[:7]}"
        )
    (commit,) = release_set_commits(
        release=release,
        repository=repository,
        commits=[{"key": sha, "message": "Fix it", "author_email": "dev@example.com"}],
    )
    return repository, commit


def resolve(issue):
    Issue.objects.filter(pk=issue.pk).update(
        status=IssueStatus.RESOLVED, substatus=None, resolved_at=timezone.now()
    )


def assert_regressed(issue, version: str):
    """An event brought the issue back: unresolved as a regression of the event's release,
    and no resolution left."""
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert issue.substatus == IssueSubstatus.REGRESSED
    assert activities(issue)[-1] == ("set_regression", {"version": version})
    assert not Resolution.objects.filter(issue=issue).exists()


def assert_still_resolved_in(api, issue, version: str):
    """Events left the issue resolved in the release `version`."""
    issue = refreshed(issue)
    assert issue.status == IssueStatus.RESOLVED
    assert Resolution.objects.filter(issue=issue).exists()
    assert "set_regression" not in activity_types(issue)
    assert get_issue(api, issue)["statusDetails"]["inRelease"] == version


# The PUT document


def test_put_answers_with_the_get_keys_minus_the_detail_ones(api, issue):
    get_document = get_issue(api, issue)
    document = put_issue(api, issue, {"status": "resolved"})
    assert set(document) == PUT_KEYS
    assert set(document) == set(get_document) - GET_ONLY_KEYS


def test_put_document_has_the_issue_values(api, issue, project):
    document = put_issue(api, issue, {})
    assert document["id"] == str(issue.pk)
    assert document["shortId"] == issue.qualified_short_id
    assert document["count"] == "1"
    assert document["userCount"] == 1
    assert document["project"]["id"] == str(project.pk)


@pytest.mark.parametrize("route", PUT_ROUTES)
def test_put_of_an_unresolved_issue_validates_against_sentry_put_schema(api, issue, route):
    document = put_issue(api, issue, {"status": "unresolved"})
    assert document["status"] == "unresolved"
    OAS30Validator(put_schema(route)).validate(document)


# On the organization route, Sentry's schema requires statusDetails.actor to carry
# "experiments" and "isSuspended" as well (the user object elsewhere follows the 2020 example).
@pytest.mark.parametrize("route", PUT_ROUTES)
def test_put_resolved_in_release_validates_against_sentry_put_schema(api, issue, project, route):
    make_release(project, "2.0.0")
    document = put_issue(
        api, issue, {"status": "resolved", "statusDetails": {"inRelease": "2.0.0"}}
    )
    assert document["statusDetails"]["inRelease"] == "2.0.0"
    OAS30Validator(put_schema(route)).validate(document)


@pytest.mark.parametrize("route", PUT_ROUTES)
def test_put_ignored_with_snooze_validates_against_sentry_put_schema(api, issue, route):
    document = put_issue(
        api,
        issue,
        {"status": "ignored", "statusDetails": {"ignoreDuration": 30, "ignoreCount": 5}},
    )
    assert document["status"] == "ignored"
    OAS30Validator(put_schema(route)).validate(document)


def test_empty_body_changes_nothing(api, issue):
    document = put_issue(api, issue, {})
    assert document["status"] == "unresolved"
    assert document["statusDetails"] == {}
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []


def test_no_body_at_all_changes_nothing(api, issue):
    resolve(issue)
    response = api.put(issue_url(issue))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    assert set(response.json()) == PUT_KEYS
    assert refreshed(issue).status == IssueStatus.RESOLVED
    assert activities(issue) == []


def test_unknown_keys_are_ignored(api, issue):
    document = put_issue(api, issue, {"foo": "bar", "statusDetails2": {"x": 1}})
    assert document["status"] == "unresolved"
    assert activities(issue) == []

    document = put_issue(api, issue, {"status": "resolved", "foo": 1})
    assert document["status"] == "resolved"
    assert activity_types(issue) == ["set_resolved"]


def test_merge_is_accepted_and_has_no_effect(api, issue):
    document = put_issue(api, issue, {"merge": True})
    assert document["status"] == "unresolved"
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []
    assert Issue.objects.count() == 1


# resolved


def test_resolve_sets_status_and_writes_set_resolved(api, issue, user):
    document = put_issue(api, issue, {"status": "resolved"})
    assert document["status"] == "resolved"
    assert document["statusDetails"] == {}
    assert document["substatus"] is None

    issue = refreshed(issue)
    assert issue.status == IssueStatus.RESOLVED
    assert issue.substatus is None
    assert issue.resolved_at is not None
    assert activities(issue) == [("set_resolved", {})]
    assert Activity.objects.get(issue=issue).user_id == user.pk
    assert status_change_subscribers(issue) == {user.pk}
    assert not Resolution.objects.filter(issue=issue).exists()
    assert document["isSubscribed"] is True
    assert document["subscriptionDetails"] == {"reason": "changed_status"}


def test_resolving_a_resolved_issue_writes_set_resolved_again(api, issue):
    put_issue(api, issue, {"status": "resolved"})
    document = put_issue(api, issue, {"status": "resolved"})
    assert document["status"] == "resolved"
    assert activity_types(issue) == ["set_resolved", "set_resolved"]


def test_resolve_removes_a_snooze(api, issue):
    put_issue(api, issue, {"status": "ignored", "ignoreDuration": 30})
    assert Snooze.objects.filter(issue=issue).exists()
    document = put_issue(api, issue, {"status": "resolved"})
    assert document["status"] == "resolved"
    assert document["statusDetails"] == {}
    assert not Snooze.objects.filter(issue=issue).exists()


def test_plain_resolve_removes_a_release_resolution(api, issue, project):
    make_release(project, "2.0.0")
    put_issue(api, issue, {"status": "resolved", "statusDetails": {"inRelease": "2.0.0"}})
    assert Resolution.objects.filter(issue=issue).exists()
    document = put_issue(api, issue, {"status": "resolved"})
    assert document["statusDetails"] == {}
    assert not Resolution.objects.filter(issue=issue).exists()
    assert activity_types(issue) == ["set_resolved_in_release", "set_resolved"]


# resolvedInNextRelease


def assert_resolution(issue, user, release, kind, status) -> Resolution:
    """The issue is resolved by `user` with one resolution in `release` of that kind and
    status, which its one activity names."""
    issue = refreshed(issue)
    assert issue.status == IssueStatus.RESOLVED
    resolution = Resolution.objects.get(issue=issue)
    assert (resolution.type, resolution.status) == (kind, status)
    assert (resolution.release_id, resolution.actor_id) == (release.pk, user.pk)
    assert Activity.objects.get(issue=issue).ident == str(resolution.pk)
    assert status_change_subscribers(issue) == {user.pk}
    return resolution


def assert_resolved_in_next_release(document, issue, user, release):
    assert document["status"] == "resolved"
    assert document["substatus"] is None
    assert document["statusDetails"]["inNextRelease"] is True
    assert document["statusDetails"]["actor"]["id"] == str(user.pk)
    assert set(document["statusDetails"]) == {"inNextRelease", "actor"}

    assert_resolution(
        issue, user, release, Resolution.Type.IN_NEXT_RELEASE, Resolution.Status.PENDING
    )
    activity = Activity.objects.get(issue=issue)
    assert activity.get_type_display() == "set_resolved_in_release"
    assert activity.data == {"version": ""}
    assert activity.user_id == user.pk


# Releases (version, created hours ago, released minutes ago) of a project that does not follow
# semver, and the one "next release" names: the latest, by date released, then created.
NEXT_RELEASE_BY_DATE = {
    "latest-created": ([("alpha", 3, None), ("beta", 2, None), ("gamma", 4, None)], "beta"),
    "released-first": ([("alpha", 3, 10), ("beta", 1, None)], "alpha"),
    # Sentry only takes "package@version" for semver (Release.is_semver_version).
    "versions-without-a-package": ([("1.10.0", 2, None), ("1.9.0", 1, None)], "1.9.0"),
    "not-all-semver": ([("1.10.0", 2, None), ("nightly", 1, None)], "nightly"),
}


@pytest.mark.parametrize("case", NEXT_RELEASE_BY_DATE)
def test_resolved_in_next_release_is_the_latest_release_by_date(api, issue, project, user, case):
    releases, expected = NEXT_RELEASE_BY_DATE[case]
    made = {
        version: make_release(
            project,
            version,
            date_added=ago(hours=hours),
            date_released=None if minutes is None else ago(minutes=minutes),
        )
        for version, hours, minutes in releases
    }
    document = put_issue(api, issue, {"status": "resolvedInNextRelease"})
    assert_resolved_in_next_release(document, issue, user, made[expected])


def make_semver_releases(project):
    """The issue's scenario: package@1.0+0, package@2.0+0 and package@1.0+1, created in that
    order; returns the greatest by semver, package@2.0+0."""
    make_release(project, "package@1.0+0", date_added=ago(hours=3))
    greatest = make_release(project, "package@2.0+0", date_added=ago(hours=2))
    make_release(project, "package@1.0+1", date_added=ago(hours=1))
    return greatest


def assert_resolved_in_the_greatest_semver_release(document, issue, user, greatest):
    assert document["status"] == "resolved"
    assert document["substatus"] is None
    assert set(document["statusDetails"]) == {"inRelease", "actor"}
    assert document["statusDetails"]["inRelease"] == "package@2.0+0"
    assert document["statusDetails"]["actor"]["id"] == str(user.pk)

    resolution = assert_resolution(
        issue, user, greatest, Resolution.Type.IN_RELEASE, Resolution.Status.RESOLVED
    )
    assert resolution.current_release_version == "package@2.0+0"
    # Sentry keeps "version" empty and names the version to exceed.
    assert activities(issue) == [
        (
            "set_resolved_in_release",
            {"version": "", "current_release_version": "package@2.0+0"},
        )
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "resolvedInNextRelease"},
        {"status": "resolved", "statusDetails": {"inNextRelease": True}},
    ],
)
def test_resolved_in_next_release_of_a_semver_project_is_resolved_in_the_greatest_release(
    api, issue, project, user, body
):
    greatest = make_semver_releases(project)
    document = put_issue(api, issue, body)
    assert_resolved_in_the_greatest_semver_release(document, issue, user, greatest)

    document = get_issue(api, issue)
    assert document["status"] == "resolved"
    assert document["statusDetails"]["inRelease"] == "package@2.0+0"
    assert document["statusDetails"]["actor"]["id"] == str(user.pk)
    assert document["activity"][0]["type"] == "set_resolved_in_release"
    assert document["activity"][0]["data"] == {
        "version": "",
        "current_release_version": "package@2.0+0",
    }


@pytest.mark.parametrize("route", PUT_ROUTES)
def test_resolved_in_next_release_of_a_semver_project_validates_against_sentry_put_schema(
    api, issue, project, route
):
    make_semver_releases(project)
    document = put_issue(api, issue, {"status": "resolvedInNextRelease"})
    assert document["statusDetails"]["inRelease"] == "package@2.0+0"
    OAS30Validator(put_schema(route)).validate(document)


def test_resolved_with_in_next_release_details(api, issue, project, user):
    release = make_release(project, "1.0.0")
    document = put_issue(
        api, issue, {"status": "resolved", "statusDetails": {"inNextRelease": True}}
    )
    assert_resolved_in_next_release(document, issue, user, release)


def test_resolved_in_next_release_reads_back_on_get(api, issue, project, user):
    make_release(project, "1.0.0")
    put_issue(api, issue, {"status": "resolvedInNextRelease"})
    document = get_issue(api, issue)
    assert document["status"] == "resolved"
    assert document["statusDetails"]["inNextRelease"] is True
    assert document["statusDetails"]["actor"]["id"] == str(user.pk)


def test_resolved_in_next_release_ignores_releases_of_other_projects(api, issue, organization):
    other = ProjectFactory(organization=organization)
    make_release(other, "1.0.0")
    document = put_issue(api, issue, {"status": "resolvedInNextRelease"})
    assert document["status"] == "resolved"
    assert document["statusDetails"] == {}
    assert not Resolution.objects.filter(issue=issue).exists()


def test_bare_resolved_in_next_release_without_release_is_a_plain_resolve(api, issue):
    document = put_issue(api, issue, {"status": "resolvedInNextRelease"})
    assert document["status"] == "resolved"
    assert document["statusDetails"] == {}
    assert refreshed(issue).status == IssueStatus.RESOLVED
    assert not Resolution.objects.filter(issue=issue).exists()
    assert activity_types(issue) == ["set_resolved"]


def test_in_next_release_details_without_release_is_a_400(api, issue):
    body = put_invalid(api, issue, {"status": "resolved", "statusDetails": {"inNextRelease": True}})
    assert body == {"statusDetails": {"inNextRelease": [NO_RELEASE_FOR_NEXT]}}
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []


# resolved in release


def test_resolved_in_a_release_by_version(api, issue, project, user):
    release = make_release(project, "2.0.0", date_added=ago(hours=2))
    make_release(project, "3.0.0", date_added=ago(hours=1))
    document = put_issue(
        api, issue, {"status": "resolved", "statusDetails": {"inRelease": "2.0.0"}}
    )
    assert document["status"] == "resolved"
    assert document["substatus"] is None
    assert set(document["statusDetails"]) == {"inRelease", "actor"}
    assert document["statusDetails"]["inRelease"] == "2.0.0"
    assert document["statusDetails"]["actor"]["id"] == str(user.pk)

    resolution = Resolution.objects.get(issue=issue)
    assert resolution.type == Resolution.Type.IN_RELEASE
    assert resolution.status == Resolution.Status.RESOLVED
    assert resolution.release_id == release.pk
    assert resolution.actor_id == user.pk
    assert activities(issue) == [("set_resolved_in_release", {"version": "2.0.0"})]
    assert Activity.objects.get(issue=issue).ident == str(resolution.pk)
    assert refreshed(issue).status == IssueStatus.RESOLVED
    assert status_change_subscribers(issue) == {user.pk}


def test_resolved_in_the_latest_release(api, issue, project, user):
    make_release(project, "2.0.0", date_added=ago(hours=2))
    latest = make_release(project, "1.5.0", date_added=ago(hours=1))
    document = put_issue(
        api, issue, {"status": "resolved", "statusDetails": {"inRelease": "latest"}}
    )
    assert document["statusDetails"] == {
        "inRelease": "1.5.0",
        "actor": document["statusDetails"]["actor"],
    }
    assert document["statusDetails"]["actor"]["id"] == str(user.pk)
    resolution = Resolution.objects.get(issue=issue)
    assert resolution.type == Resolution.Type.IN_RELEASE
    assert resolution.release_id == latest.pk
    assert activities(issue) == [("set_resolved_in_release", {"version": "1.5.0"})]


def test_resolved_in_an_unknown_release_is_a_400(api, issue, project):
    make_release(project, "2.0.0")
    body = put_invalid(api, issue, {"status": "resolved", "statusDetails": {"inRelease": "9.9.9"}})
    assert body == {
        "statusDetails": {"inRelease": ["Unable to find a release with the given version."]}
    }
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []
    assert not Resolution.objects.filter(issue=issue).exists()


def test_a_release_of_another_project_is_unknown(api, issue, organization):
    make_release(ProjectFactory(organization=organization), "2.0.0")
    body = put_invalid(api, issue, {"status": "resolved", "statusDetails": {"inRelease": "2.0.0"}})
    assert body == {
        "statusDetails": {"inRelease": ["Unable to find a release with the given version."]}
    }
    assert refreshed(issue).status == IssueStatus.UNRESOLVED


# resolved in commit


def test_resolved_in_a_commit(api, issue, project, user):
    repository, commit = make_commit(project)
    document = put_issue(
        api,
        issue,
        {
            "status": "resolved",
            "statusDetails": {"inCommit": {"commit": SHA, "repository": repository.name}},
        },
    )
    assert document["status"] == "resolved"
    assert set(document["statusDetails"]) == {"inCommit"}
    in_commit = document["statusDetails"]["inCommit"]
    assert in_commit["id"] == SHA
    assert in_commit["message"] == "Fix it"
    assert in_commit["repository"]["name"] == "getsentry/sentry"
    assert in_commit["repository"]["id"] == str(repository.pk)

    assert refreshed(issue).status == IssueStatus.RESOLVED
    assert activities(issue) == [("set_resolved_in_commit", {"commit": commit.pk})]
    resolution = Resolution.objects.get(issue=issue)
    assert resolution.commit_id == commit.pk
    assert resolution.release_id is None
    assert status_change_subscribers(issue) == {user.pk}


def test_resolved_in_a_commit_already_in_a_release_is_resolved_in_that_release(
    api, issue, project, user
):
    release = make_release(project, "2.0.0")
    repository, commit = make_commit(project, release=release)
    document = put_issue(
        api,
        issue,
        {
            "status": "resolved",
            "statusDetails": {"inCommit": {"commit": SHA, "repository": repository.name}},
        },
    )
    assert document["statusDetails"]["inRelease"] == "2.0.0"
    assert document["statusDetails"]["actor"]["id"] == str(user.pk)
    resolution = Resolution.objects.get(issue=issue)
    assert resolution.type == Resolution.Type.IN_RELEASE
    assert resolution.release_id == release.pk
    assert resolution.commit_id == commit.pk
    assert activities(issue) == [("set_resolved_in_commit", {"commit": commit.pk})]


def test_resolved_in_a_commit_of_an_unknown_repository_is_a_400(api, issue, project):
    make_commit(project)
    body = put_invalid(
        api,
        issue,
        {"status": "resolved", "statusDetails": {"inCommit": {"commit": SHA, "repository": "x/y"}}},
    )
    assert body == {
        "statusDetails": {"inCommit": {"repository": ["Unable to find the given repository."]}}
    }
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []


def test_resolved_in_an_unknown_commit_is_a_400(api, issue, project):
    repository, _ = make_commit(project)
    body = put_invalid(
        api,
        issue,
        {
            "status": "resolved",
            "statusDetails": {"inCommit": {"commit": "b" * 40, "repository": repository.name}},
        },
    )
    assert body == {"statusDetails": {"inCommit": {"commit": ["Unable to find the given commit."]}}}
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []


# unresolved


def test_unresolve_a_resolved_issue(api, issue, project, user):
    make_release(project, "2.0.0")
    resolve(issue)
    Resolution.objects.create(
        issue=issue,
        release=Release.objects.get(version="2.0.0"),
        type=Resolution.Type.IN_RELEASE,
        status=Resolution.Status.RESOLVED,
    )
    document = put_issue(api, issue, {"status": "unresolved"})
    assert document["status"] == "unresolved"
    assert document["statusDetails"] == {}
    assert document["substatus"] == "ongoing"

    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert issue.substatus == IssueSubstatus.ONGOING
    assert issue.resolved_at is None
    assert activities(issue) == [("set_unresolved", {})]
    assert Activity.objects.get(issue=issue).user_id == user.pk
    assert not Resolution.objects.filter(issue=issue).exists()
    assert status_change_subscribers(issue) == {user.pk}


def test_unresolve_after_a_put_resolve(api, issue):
    put_issue(api, issue, {"status": "resolved"})
    document = put_issue(api, issue, {"status": "unresolved"})
    assert document["status"] == "unresolved"
    assert document["substatus"] == "ongoing"
    assert activity_types(issue) == ["set_resolved", "set_unresolved"]


def test_unresolve_an_ignored_issue_ends_its_snooze(api, issue):
    put_issue(api, issue, {"status": "ignored", "ignoreDuration": 30})
    document = put_issue(api, issue, {"status": "unresolved"})
    assert document["status"] == "unresolved"
    assert document["statusDetails"] == {}
    assert not Snooze.objects.filter(issue=issue).exists()
    assert activity_types(issue) == ["set_ignored", "set_unresolved"]


def test_unresolve_an_unresolved_issue_writes_no_activity(api, issue):
    document = put_issue(api, issue, {"status": "unresolved"})
    assert document["status"] == "unresolved"
    assert activities(issue) == []
    assert status_change_subscribers(issue) == set()


# ignored / muted


@pytest.mark.parametrize("status", ["ignored", "muted"])
def test_ignore_forever(api, issue, user, status):
    document = put_issue(api, issue, {"status": status})
    assert document["status"] == "ignored"
    assert document["statusDetails"] == {}
    assert document["substatus"] == "archived_forever"

    issue = refreshed(issue)
    assert issue.status == IssueStatus.IGNORED
    assert issue.substatus == IssueSubstatus.ARCHIVED_FOREVER
    assert not Snooze.objects.filter(issue=issue).exists()
    ((slug, data),) = activities(issue)
    assert slug == "set_ignored"
    assert set(data) == SET_IGNORED_DATA_KEYS
    assert all(value is None for value in data.values())
    assert Activity.objects.get(issue=issue).user_id == user.pk
    assert status_change_subscribers(issue) == {user.pk}


def test_ignore_removes_a_resolution(api, issue, project):
    make_release(project, "2.0.0")
    put_issue(api, issue, {"status": "resolved", "statusDetails": {"inRelease": "2.0.0"}})
    document = put_issue(api, issue, {"status": "ignored"})
    assert document["status"] == "ignored"
    assert not Resolution.objects.filter(issue=issue).exists()


def assert_ignored_for_30_minutes(document, issue, user, before, after):
    assert document["status"] == "ignored"
    assert document["substatus"] == "archived_until_condition_met"
    details = document["statusDetails"]
    assert set(details) == {"ignoreUntil", "actor"}
    assert details["actor"]["id"] == str(user.pk)
    until = parse(details["ignoreUntil"])
    assert before + timedelta(minutes=30) <= until <= after + timedelta(minutes=30)

    snooze = Snooze.objects.get(issue=issue)
    assert snooze.until == until
    assert snooze.count is None
    assert snooze.user_count is None
    assert snooze.actor_id == user.pk
    issue = refreshed(issue)
    assert issue.status == IssueStatus.IGNORED
    assert issue.substatus == IssueSubstatus.ARCHIVED_UNTIL_CONDITION_MET
    ((slug, data),) = activities(issue)
    assert slug == "set_ignored"
    assert data == {
        "ignoreCount": None,
        "ignoreDuration": 30,
        "ignoreUntil": details["ignoreUntil"],
        "ignoreUserCount": None,
        "ignoreUserWindow": None,
        "ignoreWindow": None,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"status": "ignored", "statusDetails": {"ignoreDuration": 30}},
        {"status": "ignored", "ignoreDuration": 30},
        {"status": "ignored", "snoozeDuration": 30},
        {"status": "muted", "ignoreDuration": 30},
    ],
    ids=["statusDetails", "top-level", "snoozeDuration", "muted"],
)
def test_ignore_for_a_duration(api, issue, user, body):
    before = timezone.now()
    document = put_issue(api, issue, body)
    after = timezone.now()
    assert_ignored_for_30_minutes(document, issue, user, before, after)


def test_ignore_for_a_count(api, issue, user):
    document = put_issue(api, issue, {"status": "ignored", "statusDetails": {"ignoreCount": 2}})
    assert document["status"] == "ignored"
    assert document["statusDetails"]["ignoreCount"] == 2
    assert "ignoreUntil" not in document["statusDetails"]
    snooze = Snooze.objects.get(issue=issue)
    assert snooze.count == 2
    assert snooze.window is None
    assert snooze.until is None
    assert snooze.state == {"times_seen": 1}
    ((slug, data),) = activities(issue)
    assert slug == "set_ignored"
    assert data["ignoreCount"] == 2
    assert data["ignoreUntil"] is None


def test_ignore_for_a_count_in_a_window(api, issue):
    document = put_issue(
        api, issue, {"status": "ignored", "statusDetails": {"ignoreCount": 10, "ignoreWindow": 60}}
    )
    assert document["statusDetails"]["ignoreCount"] == 10
    assert document["statusDetails"]["ignoreWindow"] == 60
    snooze = Snooze.objects.get(issue=issue)
    assert (snooze.count, snooze.window) == (10, 60)
    assert snooze.state == {}
    ((_, data),) = activities(issue)
    assert (data["ignoreCount"], data["ignoreWindow"]) == (10, 60)


def test_ignore_for_a_user_count(api, issue):
    document = put_issue(api, issue, {"status": "ignored", "ignoreUserCount": 3})
    assert document["statusDetails"]["ignoreUserCount"] == 3
    snooze = Snooze.objects.get(issue=issue)
    assert snooze.user_count == 3
    assert snooze.state == {"users_seen": 1}
    ((_, data),) = activities(issue)
    assert data["ignoreUserCount"] == 3


def test_ignore_for_a_user_count_in_a_window(api, issue):
    document = put_issue(
        api,
        issue,
        {"status": "ignored", "statusDetails": {"ignoreUserCount": 3, "ignoreUserWindow": 120}},
    )
    assert document["statusDetails"]["ignoreUserCount"] == 3
    assert document["statusDetails"]["ignoreUserWindow"] == 120
    snooze = Snooze.objects.get(issue=issue)
    assert (snooze.user_count, snooze.user_window) == (3, 120)
    ((_, data),) = activities(issue)
    assert (data["ignoreUserCount"], data["ignoreUserWindow"]) == (3, 120)


def test_ignoring_an_ignored_issue_updates_the_snooze_without_activity(api, issue):
    put_issue(api, issue, {"status": "ignored", "ignoreDuration": 30})
    document = put_issue(api, issue, {"status": "ignored", "ignoreCount": 4})
    assert document["status"] == "ignored"
    assert document["statusDetails"]["ignoreCount"] == 4
    assert "ignoreUntil" not in document["statusDetails"]
    snooze = Snooze.objects.get(issue=issue)
    assert (snooze.count, snooze.until) == (4, None)
    assert activity_types(issue) == ["set_ignored"]


def test_ignoring_forever_an_issue_ignored_with_a_snooze_removes_it(api, issue):
    put_issue(api, issue, {"status": "ignored", "ignoreDuration": 30})
    document = put_issue(api, issue, {"status": "ignored"})
    assert document["statusDetails"] == {}
    assert document["substatus"] == "archived_forever"
    assert not Snooze.objects.filter(issue=issue).exists()
    assert activity_types(issue) == ["set_ignored"]


# Validation: 400 and nothing changed


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"status": "foo"}, {"status": ['"foo" is not a valid choice.']}),
        (
            {"status": "ignored", "ignoreWindow": 10081},
            {"ignoreWindow": ["Ensure this value is less than or equal to 10080."]},
        ),
        (
            {"status": "ignored", "statusDetails": {"ignoreCount": 1, "ignoreWindow": 10081}},
            {
                "statusDetails": {
                    "ignoreWindow": ["Ensure this value is less than or equal to 10080."]
                }
            },
        ),
        (
            {"status": "ignored", "ignoreUserWindow": 10081},
            {"ignoreUserWindow": ["Ensure this value is less than or equal to 10080."]},
        ),
        (
            {"status": "ignored", "statusDetails": {"ignoreUserWindow": 10081}},
            {
                "statusDetails": {
                    "ignoreUserWindow": ["Ensure this value is less than or equal to 10080."]
                }
            },
        ),
        ({"hasSeen": "maybe"}, {"hasSeen": ['"maybe" is not a valid boolean.']}),
        (
            {"status": "ignored", "ignoreCount": "abc"},
            {"ignoreCount": ["A valid integer is required."]},
        ),
        (
            {"status": "ignored", "statusDetails": {"ignoreCount": "abc"}},
            {"statusDetails": {"ignoreCount": ["A valid integer is required."]}},
        ),
        (
            {"status": "ignored", "ignoreDuration": -1},
            {"ignoreDuration": ["Ensure this value is greater than or equal to 0."]},
        ),
    ],
    ids=[
        "status",
        "ignoreWindow",
        "statusDetails.ignoreWindow",
        "ignoreUserWindow",
        "statusDetails.ignoreUserWindow",
        "hasSeen",
        "ignoreCount",
        "statusDetails.ignoreCount",
        "negative-ignoreDuration",
    ],
)
def test_invalid_body_is_a_400_and_changes_nothing(api, issue, body, errors):
    assert put_invalid(api, issue, body) == errors
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert activities(issue) == []
    assert not Snooze.objects.filter(issue=issue).exists()


@pytest.mark.parametrize("field", ["ignoreDuration", "snoozeDuration"])
def test_a_huge_ignore_duration_is_a_400(api, issue, field):
    body = put_invalid(api, issue, {"status": "ignored", field: 10**30})
    assert set(body) == {field}
    assert body[field][0].startswith("Ensure this value is less than or equal to")
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []

    body = put_invalid(
        api, issue, {"status": "ignored", "statusDetails": {"ignoreDuration": 10**30}}
    )
    assert set(body["statusDetails"]) == {"ignoreDuration"}
    assert not Snooze.objects.filter(issue=issue).exists()


def test_a_json_list_body_is_a_400(api, issue):
    body = put_invalid(api, issue, [{"status": "resolved"}])
    assert set(body) == {"non_field_errors"}
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []


@pytest.mark.parametrize(
    "body",
    [
        {"status": "resolved", "hasSeen": "maybe"},
        {"status": "resolved", "ignoreWindow": 10081},
        {"status": "ignored", "ignoreDuration": 30, "statusDetails": {"ignoreWindow": -5}},
        {"isBookmarked": True, "status": "foo"},
    ],
)
def test_one_invalid_field_changes_nothing(api, issue, user, body):
    put_invalid(api, issue, body)
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert issue.substatus == IssueSubstatus.NEW
    assert activities(issue) == []
    assert not Snooze.objects.filter(issue=issue).exists()
    assert not Subscription.objects.filter(issue=issue).exists()
    assert get_issue(api, issue)["isBookmarked"] is False


def test_a_400_leaves_a_resolved_issue_as_it_was(api, issue, project):
    make_release(project, "2.0.0")
    put_issue(api, issue, {"status": "resolved", "statusDetails": {"inRelease": "2.0.0"}})
    put_invalid(api, issue, {"status": "unresolved", "hasSeen": "maybe"})
    assert refreshed(issue).status == IssueStatus.RESOLVED
    assert Resolution.objects.filter(issue=issue).exists()
    assert activity_types(issue) == ["set_resolved_in_release"]


# Events after a transition


def test_event_regresses_a_resolved_issue(api, issue):
    put_issue(api, issue, {"status": "resolved"})
    make_event(issue.project)
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert issue.substatus == IssueSubstatus.REGRESSED
    assert activities(issue)[-1] == ("set_regression", {"version": ""})
    document = get_issue(api, issue)
    assert document["status"] == "unresolved"
    assert document["substatus"] == "regressed"
    assert document["statusDetails"] == {}


def test_event_with_a_release_regresses_a_plainly_resolved_issue(api, issue):
    put_issue(api, issue, {"status": "resolved"})
    make_event(issue.project, release="3.1.0")
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert issue.substatus == IssueSubstatus.REGRESSED
    assert activities(issue)[-1] == ("set_regression", {"version": "3.1.0"})


@pytest.mark.parametrize("release", ["1.0.0", None], ids=["older-release", "no-release"])
def test_event_of_an_older_release_or_none_leaves_an_issue_resolved_in_release(
    api, issue, project, release
):
    make_release(project, "1.0.0", date_added=ago(hours=2))
    make_release(project, "2.0.0", date_added=ago(hours=1))
    put_issue(api, issue, {"status": "resolved", "statusDetails": {"inRelease": "2.0.0"}})
    make_event(project, **({} if release is None else {"release": release}))
    assert_still_resolved_in(api, issue, "2.0.0")


@pytest.mark.parametrize("release", ["1.0.0", "2.0.0"], ids=["that-release", "newer-release"])
def test_event_of_the_release_it_was_resolved_in_or_a_newer_one_regresses(
    api, issue, project, release
):
    make_release(project, "1.0.0", date_added=ago(hours=2))
    put_issue(api, issue, {"status": "resolved", "statusDetails": {"inRelease": "1.0.0"}})
    make_event(project, release=release)
    assert_regressed(issue, release)


def test_in_next_release_holds_for_that_release_and_regresses_in_a_newer_one(api, issue, project):
    make_release(project, "1.0.0", date_added=ago(hours=2))
    put_issue(api, issue, {"status": "resolvedInNextRelease"})

    make_event(project, release="1.0.0")
    assert refreshed(issue).status == IssueStatus.RESOLVED
    assert get_issue(api, issue)["statusDetails"]["inNextRelease"] is True

    make_event(project, release="2.0.0")
    assert_regressed(issue, "2.0.0")


# The issue's scenario: releases package@1.0+0, package@2.0+0, package@1.0+1 created in that
# order, resolved in next release, so resolved in package@2.0+0 by semver.
@pytest.mark.parametrize(
    "version",
    [
        "package@1.0+0",
        "package@2.0+0",
        "package@1.0+1",
        "package@1.1+0",  # created by the event, after the resolution
        "package@2.0",  # no build code is below build code 0
        "package@2.0-rc.1",  # a pre-release is below its release
        "other@1.5.0",  # packages are not compared, versions are
    ],
)
def test_semver_resolution_holds_for_versions_up_to_the_greatest(api, issue, project, version):
    make_semver_releases(project)
    put_issue(api, issue, {"status": "resolvedInNextRelease"})
    make_event(project, release=version)
    assert_still_resolved_in(api, issue, "package@2.0+0")


@pytest.mark.parametrize(
    "version",
    [
        "package@3.0+0",
        "package@2.0.1",
        "package@2.0+1",  # relay orders build codes: 2.0+1 is above 2.0+0
    ],
)
def test_semver_resolution_regresses_for_a_greater_version(api, issue, project, version):
    make_semver_releases(project)
    put_issue(api, issue, {"status": "resolvedInNextRelease"})
    make_event(project, release=version)
    assert_regressed(issue, version)


def test_semver_resolution_walks_through_the_issue_scenario(api, issue, project, user):
    greatest = make_semver_releases(project)
    document = put_issue(api, issue, {"status": "resolvedInNextRelease"})
    assert_resolved_in_the_greatest_semver_release(document, issue, user, greatest)

    for version in ("package@1.0+0", "package@2.0+0", "package@1.0+1", "package@1.1+0"):
        make_event(project, release=version)
        assert refreshed(issue).status == IssueStatus.RESOLVED, version
    later = Release.objects.get(version="package@1.1+0")
    assert later.date_added > greatest.date_added
    assert_still_resolved_in(api, issue, "package@2.0+0")

    make_event(project, release="package@3.0+0")
    assert_regressed(issue, "package@3.0+0")
    document = get_issue(api, issue)
    assert document["status"] == "unresolved"
    assert document["substatus"] == "regressed"
    assert document["statusDetails"] == {}


def test_an_event_of_a_version_that_is_not_semver_is_compared_by_date(api, issue, project):
    # The project stops following semver, so the greatest version noted at resolution is
    # compared by date (Sentry's has_resolution): a release created later regresses.
    make_semver_releases(project)
    put_issue(api, issue, {"status": "resolvedInNextRelease"})
    make_event(project, release="nightly")
    assert_regressed(issue, "nightly")


def test_an_event_of_an_older_release_not_semver_leaves_a_semver_resolution(api, issue, project):
    # Older than the ten most recent releases, which all are semver: the project follows semver.
    make_release(project, "nightly", date_added=ago(hours=20))
    for minor in range(7):
        make_release(project, f"package@0.{minor}", date_added=ago(hours=10 - minor))
    make_semver_releases(project)
    put_issue(api, issue, {"status": "resolvedInNextRelease"})
    assert Resolution.objects.get(issue=issue).current_release_version == "package@2.0+0"
    make_event(project, release="nightly")
    assert_still_resolved_in(api, issue, "package@2.0+0")


def test_resolved_in_a_release_of_a_semver_project_compares_by_semver(api, issue, project):
    make_semver_releases(project)
    put_issue(api, issue, {"status": "resolved", "statusDetails": {"inRelease": "package@2.0+0"}})
    # Created after package@2.0+0 but lower by semver.
    make_event(project, release="package@1.0+1")
    assert refreshed(issue).status == IssueStatus.RESOLVED

    make_event(project, release="package@2.1")
    assert_regressed(issue, "package@2.1")


def test_in_next_release_of_a_project_without_semver_stays_pending_by_date(
    api, issue, project, user
):
    make_release(project, "alpha", date_added=ago(hours=2))
    latest = make_release(project, "beta", date_added=ago(hours=1))
    document = put_issue(api, issue, {"status": "resolvedInNextRelease"})
    assert_resolved_in_next_release(document, issue, user, latest)
    assert Resolution.objects.get(issue=issue).current_release_version == ""

    make_event(project, release="alpha")
    make_event(project, release="beta")
    assert refreshed(issue).status == IssueStatus.RESOLVED
    assert get_issue(api, issue)["statusDetails"]["inNextRelease"] is True

    make_event(project, release="gamma")
    assert_regressed(issue, "gamma")


def test_event_leaves_an_issue_ignored_forever(api, issue):
    put_issue(api, issue, {"status": "ignored"})
    make_event(issue.project)
    make_event(issue.project)
    issue = refreshed(issue)
    assert issue.status == IssueStatus.IGNORED
    assert issue.substatus == IssueSubstatus.ARCHIVED_FOREVER
    assert activity_types(issue) == ["set_ignored"]
    assert get_issue(api, issue)["status"] == "ignored"


def test_ignore_count_ends_after_that_many_more_events(api, issue):
    document = put_issue(api, issue, {"status": "ignored", "ignoreCount": 2})
    assert document["statusDetails"]["ignoreCount"] == 2

    make_event(issue.project)
    assert refreshed(issue).status == IssueStatus.IGNORED
    document = get_issue(api, issue)
    assert document["status"] == "ignored"
    assert document["statusDetails"]["ignoreCount"] == 1
    assert put_issue(api, issue, {})["statusDetails"]["ignoreCount"] == 1

    make_event(issue.project)
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert issue.substatus == IssueSubstatus.ONGOING
    assert not Snooze.objects.filter(issue=issue).exists()
    assert activities(issue)[-1] == ("set_regression", {"version": ""})
    document = get_issue(api, issue)
    assert document["status"] == "unresolved"
    assert document["statusDetails"] == {}


def test_ignore_user_count_ends_after_that_many_more_users(api, issue):
    document = put_issue(api, issue, {"status": "ignored", "ignoreUserCount": 2})
    assert document["statusDetails"]["ignoreUserCount"] == 2

    make_event(issue.project, user={"id": "alice"})
    make_event(issue.project, user={"id": "alice"})
    assert refreshed(issue).status == IssueStatus.IGNORED
    document = get_issue(api, issue)
    assert document["statusDetails"]["ignoreUserCount"] == 1

    make_event(issue.project, user={"id": "bob"})
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert not Snooze.objects.filter(issue=issue).exists()
    assert activities(issue)[-1] == ("set_regression", {"version": ""})


def windowed_event(project, when, **payload):
    """An event of the window tests' issue, which starts hours ago: one of its own, not the
    module's shared issue."""
    return make_event(project, message="Seen in a window", timestamp=when.isoformat(), **payload)


def test_ignore_count_in_a_window_counts_events_within_the_window(api, project):
    issue = windowed_event(project, ago(hours=3)).issue
    put_issue(
        api, issue, {"status": "ignored", "statusDetails": {"ignoreCount": 2, "ignoreWindow": 60}}
    )

    windowed_event(project, ago(hours=2))  # outside the window
    windowed_event(project, ago(minutes=5))
    assert refreshed(issue).status == IssueStatus.IGNORED
    document = get_issue(api, issue)
    assert document["statusDetails"]["ignoreCount"] == 2
    assert document["statusDetails"]["ignoreWindow"] == 60

    windowed_event(project, ago(minutes=1))
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert not Snooze.objects.filter(issue=issue).exists()
    assert activities(issue)[-1][0] == "set_regression"


def test_ignore_user_count_in_a_window_counts_users_within_the_window(api, project):
    issue = windowed_event(project, ago(hours=3), user={"id": "old"}).issue
    put_issue(
        api,
        issue,
        {"status": "ignored", "statusDetails": {"ignoreUserCount": 2, "ignoreUserWindow": 60}},
    )
    windowed_event(project, ago(minutes=5), user={"id": "alice"})
    windowed_event(project, ago(minutes=4), user={"id": "alice"})
    assert refreshed(issue).status == IssueStatus.IGNORED

    windowed_event(project, ago(minutes=3), user={"id": "bob"})
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert not Snooze.objects.filter(issue=issue).exists()


def test_an_ignored_issue_whose_until_passed_reads_back_unresolved(api, issue):
    put_issue(api, issue, {"status": "ignored", "ignoreDuration": 30})
    Snooze.objects.filter(issue=issue).update(until=ago(minutes=1))
    document = get_issue(api, issue)
    assert document["status"] == "unresolved"
    assert document["statusDetails"] == {}
    assert put_issue(api, issue, {})["status"] == "unresolved"


def test_an_event_after_until_passed_ends_the_snooze(api, issue):
    put_issue(api, issue, {"status": "ignored", "ignoreDuration": 30})
    Snooze.objects.filter(issue=issue).update(until=ago(minutes=1))
    make_event(issue.project)
    issue = refreshed(issue)
    assert issue.status == IssueStatus.UNRESOLVED
    assert not Snooze.objects.filter(issue=issue).exists()
    assert activities(issue)[-1] == ("set_regression", {"version": ""})


# Routes


@pytest.mark.parametrize(
    "route",
    ["issues", "groups", "org-short-id", "org-id-numeric-issue"],
)
def test_resolve_on_every_route(api, issue, route):
    organization = issue.project.organization
    url = {
        "issues": f"/api/0/issues/{issue.pk}/",
        "groups": f"/api/0/groups/{issue.pk}/",
        "org-short-id": org_url(issue),
        "org-id-numeric-issue": f"/api/0/organizations/{organization.pk}/issues/{issue.pk}/",
    }[route]
    document = put_issue(api, issue, {"status": "resolved"}, url=url)
    assert set(document) == PUT_KEYS
    assert document["status"] == "resolved"
    assert refreshed(issue).status == IssueStatus.RESOLVED
    assert activity_types(issue) == ["set_resolved"]


# statusDetails of a resolve in a release (2.0.0 is the only one), and what the answer shows.
IN_RELEASE = {
    "inNextRelease": ({"inNextRelease": True}, {"inNextRelease": True}),
    "inRelease": ({"inRelease": "2.0.0"}, {"inRelease": "2.0.0"}),
    "inRelease-latest": ({"inRelease": "latest"}, {"inRelease": "2.0.0"}),
}
ORG_ROUTE_TRANSITIONS = [
    pytest.param(None, {"status": "resolved"}, "resolved", {}, "set_resolved", id="resolved"),
    pytest.param(
        "release",
        {"status": "resolvedInNextRelease"},
        "resolved",
        {"inNextRelease": True},
        "set_resolved_in_release",
        id="resolvedInNextRelease",
    ),
    *(
        pytest.param(
            "release",
            {"status": "resolved", "statusDetails": sent},
            "resolved",
            shown,
            "set_resolved_in_release",
            id=name,
        )
        for name, (sent, shown) in IN_RELEASE.items()
    ),
    pytest.param(
        "commit",
        {"status": "resolved", "statusDetails": {"inCommit": {"commit": SHA, "repository": "r"}}},
        "resolved",
        None,
        "set_resolved_in_commit",
        id="inCommit",
    ),
    pytest.param(
        "resolved", {"status": "unresolved"}, "unresolved", {}, "set_unresolved", id="unresolved"
    ),
    pytest.param(None, {"status": "ignored"}, "ignored", {}, "set_ignored", id="ignored"),
    pytest.param(None, {"status": "muted"}, "ignored", {}, "set_ignored", id="muted"),
    pytest.param(
        None,
        {"status": "ignored", "statusDetails": {"ignoreCount": 3}},
        "ignored",
        {"ignoreCount": 3},
        "set_ignored",
        id="ignoreCount",
    ),
]


@pytest.mark.parametrize(("setup", "body", "status", "details", "activity"), ORG_ROUTE_TRANSITIONS)
def test_transitions_on_the_org_route_with_the_short_id(
    api, issue, project, user, setup, body, status, details, activity
):
    if setup == "release":
        make_release(project, "2.0.0")
    elif setup == "commit":
        make_commit(project, repository_name="r")
    elif setup == "resolved":
        resolve(issue)
    document = put_issue(api, issue, body, url=org_url(issue))
    assert document["status"] == status
    assert document["id"] == str(issue.pk)
    shown = dict(document["statusDetails"])
    actor = shown.pop("actor", None)
    if actor is not None:
        assert actor["id"] == str(user.pk)
    if details is None:
        assert shown["inCommit"]["id"] == SHA
    else:
        assert shown == details
    assert STATUS_BY_LABEL[status] == refreshed(issue).status
    assert activity_types(issue) == [activity]


STATUS_BY_LABEL = {
    "resolved": IssueStatus.RESOLVED,
    "unresolved": IssueStatus.UNRESOLVED,
    "ignored": IssueStatus.IGNORED,
}


def test_org_route_short_id_400_changes_nothing(api, issue):
    response = api.put(org_url(issue), {"status": "foo"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"status": ['"foo" is not a valid choice.']}
    assert refreshed(issue).status == IssueStatus.UNRESOLVED
    assert activities(issue) == []

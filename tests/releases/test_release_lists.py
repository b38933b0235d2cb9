"""The release routes' reads and access (docs/behaviour.md, "Releases from CI"): Sentry's list
order, search and cursor paging, its scopes and closed-membership 404s, and a fixed number of
queries per page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OrganizationMember
from releases.models import Release, Repository
from releases.services import release_record_deploy, release_set_commits
from tests.factories import (
    MemberFactory,
    ProjectFactory,
    ReleaseProjectFactory,
    TeamFactory,
    UserFactory,
    make_organization,
)
from tests.helpers import (
    NOT_FOUND,
    PERMISSION_DENIED,
    assert_error,
    client_for,
    follow,
    get_json,
    links,
)
from tests.releases.helpers import (
    RELEASE_SCOPES,
    project_releases_url,
    release_of,
    releases_url,
)

pytestmark = pytest.mark.django_db


# ---- Lists ----------------------------------------------------------------------------------


def test_list_is_newest_first_and_pages_with_sentrys_link(ci, organization, project):
    now = timezone.now()
    for days, version in ((3, "1.0"), (2, "1.1"), (1, "1.2")):
        release_of(project, version, date_added=now - timedelta(days=days))

    first = ci.get(releases_url(organization), {"per_page": 2})

    assert first.status_code == 200, first.content
    assert [r["version"] for r in first.json()] == ["1.2", "1.1"]
    page = links(first)
    assert not page["previous"].results
    assert page["next"].results
    second = follow(ci, page["next"].url)
    assert [r["version"] for r in second.json()] == ["1.0"]
    assert not links(second)["next"].results


def test_list_sorts_by_semver_and_searches_versions(ci, organization, project):
    for version in ("app@1.10.0", "app@1.9.0", "app@2.0.0-rc1", "app@2.0.0", "nightly"):
        release_of(project, version)

    semver = get_json(ci, releases_url(organization), sort="semver")
    assert [r["version"] for r in semver] == [
        "app@2.0.0",
        "app@2.0.0-rc1",
        "app@1.10.0",
        "app@1.9.0",
    ]
    assert [r["version"] for r in get_json(ci, releases_url(organization), query="1.9")] == [
        "app@1.9.0"
    ]
    exact = get_json(ci, releases_url(organization), query="release:app@2.0.0")
    assert [r["version"] for r in exact] == ["app@2.0.0"]
    prefixed = get_json(ci, releases_url(organization), query="release:app@2*")
    assert {r["version"] for r in prefixed} == {"app@2.0.0", "app@2.0.0-rc1"}
    assert get_json(ci, releases_url(organization), status="archived") == []


def test_list_finalized_filter(ci, organization, project):
    release_of(project, "done", date_released=timezone.now())
    release_of(project, "pending")

    found = get_json(ci, releases_url(organization), query="finalized:true")

    assert [r["version"] for r in found] == ["done"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"sort": "sessions"}, "invalid sort"),
        ({"status": "gone"}, "invalid value for status"),
        ({"project": "abc"}, "Invalid project parameter. Values must be numbers."),
        ({"cursor": "nope"}, "Invalid cursor parameter."),
    ],
)
def test_list_refuses_invalid_parameters(ci, organization, params, detail):
    assert_error(ci.get(releases_url(organization), params), 400, {"detail": detail})


def test_project_list_holds_only_the_projects_releases(ci, organization, project, team):
    other = ProjectFactory(organization=organization, teams=[team])
    release_of(project, "mine")
    release_of(other, "theirs")

    listed = get_json(ci, project_releases_url(project))

    assert [r["version"] for r in listed] == ["mine"]
    assert_error(ci.get(project_releases_url(project, "theirs")), 404, NOT_FOUND)


def test_project_routes_create_show_and_update_a_release(ci, project):
    created = ci.post(project_releases_url(project), {"version": "9.9"}, format="json")
    assert created.status_code == 201, created.content
    assert (
        ci.post(project_releases_url(project), {"version": "9.9"}, format="json").status_code == 208
    )

    assert get_json(ci, project_releases_url(project, "9.9"))["version"] == "9.9"
    updated = ci.put(
        project_releases_url(project, "9.9"), {"url": "https://ci.example/9"}, format="json"
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["url"] == "https://ci.example/9"


def test_repositories_are_listed_by_name(ci, organization):
    for name in ("acme/web", "acme/api"):
        Repository.objects.create(organization=organization, name=name)

    response = ci.get(f"/api/0/organizations/{organization.slug}/repos/")

    assert response.status_code == 200, response.content
    assert [r["name"] for r in response.json()] == ["acme/api", "acme/web"]
    assert response.json()[0]["provider"] == {"id": "unknown", "name": "Unknown Provider"}
    assert "Link" in response


# ---- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "method", "status"),
    [
        (["event:read", "org:read"], "get", 403),
        (["project:read"], "get", 200),
        (["project:read"], "post", 403),
        (["project:releases"], "post", 400),
        # A member's role has no project:write: the token's scope is cut down to the role's.
        (["project:write"], "post", 403),
    ],
)
def test_scopes_are_sentrys_release_scopes(user, organization, scopes, method, status):
    client = client_for(user, scopes)

    response = getattr(client, method)(releases_url(organization), {}, format="json")

    assert response.status_code == status, response.content


def test_no_credentials_answer_401(api_client, organization):
    assert api_client.get(releases_url(organization)).status_code == 401


def test_a_non_member_gets_403_and_an_unknown_organization_404(organization, project):
    release_of(project, "1.0")
    stranger = client_for(UserFactory(), RELEASE_SCOPES)

    assert_error(stranger.get(releases_url(organization, "1.0")), 403, PERMISSION_DENIED)
    assert_error(stranger.get(releases_url(organization)), 403, PERMISSION_DENIED)
    other = make_organization()
    assert_error(stranger.get(f"/api/0/organizations/{other.slug}x/releases/"), 404, NOT_FOUND)


def test_closed_membership_hides_the_releases_of_other_teams(organization, project):
    organization.allow_joinleave = False
    organization.save()
    outsider_team = TeamFactory(organization=organization)
    hidden = ProjectFactory(organization=organization, teams=[outsider_team])
    release_of(hidden, "hidden")
    shared = release_of(project, "common")
    ReleaseProjectFactory(release=shared, project=hidden)
    member = MemberFactory(
        organization=organization, teams=[], role=OrganizationMember.Role.MEMBER
    ).user
    member.memberships.get().teams.add(project.teams.first())
    client = client_for(member, RELEASE_SCOPES)

    assert [r["version"] for r in get_json(client, releases_url(organization))] == ["common"]
    assert_error(client.get(releases_url(organization, "hidden")), 404, NOT_FOUND)
    assert get_json(client, releases_url(organization, "common"))["version"] == "common"
    # Changing a release needs every one of its projects (Sentry's require_all_projects).
    response = client.put(releases_url(organization, "common"), {"ref": "x"}, format="json")
    assert_error(response, 404, NOT_FOUND)
    response = client.post(
        releases_url(organization, "common", "deploys"), {"environment": "prod"}, format="json"
    )
    assert_error(response, 404, NOT_FOUND)


def test_unknown_release_answers_404(ci, organization):
    assert_error(ci.get(releases_url(organization, "nope")), 404, NOT_FOUND)
    assert_error(ci.put(releases_url(organization, "nope"), {}, format="json"), 404, NOT_FOUND)
    response = ci.post(releases_url(organization, "nope", "deploys"), {}, format="json")
    assert_error(response, 404, NOT_FOUND)


# ---- Queries per page -----------------------------------------------------------------------

# token (with its user), its last-used time, the organization, the membership, the page (with
# owners, last commits and deploys), its releases' projects.
LIST_QUERIES = 6


def full_release(project, repository, number: int) -> Release:
    release = release_of(project, f"app@1.{number}.0")
    ReleaseProjectFactory(
        release=release, project=ProjectFactory(organization=project.organization)
    )
    release_set_commits(
        release=release,
        repository=repository,
        commits=[{"key": f"{number:040x}", "author_email": f"dev{number}@x.io"}],
    )
    release_record_deploy(release=release, environment_name="production")
    return release


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_reads_a_fixed_number_of_queries(
    ci, organization, project, django_assert_num_queries, count
):
    repository = Repository.objects.create(organization=organization, name="acme/api")
    for number in range(count):
        full_release(project, repository, number)

    with django_assert_num_queries(LIST_QUERIES):
        listed = get_json(ci, releases_url(organization), project="-1")

    assert len(listed) == count
    assert all(r["lastCommit"] and r["lastDeploy"] for r in listed)
    assert all(len(r["projects"]) == 2 for r in listed)


@pytest.mark.parametrize("count", [1, 30])
def test_the_project_list_reads_a_fixed_number_of_queries(
    ci, organization, project, django_assert_num_queries, count
):
    repository = Repository.objects.create(organization=organization, name="acme/api")
    for number in range(count):
        full_release(project, repository, number)

    # token, its last-used time, the project with the membership, the page, its projects.
    with django_assert_num_queries(5):
        listed = get_json(ci, project_releases_url(project))

    assert len(listed) == count


def test_release_files_are_not_served(ci, organization, project):
    """sentry-cli 3 uploads source maps as artifact bundles; release files are not kept here,
    and their routes answer the plain 404 of any route the service lacks."""
    release_of(project, "1.0")

    for url in (
        releases_url(organization, "1.0", "files"),
        project_releases_url(project, "1.0", "files"),
    ):
        assert_error(ci.get(url), 404, NOT_FOUND)
        assert_error(ci.post(url, {}, format="json"), 404, NOT_FOUND)


def test_previous_with_commits_is_the_latest_release_with_commits_of_its_projects(
    ci, organization, project, team
):
    now = timezone.now()
    repository = Repository.objects.create(organization=organization, name="acme/api")
    older = release_of(project, "1.0", date_added=now - timedelta(days=3))
    release_set_commits(release=older, repository=repository, commits=[{"key": "a1"}])
    release_of(project, "1.1", date_added=now - timedelta(days=2))  # no commits
    elsewhere = release_of(
        ProjectFactory(organization=organization, teams=[team]),
        "other",
        date_added=now - timedelta(days=1),
    )
    release_set_commits(release=elsewhere, repository=repository, commits=[{"key": "b2"}])
    release_of(project, "2.0", date_added=now)

    previous = get_json(ci, releases_url(organization, "2.0", "previous-with-commits"))

    assert previous["version"] == "1.0"
    assert previous["lastCommit"]["id"] == "a1"
    assert (
        get_json(ci, releases_url(organization, "1.1", "previous-with-commits"))["version"] == "1.0"
    )
    first = release_of(project, "0.1", date_added=now - timedelta(days=9))
    assert get_json(ci, releases_url(organization, first.version, "previous-with-commits")) == {}


@pytest.mark.parametrize("count", [1, 30])
def test_the_deploy_and_repository_lists_read_a_fixed_number_of_queries(
    ci, organization, project, django_assert_num_queries, count
):
    release = release_of(project, "1.0")
    for number in range(count):
        release_record_deploy(release=release, environment_name=f"env-{number}")
        Repository.objects.create(organization=organization, name=f"acme/repo-{number}")

    # token, its last-used time, the organization, the membership, the release, the page.
    with django_assert_num_queries(6):
        deploys = get_json(ci, releases_url(organization, "1.0", "deploys"))
    # token (its last-used time is fresh now), the organization, the membership, the page.
    with django_assert_num_queries(4):
        repositories = get_json(ci, f"/api/0/organizations/{organization.slug}/repos/")

    assert len(deploys) == len(repositories) == count

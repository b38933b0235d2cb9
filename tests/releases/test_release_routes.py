"""The release routes as CI calls them (docs/behaviour.md, "Releases from CI"): Sentry's
bodies, statuses, scopes and access rules, its list order, search and cursor paging, and a
fixed number of queries per page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OrganizationMember
from releases.models import Commit, Release, ReleaseCommit, Repository
from releases.services import release_for_version, release_record_deploy, release_set_commits
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

pytestmark = pytest.mark.django_db

RELEASE_SCOPES = ["project:releases", "org:read"]


def releases_url(organization, *rest: str) -> str:
    return "/".join([f"/api/0/organizations/{organization.slug}/releases", *rest, ""])


def project_releases_url(project, *rest: str) -> str:
    base = f"/api/0/projects/{project.organization.slug}/{project.slug}/releases"
    return "/".join([base, *rest, ""])


@pytest.fixture
def ci(user):
    """A client with the token a CI pipeline has: project:releases (and org:read)."""
    return client_for(user, RELEASE_SCOPES)


def release_of(project, version: str, **fields) -> Release:
    """A release of the project, with its semver parts as ingest and the routes store them."""
    release = release_for_version(organization_id=project.organization_id, version=version)
    for name, value in fields.items():
        setattr(release, name, value)
    release.save()
    ReleaseProjectFactory(release=release, project=project)
    return release


# ---- Create ---------------------------------------------------------------------------------


def test_post_creates_a_release_then_answers_208_for_the_same(ci, organization, project):
    body = {"version": "shop@1.0.0", "projects": [project.slug], "ref": "main"}

    response = ci.post(releases_url(organization), body, format="json")

    assert response.status_code == 201, response.content
    document = response.json()
    assert document["version"] == "shop@1.0.0"
    assert document["shortVersion"] == "shop@1.0.0"
    assert document["ref"] == "main"
    assert document["status"] == "open"
    assert document["dateReleased"] is None
    assert document["commitCount"] == 0
    assert document["lastCommit"] is None
    assert document["versionInfo"]["package"] == "shop"
    (shown,) = document["projects"]
    assert shown["id"] == project.pk
    assert shown["slug"] == project.slug
    release = Release.objects.get(organization=organization, version="shop@1.0.0")
    assert document["id"] == release.pk
    assert release.major == 1  # its semver parts, as ingest stores them
    again = ci.post(releases_url(organization), body, format="json")
    assert again.status_code == 208, again.content
    assert Release.objects.filter(organization=organization).count() == 1


def test_post_adding_a_project_to_a_release_answers_201(ci, organization, project, team):
    other = ProjectFactory(organization=organization, teams=[team])
    release_of(project, "2.0.0")

    response = ci.post(
        releases_url(organization), {"version": "2.0.0", "projects": [other.pk]}, format="json"
    )

    assert response.status_code == 201, response.content
    assert {p["slug"] for p in response.json()["projects"]} == {project.slug, other.slug}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"projects": ["p"]}, {"version": ["This field is required."]}),
        ({"version": "a/b", "projects": []}, {"version": ["Release with name a/b is not allowed"]}),
        (
            {"version": "latest", "projects": []},
            {"version": ["Release with name latest is not allowed"]},
        ),
        ({"version": "1.0"}, {"projects": ["This field is required."]}),
        ({"version": "1.0", "projects": ["nope"]}, {"projects": ["Invalid project ids or slugs"]}),
    ],
)
def test_post_refuses_an_invalid_body_with_a_field_map(ci, organization, project, body, errors):
    response = ci.post(releases_url(organization), body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == errors
    assert not Release.objects.exists()


def test_post_with_refs_of_an_unknown_repository_answers_400_and_creates_nothing(
    ci, organization, project
):
    body = {
        "version": "1.0",
        "projects": [project.slug],
        "refs": [{"repository": "acme/missing", "commit": "abc"}],
    }

    response = ci.post(releases_url(organization), body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == {"refs": ["Invalid repository names: acme/missing"]}
    assert not Release.objects.exists()


# ---- Update: finalize and set-commits -------------------------------------------------------


def test_put_finalizes_with_date_released_and_keeps_other_fields(ci, organization, project):
    release_of(project, "1.0", ref="v1")

    response = ci.put(
        releases_url(organization, "1.0"),
        {"dateReleased": "2026-03-01T10:00:00Z", "ref": None, "projects": [project.slug]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["dateReleased"] == "2026-03-01T10:00:00Z"
    assert response.json()["ref"] == "v1"


def test_put_refs_record_each_repositorys_head_commit(ci, organization, project):
    release_of(project, "1.0")
    for name in ("acme/api", "acme/web"):
        Repository.objects.create(organization=organization, name=name)
    refs = [
        {"repository": "acme/api", "commit": "aaa111..bbb222"},
        {"repository": "acme/web", "commit": "ccc333", "previousCommit": "ddd444"},
    ]

    document = ci.put(releases_url(organization, "1.0"), {"refs": refs}, format="json").json()

    assert document["commitCount"] == 2
    assert document["lastCommit"]["id"] == "bbb222"
    assert document["lastCommit"]["repository"]["name"] == "acme/api"
    assert set(Commit.objects.values_list("key", flat=True)) == {"bbb222", "ccc333"}


def test_put_commits_store_repositories_authors_and_the_newest_commit(ci, organization, project):
    release_of(project, "1.0")
    commits = [
        {
            "id": "c2",
            "repository": "acme/api",
            "message": "Fix",
            "author_email": "a@x.io",
            "author_name": "A",
        },
        {"id": "c1", "message": "Start", "author_email": "b@x.io", "author_name": "B"},
    ]

    document = ci.put(releases_url(organization, "1.0"), {"commits": commits}, format="json").json()

    assert document["commitCount"] == 2
    assert document["lastCommit"]["id"] == "c2"
    assert document["lastCommit"]["message"] == "Fix"
    assert document["authors"] == [
        {"name": "A", "email": "a@x.io"},
        {"name": "B", "email": "b@x.io"},
    ]
    # A commit without a repository goes to the organization's default one, as in Sentry.
    assert set(Repository.objects.values_list("name", flat=True)) == {
        "acme/api",
        f"organization-{organization.pk}",
    }


def test_put_empty_refs_clears_the_commits(ci, organization, project):
    release = release_of(project, "1.0")
    repository = Repository.objects.create(organization=organization, name="acme/api")
    release_set_commits(release=release, repository=repository, commits=[{"key": "abc"}])

    document = ci.put(releases_url(organization, "1.0"), {"refs": []}, format="json").json()

    assert document["commitCount"] == 0
    assert document["lastCommit"] is None
    assert not ReleaseCommit.objects.exists()


def test_put_refuses_a_bad_ref_with_a_field_map(ci, organization, project):
    release_of(project, "1.0")

    response = ci.put(
        releases_url(organization, "1.0"),
        {"refs": [{"repository": "acme/api", "commit": "..abc"}]},
        format="json",
    )

    assert_error(response, 400, {"refs": {"0": {"commit": ["Commit cannot begin or end with .."]}}})


# ---- Deploys --------------------------------------------------------------------------------


def test_post_deploy_counts_it_on_the_release(ci, organization, project):
    release_of(project, "1.0")

    response = ci.post(
        releases_url(organization, "1.0", "deploys"),
        {"environment": "production", "name": "blue", "url": "https://ci.example/1"},
        format="json",
    )

    assert response.status_code == 201, response.content
    deploy = response.json()
    assert deploy["environment"] == "production"
    assert deploy["name"] == "blue"
    assert deploy["url"] == "https://ci.example/1"
    assert deploy["dateStarted"] is None
    document = get_json(ci, releases_url(organization, "1.0"))
    assert document["deployCount"] == 1
    assert document["lastDeploy"] == deploy


def test_post_deploy_refuses_an_invalid_environment(ci, organization, project):
    release_of(project, "1.0")

    response = ci.post(
        releases_url(organization, "1.0", "deploys"), {"environment": "a/b"}, format="json"
    )

    assert_error(response, 400, {"environment": ["Invalid value for environment"]})


def test_get_deploys_lists_the_latest_first_with_a_link(ci, organization, project):
    release = release_of(project, "1.0")
    now = timezone.now()
    for hours, name in ((2, "old"), (1, "new")):
        release_record_deploy(
            release=release,
            environment_name="prod",
            name=name,
            date_finished=now - timedelta(hours=hours),
        )

    response = ci.get(releases_url(organization, "1.0", "deploys"), {"per_page": 1})

    assert response.status_code == 200, response.content
    assert [d["name"] for d in response.json()] == ["new"]
    assert [d["name"] for d in follow(ci, links(response)["next"].url).json()] == ["old"]


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


@pytest.mark.parametrize("route", ["release", "deploy"])
def test_a_url_longer_than_its_column_is_a_400(ci, organization, project, route):
    release_of(project, "1.0")
    long_url = "https://ci.example/" + "a" * 200
    if route == "release":
        response = ci.put(releases_url(organization, "1.0"), {"url": long_url}, format="json")
    else:
        response = ci.post(
            releases_url(organization, "1.0", "deploys"),
            {"environment": "prod", "url": long_url},
            format="json",
        )

    assert_error(response, 400, {"url": ["Ensure this field has no more than 200 characters."]})


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

"""The release routes' writes as CI sends them (docs/behaviour.md, "Releases from CI"):
create, finalize, set-commits (refs and commits) and deploys, with Sentry's bodies and
statuses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from releases.models import Commit, Release, ReleaseCommit, Repository
from releases.services import release_record_deploy, release_set_commits
from tests.factories import (
    ProjectFactory,
)
from tests.helpers import (
    assert_error,
    follow,
    get_json,
    links,
)
from tests.releases.helpers import (
    release_of,
    releases_url,
)

pytestmark = pytest.mark.django_db


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
        # Text where the schema says string: a number is not turned into its text.
        ({"version": 100, "projects": []}, {"version": ["Not a valid string."]}),
        ({"version": "1.0", "projects": [], "ref": 29882}, {"ref": ["Not a valid string."]}),
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
        {
            "id": "c1",
            "message": "Start",
            "author_email": "b@x.io",
            "author_name": "B",
            "timestamp": "2026-02-03T04:05:06Z",
        },
    ]

    document = ci.put(releases_url(organization, "1.0"), {"commits": commits}, format="json").json()

    assert document["commitCount"] == 2
    assert document["lastCommit"]["id"] == "c2"
    assert document["lastCommit"]["message"] == "Fix"
    assert Commit.objects.get(key="c1").date_added.isoformat() == "2026-02-03T04:05:06+00:00"
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

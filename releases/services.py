"""Writes of releases: the commits they contain and their deploys keep the release's facts."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from issues_api.bulk import rows_for_pairs
from releases.models import Commit, Deploy, Release, ReleaseCommit, Repository
from releases.versions import parse_semver


@transaction.atomic
def release_set_commits(*, release: Release, repository: Repository, commits: list[dict]):
    """Replace the release's commits with `commits` (newest first: key, message,
    author_name, author_email) and update commitCount, lastCommit and authors."""
    stored = []
    for data in commits:
        commit, _ = Commit.objects.update_or_create(
            repository=repository,
            key=data["key"],
            defaults={
                "organization_id": release.organization_id,
                "message": data.get("message"),
                "author_name": data.get("author_name"),
                "author_email": data.get("author_email"),
            },
        )
        stored.append(commit)
    ReleaseCommit.objects.filter(release=release).delete()
    ReleaseCommit.objects.bulk_create(
        [
            ReleaseCommit(release=release, commit=commit, order=order)
            for order, commit in enumerate(stored)
        ]
    )
    authors = []
    for commit in stored:
        author = {"name": commit.author_name, "email": commit.author_email}
        if commit.author_email and author not in authors:
            authors.append(author)
    release.commit_count = len(stored)
    release.last_commit = stored[0] if stored else None
    release.authors = authors
    release.save(update_fields=["commit_count", "last_commit", "authors"])
    return stored


@transaction.atomic
def release_record_deploy(
    *, release: Release, environment_name: str, name=None, url=None, date_started=None
) -> Deploy:
    deploy = Deploy.objects.create(
        release=release,
        environment_name=environment_name,
        name=name,
        url=url,
        date_started=date_started,
        date_finished=timezone.now(),
    )
    Release.objects.filter(pk=release.pk).update(
        deploy_count=F("deploy_count") + 1, last_deploy=deploy
    )
    release.refresh_from_db(fields=["deploy_count", "last_deploy"])
    return deploy


def _semver_fields(version: str) -> dict:
    """The release's semver parts (Release.major...) when its version is one."""
    semver = parse_semver(version.partition("@")[2] or version)
    if semver is None:
        return {}
    return {
        "major": semver["major"],
        "minor": semver["minor"],
        "patch": semver["patch"],
        "revision": semver["revision"],
        "prerelease": semver["pre"] or "",
    }


def release_for_version(*, organization_id: int, version: str) -> Release:
    """The organization's release of that version, created (with its semver parts) if new."""
    release, _ = Release.objects.get_or_create(
        organization_id=organization_id, version=version, defaults=_semver_fields(version)
    )
    return release


def releases_for_versions(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Release]:
    """The releases of (organization id, version) pairs, those missing created (with their
    semver parts), in at most three queries whatever their number. Created in key order and
    skipping a release another transaction creates at the same moment, so that two writers
    wait for each other in one order and never deadlock."""
    found, _ = rows_for_pairs(
        Release,
        ("organization_id", "version"),
        keys,
        lambda org, version: Release(
            organization_id=org, version=version, **_semver_fields(version)
        ),
    )
    return found

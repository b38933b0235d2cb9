"""Writes of releases: the commits they contain and their deploys keep the release's facts."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from issues_api.bulk import rows_for_pairs
from releases.models import Commit, Deploy, Release, ReleaseCommit, ReleaseProject, Repository
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
    _replace_commits(release, stored)
    return stored


def _replace_commits(release: Release, stored: list[Commit]) -> None:
    """The release's commits become `stored` (newest first), and its commitCount,
    lastCommit and authors follow."""
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


@transaction.atomic
def release_record_deploy(
    *,
    release: Release,
    environment_name: str,
    name=None,
    url=None,
    date_started=None,
    date_finished=None,
) -> Deploy:
    """A deploy of the release (finished now unless told), counted on the release, which
    then shows it as its lastDeploy."""
    deploy = Deploy.objects.create(
        release=release,
        environment_name=environment_name,
        name=name,
        url=url,
        date_started=date_started,
        date_finished=date_finished or timezone.now(),
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


# ---- The release routes, as sentry-cli drives them from CI ------------------------------------
#
# Create a release for projects, change it (finalize: dateReleased), and give it its commits,
# from a list (`commits`) or from each repository's head commit (`refs`): Sentry's
# Release.set_commits, set_refs and clear_commits, without the repository providers. A ref's
# commit range cannot be fetched from a code host here, so the release's commits are the heads
# the refs name (docs/behaviour.md, "Releases from CI").

# The repository of commits sent without one (Sentry's set_commits).
DEFAULT_REPOSITORY = "organization-{organization_id}"


class InvalidRepository(Exception):
    """A ref names a repository the organization does not have."""


@dataclass(frozen=True)
class ReleaseChanges:
    """What a create or an update sets; None (or an empty value) leaves a field as it is, as
    Sentry's endpoints do. `refs` [] clears the commits; None leaves them."""

    ref: str | None = None
    url: str | None = None
    date_released: object = None
    commits: list[dict] | None = None
    refs: list[dict] | None = None


@transaction.atomic
def release_create(*, organization, version: str, projects, changes: ReleaseChanges):
    """The organization's release of `version` (Sentry's create is idempotent), linked to
    `projects`. Returns (release, created), created when the release or one of its project
    links is new (201; else Sentry answers 208)."""
    release, created = Release.objects.get_or_create(
        organization_id=organization.pk,
        version=version,
        defaults={
            "ref": changes.ref,
            "url": changes.url,
            "date_released": changes.date_released,
            **_semver_fields(version),
        },
    )
    release = Release.objects.select_for_update().get(pk=release.pk)
    linked = set(
        ReleaseProject.objects.filter(release=release).values_list("project_id", flat=True)
    )
    new_links = [ReleaseProject(release=release, project=p) for p in projects if p.pk not in linked]
    ReleaseProject.objects.bulk_create(new_links, ignore_conflicts=True)
    _set_commits_and_refs(release, changes)
    return release, created or bool(new_links)


@transaction.atomic
def release_update(*, release: Release, changes: ReleaseChanges) -> Release:
    """Sentry's release PUT: ref, url and dateReleased when given (finalize sets the date),
    then the commits."""
    release = Release.objects.select_for_update().get(pk=release.pk)
    fields = {
        "ref": changes.ref,
        "url": changes.url,
        "date_released": changes.date_released,
    }
    updated = [name for name, value in fields.items() if value]
    for name in updated:
        setattr(release, name, fields[name])
    if updated:
        release.save(update_fields=updated)
    _set_commits_and_refs(release, changes)
    return release


def _set_commits_and_refs(release: Release, changes: ReleaseChanges) -> None:
    if changes.commits:
        _set_commit_list(release, changes.commits)
    if changes.refs:
        _set_refs(release, changes.refs, replace=not changes.commits)
    elif changes.refs == [] and not changes.commits:
        _replace_commits(release, [])


def _set_commit_list(release: Release, commits: list[dict]) -> None:
    """Sentry's set_commits: each commit (id, repository, message, author_name,
    author_email) stored in its repository, made if new; the list's first is the newest."""
    default = DEFAULT_REPOSITORY.format(organization_id=release.organization_id)
    repositories = _repositories(release, {c.get("repository") or default for c in commits})
    stored: dict[tuple[int, str], Commit] = {}
    for data in commits:
        repository = repositories[data.get("repository") or default]
        fields = {
            "organization_id": release.organization_id,
            "message": data.get("message"),
            "author_name": data.get("author_name"),
            "author_email": data.get("author_email"),
        }
        if data.get("timestamp"):
            # The commit's own date (Sentry's date_added), shown as its dateCreated.
            fields["date_added"] = data["timestamp"]
        commit, _ = Commit.objects.update_or_create(
            repository=repository, key=data["id"], defaults=fields
        )
        stored.setdefault((repository.pk, commit.key), commit)
    _replace_commits(release, list(stored.values()))


def _repositories(release: Release, names: set[str]) -> dict[str, Repository]:
    """The organization's repositories of those names, those missing made (sorted, so two
    writers make them in one order)."""
    found = {
        repository.name: repository
        for repository in Repository.objects.filter(
            organization_id=release.organization_id, name__in=names
        )
    }
    for name in sorted(names - set(found)):
        found[name], _ = Repository.objects.get_or_create(
            organization_id=release.organization_id, name=name
        )
    return found


def head_commit(ref: dict) -> str:
    """The head a ref names: its commit, or the end of a `previous..head` range."""
    return ref["commit"].split("..", 1)[-1]


def _set_refs(release: Release, refs: list[dict], *, replace: bool) -> None:
    """Sentry's set_refs: every ref's repository must exist (InvalidRepository otherwise);
    its head commit is recorded. With `replace` (no commit list came with the refs, where
    Sentry would fetch the range from the code host) the heads become the release's
    commits."""
    names = {ref["repository"] for ref in refs}
    repositories = {
        repository.name: repository
        for repository in Repository.objects.filter(
            organization_id=release.organization_id, name__in=names
        )
    }
    missing = names - set(repositories)
    if missing:
        raise InvalidRepository(f"Invalid repository names: {','.join(sorted(missing))}")
    heads: dict[tuple[int, str], Commit] = {}
    for ref in refs:
        repository = repositories[ref["repository"]]
        commit, _ = Commit.objects.get_or_create(
            repository=repository,
            key=head_commit(ref),
            defaults={"organization_id": release.organization_id},
        )
        heads.setdefault((repository.pk, commit.key), commit)
    if replace:
        _replace_commits(release, list(heads.values()))

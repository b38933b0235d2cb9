"""Sentry's release object as the issue document embeds it (firstRelease / lastRelease)."""

from accounts.serializers import serialize_user
from issues_api.api.dates import format_datetime
from releases.versions import version_info


def serialize_commit(commit) -> dict | None:
    if commit is None:
        return None
    return {
        "id": commit.key,
        "message": commit.message,
        "dateCreated": format_datetime(commit.date_added),
        "author": {"name": commit.author_name, "email": commit.author_email}
        if commit.author_email
        else None,
        "repository": {
            "id": str(commit.repository_id),
            "name": commit.repository.name,
            "url": commit.repository.url,
        },
    }


def serialize_deploy(deploy) -> dict | None:
    if deploy is None:
        return None
    return {
        "id": str(deploy.pk),
        "environment": deploy.environment_name,
        "dateStarted": format_datetime(deploy.date_started),
        "dateFinished": format_datetime(deploy.date_finished),
        "name": deploy.name,
        "url": deploy.url,
    }


def serialize_release(release, *, release_projects, emails_by_user, requester) -> dict | None:
    """release_projects: the release's ReleaseProject rows, with their projects loaded."""
    if release is None:
        return None
    owner = release.owner
    return {
        "version": release.version,
        "shortVersion": release.version,
        "versionInfo": version_info(release.version),
        "ref": release.ref,
        "url": release.url,
        "dateReleased": format_datetime(release.date_released),
        "dateCreated": format_datetime(release.date_added),
        "data": release.data,
        "newGroups": sum(row.new_groups for row in release_projects),
        "owner": serialize_user(owner, emails=emails_by_user.get(owner.pk, []), requester=requester)
        if owner is not None
        else None,
        "commitCount": release.commit_count,
        "lastCommit": serialize_commit(release.last_commit),
        "deployCount": release.deploy_count,
        "lastDeploy": serialize_deploy(release.last_deploy),
        "authors": release.authors,
        "projects": [
            {"name": row.project.name, "slug": row.project.slug} for row in release_projects
        ],
        "firstEvent": format_datetime(release.first_event),
        "lastEvent": format_datetime(release.last_event),
    }


def serialize_release_details(release, *, release_projects, emails_by_user, requester) -> dict:
    """Sentry's ReleaseSerializer, as the release routes answer: the summary the issue
    document embeds, with the release's id and status and its projects in full."""
    document = serialize_release(
        release,
        release_projects=release_projects,
        emails_by_user=emails_by_user,
        requester=requester,
    )
    document.update(
        {
            "id": release.pk,
            # Nothing archives a release here (docs/behaviour.md).
            "status": "open",
            "projects": [
                {
                    "id": row.project_id,
                    "slug": row.project.slug,
                    "name": row.project.name,
                    "newGroups": row.new_groups,
                    "platform": row.project.platform,
                    "platforms": [row.project.platform] if row.project.platform else [],
                    "hasHealthData": False,
                }
                for row in release_projects
            ],
            "currentProjectMeta": {},
            "userAgent": None,
        }
    )
    return document


def serialize_repository(repository) -> dict:
    """Sentry's RepositorySerializer for a repository of no provider (none is integrated
    here)."""
    return {
        "id": str(repository.pk),
        "name": repository.name,
        "url": repository.url,
        "provider": {"id": "unknown", "name": "Unknown Provider"},
        "status": "active",
        "dateCreated": format_datetime(repository.date_added),
        "integrationId": None,
        "externalSlug": None,
        "externalId": None,
    }

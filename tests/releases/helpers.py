"""What the release tests share: URLs, the CI token's scopes and releases as ingest stores them."""

from releases.models import Release
from releases.services import release_for_version
from tests.factories import ReleaseProjectFactory

RELEASE_SCOPES = ["project:releases", "org:read"]


def releases_url(organization, *rest: str) -> str:
    return "/".join([f"/api/0/organizations/{organization.slug}/releases", *rest, ""])


def project_releases_url(project, *rest: str) -> str:
    base = f"/api/0/projects/{project.organization.slug}/{project.slug}/releases"
    return "/".join([base, *rest, ""])


def release_of(project, version: str, **fields) -> Release:
    """A release of the project, with its semver parts as ingest and the routes store them."""
    release = release_for_version(organization_id=project.organization_id, version=version)
    for name, value in fields.items():
        setattr(release, name, value)
    release.save()
    ReleaseProjectFactory(release=release, project=project)
    return release

"""Reads of releases."""

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce

from releases.models import Release

# Sentry treats a project as following semver when its recent releases all are semver.
SEMVER_SAMPLE = 10
# A semver release in Sentry's sense: a semantic version that names its package
# ("package@1.2.3"); a bare "1.2.3", or "@1.2.3" which names none, is ordered by date like
# any other version (Release.is_semver_version, releases.versions.is_package_release).
SEMVER_RELEASE = Q(major__isnull=False, version__contains="@") & ~Q(version__startswith="@")


def project_releases(project):
    return Release.objects.filter(projects=project, organization_id=project.organization_id)


def latest_release(project) -> Release | None:
    """The most recent release: by COALESCE(date_released, date_added), as Sentry orders."""
    return (
        project_releases(project)
        .order_by(Coalesce("date_released", "date_added").desc(), "-id")
        .first()
    )


def greatest_semver_release(project) -> Release | None:
    """The greatest semantic version; a version without pre-release beats its pre-releases."""
    return (
        project_releases(project)
        .filter(SEMVER_RELEASE)
        .order_by(
            F("major").desc(),
            F("minor").desc(),
            F("patch").desc(),
            F("revision").desc(),
            Case(
                When(prerelease="", then=Value(1)), default=Value(0), output_field=IntegerField()
            ).desc(),
            F("prerelease").desc(),
            "-date_added",
        )
        .first()
    )


def follows_semver(project) -> bool:
    return follows_semver_among(
        list(project_releases(project).order_by("-date_added")[:SEMVER_SAMPLE])
    )


def follows_semver_among(recent: list[Release]) -> bool:
    """follows_semver's rule, given the project's most recent releases (newest first)."""
    return bool(recent) and all(release.is_semver for release in recent)


def release_to_resolve_by(project) -> Release | None:
    """The basis of "resolved in next release" (newer Sentry): the greatest semver release
    when the project's versions are semver, else the most recent one; None without any."""
    if follows_semver(project):
        return greatest_semver_release(project)
    return latest_release(project)


def project_release_by_version(project, version: str) -> Release | None:
    return project_releases(project).filter(version=version).first()

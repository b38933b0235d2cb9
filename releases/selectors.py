"""Reads of releases."""

import re
from dataclasses import dataclass, field

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Project, UserEmail
from releases.models import Deploy, Release, ReleaseProject, Repository

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


# ---- The release routes (releases/apis.py) ---------------------------------------------------

# Sentry's release search keys this service filters on (sentry.api.release_search): a query
# of another shape is a free-text search of the version.
RELEASE_KEY = re.compile(r"^release:(\S+)$")
FINALIZED_KEY = re.compile(r"^finalized:(\S+)$")
# "1.0 (1234)" also finds "1.0+1234" (Sentry's _release_suffix).
RELEASE_SUFFIX = re.compile(r"^(.*)\s+\(([^)]+)\)\s*$")
RELEASE_SORTS = ("date", "semver")
# Sentry's ReleaseStatus names; nothing here is archived, so "archived" lists no release.
RELEASE_STATUSES = ("open", "archived")


def reachable_projects(organization, access):
    """The organization's projects `access` reaches (accounts.selectors.OrganizationAccess):
    every one with open membership, a global role or as an active superuser; else those of
    the member's teams. A queryset, for use as a subquery."""
    projects = Project.objects.filter(organization_id=organization.pk)
    if access.has_global_access:
        return projects
    return projects.filter(teams__members=access.member.pk)


def member_projects(organization, access):
    """The projects of the requester's teams (Sentry's "my projects", what its release list
    shows without ?project=); every project for an active superuser who is not a member."""
    projects = Project.objects.filter(organization_id=organization.pk)
    if access.member is None:
        return projects
    return projects.filter(teams__members=access.member.pk)


def _in_projects(projects) -> Exists:
    return Exists(ReleaseProject.objects.filter(release=OuterRef("pk"), project__in=projects))


def _version_search(query: str) -> Q:
    """Sentry's release search (_filter_releases_by_query) for the keys it has here:
    release:VERSION (with * wildcards), finalized:true|false, else the version contains the
    text."""
    if match := FINALIZED_KEY.fullmatch(query):
        value = match.group(1)
        if value == "true":
            return Q(date_released__isnull=False)
        if value == "false":
            return Q(date_released__isnull=True)
        return Q()
    if match := RELEASE_KEY.fullmatch(query):
        value = match.group(1).strip('"')
        inner = value.strip("*")
        if value.startswith("*") and value.endswith("*") and len(value) > 1:
            return Q(version__contains=inner)
        if value.startswith("*"):
            return Q(version__endswith=inner)
        if value.endswith("*"):
            return Q(version__startswith=inner)
        return Q(version=value)
    text = Q(version__icontains=query)
    if suffix := RELEASE_SUFFIX.match(query):
        text |= Q(version__icontains="{}+{}".format(*suffix.groups()))
    return text


def _release_rows(queryset):
    """What the release document reads with each release: owner, last commit and its
    repository, last deploy (one statement with the page)."""
    return queryset.select_related("owner", "last_commit__repository", "last_deploy")


def organization_releases(organization, *, projects, query: str | None, sort: str, status: str):
    """The releases of `projects` (a queryset of the organization's projects), as Sentry's
    organization list orders them: newest created first ("date"), or by semantic version."""
    releases = Release.objects.filter(organization_id=organization.pk).filter(
        _in_projects(projects)
    )
    if status == "archived":
        releases = releases.none()
    if query:
        releases = releases.filter(_version_search(query))
    if sort == "semver":
        ordering = [
            F(name).desc(nulls_last=True) for name in ("major", "minor", "patch", "revision")
        ]
        ordering += [
            Case(
                When(prerelease="", then=Value(1)), default=Value(0), output_field=IntegerField()
            ).desc(),
            F("prerelease").desc(),
            F("date_added").desc(),
            F("id").desc(),
        ]
        releases = releases.filter(major__isnull=False).order_by(*ordering)
    else:
        releases = releases.order_by("-date_added", "-id")
    return _release_rows(releases)


def project_release_list(project, *, query: str | None):
    """A project's releases, latest first by COALESCE(date_released, date_added), as
    Sentry's project list orders them."""
    releases = project_releases(project)
    if query:
        releases = releases.filter(_version_search(query))
    return _release_rows(releases.order_by(Coalesce("date_released", "date_added").desc(), "-id"))


def organization_release(organization, version: str, *, projects=None) -> Release:
    """The organization's release of that version, with what its document reads; when
    `projects` is given, only if it is a release of one of them or of no project (Sentry's
    has_release_permission: a release of none of the requester's projects is not found).
    Raises Release.DoesNotExist."""
    releases = Release.objects.filter(organization_id=organization.pk, version=version)
    if projects is not None:
        releases = releases.filter(
            _in_projects(projects) | ~Exists(ReleaseProject.objects.filter(release=OuterRef("pk")))
        )
    return _release_rows(releases).get()


def release_by_version(organization, version: str) -> Release | None:
    return Release.objects.filter(organization_id=organization.pk, version=version).first()


def project_release(project, version: str) -> Release:
    """The project's release of that version. Raises Release.DoesNotExist."""
    return _release_rows(project_releases(project).filter(version=version)).get()


def previous_release_with_commits(release) -> Release | None:
    """The latest release with commits of one of the release's projects, released (or else
    created) no later than it: Sentry's previous-with-commits, whose last commit sentry-cli
    takes as where the release's own commits begin. The release itself when it has some."""
    start = release.date_released or release.date_added
    its_projects = ReleaseProject.objects.filter(release=release).values("project_id")
    return (
        _release_rows(
            Release.objects.filter(organization_id=release.organization_id)
            .filter(last_commit__isnull=False)
            .filter(_in_projects(its_projects))
            .annotate(date=Coalesce("date_released", "date_added"))
            .filter(date__lte=start)
        )
        .order_by("-date", "-id")
        .first()
    )


def release_outside(release, projects) -> bool:
    """Whether the release has a project outside `projects` (Sentry's require_all_projects:
    then it may not be changed)."""
    return ReleaseProject.objects.filter(release=release).exclude(project__in=projects).exists()


@dataclass
class ReleaseParts:
    """What the release documents of a page show beyond their rows: each release's projects
    (ReleaseProject rows with their projects) and the emails of their owners."""

    release_projects: dict[int, list[ReleaseProject]] = field(default_factory=dict)
    emails_by_user: dict[int, list[UserEmail]] = field(default_factory=dict)


def release_parts(releases: list[Release]) -> ReleaseParts:
    """The parts of a page of releases in two queries at most, whatever its size."""
    parts = ReleaseParts()
    if not releases:
        return parts
    rows = ReleaseProject.objects.filter(release__in=[r.pk for r in releases]).select_related(
        "project"
    )
    for row in rows.order_by("project__slug", "project_id"):
        parts.release_projects.setdefault(row.release_id, []).append(row)
    owners = {r.owner_id for r in releases if r.owner_id is not None}
    if owners:
        for email in UserEmail.objects.filter(user_id__in=owners):
            parts.emails_by_user.setdefault(email.user_id, []).append(email)
    return parts


def deploys_of_release(release):
    """The release's deploys, latest finished first."""
    return Deploy.objects.filter(release=release).order_by("-date_finished", "-id")


def organization_repositories(organization, *, query: str | None):
    """The organization's repositories by name (Sentry's repository list order)."""
    repositories = Repository.objects.filter(organization_id=organization.pk)
    if query:
        repositories = repositories.filter(name__icontains=query)
    return repositories.order_by("name", "id")

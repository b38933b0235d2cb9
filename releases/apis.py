"""Thin endpoints of the release routes, as sentry-cli and CI scripts call them: parse, call a
selector or service, serialize (docs/behaviour.md, "Releases from CI")."""

import re

from django.db.models import Q
from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response

from accounts.apis import ProjectEndpoint
from accounts.selectors import organization_by_id_or_slug
from issues_api.api.base import SentryEndpoint
from issues_api.api.exceptions import ResourceDoesNotExist
from issues_api.api.pagination import paginate
from releases import openapi
from releases.permissions import (
    OrganizationReleasePermission,
    OrganizationRepositoryPermission,
    ProjectReleasePermission,
)
from releases.selectors import (
    RELEASE_SORTS,
    RELEASE_STATUSES,
    deploys_of_release,
    member_projects,
    organization_release,
    organization_releases,
    organization_repositories,
    previous_release_with_commits,
    project_release,
    project_release_list,
    reachable_projects,
    release_by_version,
    release_outside,
    release_parts,
)
from releases.serializers import serialize_deploy, serialize_release_details, serialize_repository
from releases.services import (
    InvalidRepository,
    release_create,
    release_record_deploy,
    release_update,
)
from releases.validators import (
    DeployValidator,
    OrganizationReleaseCreateValidator,
    ReleaseCreateValidator,
    ReleaseValidator,
)

INVALID_PROJECTS = "Invalid project ids or slugs"
PROJECT_ID = re.compile(r"[0-9]{1,18}")


def _documents(request, releases) -> list[dict]:
    parts = release_parts(releases)
    return [
        serialize_release_details(
            release,
            release_projects=parts.release_projects.get(release.pk, []),
            emails_by_user=parts.emails_by_user,
            requester=request.user,
        )
        for release in releases
    ]


def _valid(validator):
    if not validator.is_valid():
        raise ValidationError(validator.errors)
    return validator


def _write(write):
    """A service's write; a ref naming an unknown repository is Sentry's 400 on `refs`."""
    try:
        return write()
    except InvalidRepository as error:
        raise ValidationError({"refs": [str(error)]}) from error


class OrganizationReleaseEndpoint(SentryEndpoint):
    """The organization's release routes: a release scope on the token and the member's role
    (OrganizationReleasePermission), then the releases of the projects the member reaches."""

    permission_classes = [OrganizationReleasePermission]

    def get_organization(self, request, organization_id_or_slug: str):
        organization = organization_by_id_or_slug(organization_id_or_slug)
        self.check_object_permissions(request, organization)
        return organization

    def get_release(self, request, organization, version: str, *, changing: bool = False):
        """The release, when it is of a project the member reaches (or of none); to change it,
        the member must reach all its projects (Sentry's require_all_projects): 404 else."""
        projects = reachable_projects(organization, self.access)
        release = organization_release(organization, version, projects=projects)
        if changing and release_outside(release, projects):
            raise ResourceDoesNotExist
        return release


@extend_schema_view(get=openapi.list_organization_releases, post=openapi.create_release)
class OrganizationReleaseListApi(OrganizationReleaseEndpoint):
    """GET and POST /api/0/organizations/{organization_id_or_slug}/releases/."""

    def get(self, request, organization_id_or_slug):
        organization = self.get_organization(request, organization_id_or_slug)
        sort = request.query_params.get("sort") or "date"
        if sort not in RELEASE_SORTS:
            raise ParseError("invalid sort")
        status_filter = request.query_params.get("status", "open")
        if status_filter and status_filter not in RELEASE_STATUSES:
            raise ParseError("invalid value for status")
        projects = reachable_projects(organization, self.access)
        requested = request.query_params.getlist("project")
        if not requested:
            projects = member_projects(organization, self.access)
        elif "-1" not in requested:
            if not all(PROJECT_ID.fullmatch(value) for value in requested):
                raise ParseError("Invalid project parameter. Values must be numbers.")
            projects = projects.filter(pk__in=[int(value) for value in requested])
        releases, link = paginate(
            request,
            organization_releases(
                organization,
                projects=projects,
                query=request.query_params.get("query"),
                sort=sort,
                status=status_filter,
            ),
        )
        return Response(_documents(request, releases), headers={"Link": link})

    def post(self, request, organization_id_or_slug):
        organization = self.get_organization(request, organization_id_or_slug)
        validator = _valid(OrganizationReleaseCreateValidator(data=request.data))
        reachable = reachable_projects(organization, self.access)
        named = validator.validated_data["projects"]
        ids = [int(name) for name in named if PROJECT_ID.fullmatch(name)]
        by_name = {}
        for project in reachable.filter(Q(slug__in=named) | Q(pk__in=ids)):
            by_name[project.slug] = by_name[str(project.pk)] = project
        if any(name not in by_name for name in named):
            raise ValidationError({"projects": [INVALID_PROJECTS]})
        version = validator.validated_data["version"]
        existing = release_by_version(organization, version)
        if existing is not None and release_outside(existing, reachable):
            raise ValidationError(
                {"projects": ["You do not have permission to one of the projects"]}
            )
        release, created = _write(
            lambda: release_create(
                organization=organization,
                version=version,
                projects=list({p.pk: p for p in by_name.values()}.values()),
                changes=validator.changes(),
            )
        )
        release = organization_release(organization, release.version)
        return Response(
            _documents(request, [release])[0],
            status=status.HTTP_201_CREATED if created else status.HTTP_208_ALREADY_REPORTED,
        )


@extend_schema_view(get=openapi.retrieve_release, put=openapi.update_release)
class OrganizationReleaseDetailApi(OrganizationReleaseEndpoint):
    """GET and PUT /api/0/organizations/{organization_id_or_slug}/releases/{version}/."""

    def get(self, request, organization_id_or_slug, version):
        organization = self.get_organization(request, organization_id_or_slug)
        release = self.get_release(request, organization, version)
        return Response(_documents(request, [release])[0])

    def put(self, request, organization_id_or_slug, version):
        organization = self.get_organization(request, organization_id_or_slug)
        release = self.get_release(request, organization, version, changing=True)
        validator = _valid(ReleaseValidator(data=request.data))
        _write(lambda: release_update(release=release, changes=validator.changes()))
        release = organization_release(organization, release.version)
        return Response(_documents(request, [release])[0])


@extend_schema_view(get=openapi.list_deploys, post=openapi.create_deploy)
class ReleaseDeployListApi(OrganizationReleaseEndpoint):
    """GET and POST /api/0/organizations/{organization_id_or_slug}/releases/{version}/deploys/."""

    def get(self, request, organization_id_or_slug, version):
        organization = self.get_organization(request, organization_id_or_slug)
        release = self.get_release(request, organization, version)
        deploys, link = paginate(request, deploys_of_release(release))
        return Response([serialize_deploy(d) for d in deploys], headers={"Link": link})

    def post(self, request, organization_id_or_slug, version):
        organization = self.get_organization(request, organization_id_or_slug)
        release = self.get_release(request, organization, version, changing=True)
        data = _valid(DeployValidator(data=request.data)).validated_data
        deploy = release_record_deploy(
            release=release,
            environment_name=data["environment"],
            name=data.get("name") or None,
            url=data.get("url") or None,
            date_started=data.get("dateStarted"),
            date_finished=data.get("dateFinished"),
        )
        return Response(serialize_deploy(deploy), status=status.HTTP_201_CREATED)


@extend_schema_view(get=openapi.retrieve_previous_release_with_commits)
class ReleasePreviousCommitsApi(OrganizationReleaseEndpoint):
    """GET /api/0/organizations/{organization_id_or_slug}/releases/{version}/
    previous-with-commits/: what `sentry-cli releases set-commits --local` reads to know
    where the release's commits begin; {} when no release has commits yet."""

    def get(self, request, organization_id_or_slug, version):
        organization = self.get_organization(request, organization_id_or_slug)
        release = self.get_release(request, organization, version)
        previous = previous_release_with_commits(release)
        return Response({} if previous is None else _documents(request, [previous])[0])


class ProjectReleaseEndpoint(ProjectEndpoint):
    """The project's release routes (Sentry's ProjectReleasePermission on the project)."""

    permission_classes = [ProjectReleasePermission]


@extend_schema_view(get=openapi.list_project_releases, post=openapi.create_project_release)
class ProjectReleaseListApi(ProjectReleaseEndpoint):
    """GET and POST /api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/releases/."""

    def get(self, request, organization_id_or_slug, project_id_or_slug):
        project = self.get_project(request, organization_id_or_slug, project_id_or_slug)
        releases, link = paginate(
            request, project_release_list(project, query=request.query_params.get("query"))
        )
        return Response(_documents(request, releases), headers={"Link": link})

    def post(self, request, organization_id_or_slug, project_id_or_slug):
        project = self.get_project(request, organization_id_or_slug, project_id_or_slug)
        validator = _valid(ReleaseCreateValidator(data=request.data))
        release, created = _write(
            lambda: release_create(
                organization=project.organization,
                version=validator.validated_data["version"],
                projects=[project],
                changes=validator.changes(),
            )
        )
        release = project_release(project, release.version)
        return Response(
            _documents(request, [release])[0],
            status=status.HTTP_201_CREATED if created else status.HTTP_208_ALREADY_REPORTED,
        )


@extend_schema_view(get=openapi.retrieve_project_release, put=openapi.update_project_release)
class ProjectReleaseDetailApi(ProjectReleaseEndpoint):
    """GET and PUT /api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/releases/
    {version}/."""

    def get(self, request, organization_id_or_slug, project_id_or_slug, version):
        project = self.get_project(request, organization_id_or_slug, project_id_or_slug)
        return Response(_documents(request, [project_release(project, version)])[0])

    def put(self, request, organization_id_or_slug, project_id_or_slug, version):
        project = self.get_project(request, organization_id_or_slug, project_id_or_slug)
        release = project_release(project, version)
        validator = _valid(ReleaseValidator(data=request.data))
        _write(lambda: release_update(release=release, changes=validator.changes()))
        return Response(_documents(request, [project_release(project, version)])[0])


@extend_schema_view(get=openapi.list_repositories)
class OrganizationRepositoryListApi(SentryEndpoint):
    """GET /api/0/organizations/{organization_id_or_slug}/repos/: what sentry-cli reads
    before set-commits, to know the repositories of its refs."""

    permission_classes = [OrganizationRepositoryPermission]

    def get(self, request, organization_id_or_slug):
        organization = organization_by_id_or_slug(organization_id_or_slug)
        self.check_object_permissions(request, organization)
        repositories, link = paginate(
            request,
            organization_repositories(organization, query=request.query_params.get("query")),
        )
        return Response([serialize_repository(r) for r in repositories], headers={"Link": link})

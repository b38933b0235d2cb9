"""Thin endpoints for what a client offers to "assign to" and to whom a token belongs: the
projects, teams and members of an organization, a project's details, the requester's own
projects and user. Parse, call a selector, gather the page's parts, serialize."""

from drf_spectacular.utils import extend_schema_view
from rest_framework.response import Response

from accounts import directory_openapi as openapi
from accounts import documents, listings
from accounts.apis import OrganizationEndpoint, ProjectEndpoint
from accounts.permissions import MemberPermission, TeamProjectPermission, UserPermission
from accounts.serializers import serialize_self_user, serialize_user_current
from issues_api.api.base import SentryEndpoint
from issues_api.api.exceptions import ResourceDoesNotExist
from issues_api.api.pagination import paginate
from issues_api.api.prefix import url_prefix


def _project_page(request, projects, *, organization=None):
    """The page's projects with what their documents show: (projects, attrs, link)."""
    page, link = paginate(request, projects)
    if organization is not None:
        for project in page:
            project.organization = organization
    requester = listings.requester(request.user, {p.organization_id for p in page})
    return page, documents.gather_projects(page, requester), link


@extend_schema_view(get=openapi.list_organization_projects)
class OrganizationProjectListApi(OrganizationEndpoint):
    """GET /api/0/organizations/{organization_id_or_slug}/projects/."""

    def get(self, request, organization_id_or_slug):
        organization = self.load_organization(request, organization_id_or_slug)
        projects = listings.organization_projects(
            organization, user=request.user, query=request.query_params.get("query")
        )
        if request.query_params.get("all_projects") == "1":
            # Sentry's unpaged form, for its own front end.
            page, link = list(projects), None
        else:
            page, link = paginate(request, projects)
        for project in page:
            project.organization = organization
        requester = listings.requester(request.user, [organization.pk])
        attrs = documents.gather_projects(page, requester)
        body = [documents.serialize_project_summary(p, attrs[p.pk]) for p in page]
        return Response(body, headers={"Link": link} if link else None)


@extend_schema_view(get=openapi.list_your_projects)
class ProjectListApi(ProjectEndpoint):
    """GET /api/0/projects/: the projects of the requester's teams (Sentry's
    ProjectIndexEndpoint); `show=all` lists every project to an active superuser."""

    def get(self, request):
        params = request.query_params
        if params.get("show") == "all" and request.user.is_superuser and request.user.is_active:
            projects = listings.all_projects(query=params.get("query"))
        else:
            projects = listings.user_projects(
                request.user,
                query=params.get("query"),
                status=params.get("status", "active"),
                organization_id=params.get("organizationId"),
            )
        page, attrs, link = _project_page(request, projects)
        prefix = url_prefix(request)
        body = [
            documents.serialize_project_with_organization(p, attrs[p.pk], url_prefix=prefix)
            for p in page
        ]
        return Response(body, headers={"Link": link})


@extend_schema_view(get=openapi.retrieve_project)
class ProjectDetailApi(ProjectEndpoint):
    """GET /api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/ (no PUT or
    DELETE here: 405)."""

    def get(self, request, organization_id_or_slug, project_id_or_slug):
        project = self.get_project(request, organization_id_or_slug, project_id_or_slug)
        requester = listings.requester(request.user, [project.organization_id])
        attrs = documents.gather_projects([project], requester)[project.pk]
        return Response(
            documents.serialize_project_detail(project, attrs, url_prefix=url_prefix(request))
        )


@extend_schema_view(get=openapi.list_organization_teams)
class OrganizationTeamListApi(OrganizationEndpoint):
    """GET /api/0/organizations/{organization_id_or_slug}/teams/ (`detailed=0`: without
    each team's projects)."""

    def get(self, request, organization_id_or_slug):
        organization = self.load_organization(request, organization_id_or_slug)
        teams, link = paginate(
            request,
            listings.organization_teams(organization, query=request.query_params.get("query")),
        )
        for team in teams:
            team.organization = organization
        requester = listings.requester(request.user, [organization.pk])
        detailed = request.query_params.get("detailed", "1") != "0"
        projects = documents.gather_team_projects(teams, requester, detailed=detailed)
        body = [
            documents.serialize_team(
                team, requester, projects=projects.get(team.pk, []) if detailed else None
            )
            for team in teams
        ]
        return Response(body, headers={"Link": link})


@extend_schema_view(get=openapi.list_team_projects)
class TeamProjectListApi(SentryEndpoint):
    """GET /api/0/teams/{organization_id_or_slug}/{team_id_or_slug}/projects/."""

    permission_classes = [TeamProjectPermission]

    def get(self, request, organization_id_or_slug, team_id_or_slug):
        team = listings.team_for_request(request.user, organization_id_or_slug, team_id_or_slug)
        if team is None:
            raise ResourceDoesNotExist
        self.check_object_permissions(request, team)
        page, attrs, link = _project_page(
            request, listings.team_projects(team), organization=team.organization
        )
        body = [documents.serialize_project_summary(p, attrs[p.pk]) for p in page]
        return Response(body, headers={"Link": link})


@extend_schema_view(get=openapi.list_organization_members)
class OrganizationMemberListApi(OrganizationEndpoint):
    """GET /api/0/organizations/{organization_id_or_slug}/members/."""

    permission_classes = [MemberPermission]

    def get(self, request, organization_id_or_slug):
        organization = self.load_organization(request, organization_id_or_slug)
        members, link = paginate(
            request,
            listings.organization_members(organization, query=request.query_params.get("query")),
        )
        # Sentry serializes the members' users for nobody: no addresses, no options.
        body = [
            documents.serialize_member(member, serialize_user_current(member.user, emails=()))
            for member in members
        ]
        return Response(body, headers={"Link": link})


@extend_schema_view(get=openapi.retrieve_user)
class UserDetailApi(SentryEndpoint):
    """GET /api/0/users/{user_id}/: "me" (or the token owner's own id) is the token's owner;
    another user's id answers 403, an unknown one 404."""

    permission_classes = [UserPermission]

    def get(self, request, user_id):
        user = listings.user_for_request(request.user, user_id)
        if user is None:
            raise ResourceDoesNotExist
        self.check_object_permissions(request, user)
        emails = listings.user_emails([user.pk]).get(user.pk, [])
        return Response(serialize_self_user(user, emails=emails))

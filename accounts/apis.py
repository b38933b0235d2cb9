"""Thin endpoints for organizations and projects: parse, call a selector, serialize."""

from drf_spectacular.utils import extend_schema_view
from rest_framework.response import Response

from accounts import listings
from accounts.gather import GatheredOrganization, gather_organization
from accounts.openapi import list_project_keys
from accounts.permissions import OrganizationPermission, ProjectPermission
from accounts.selectors import organizations_of_user, project_for_request, project_keys
from accounts.serializers import (
    serialize_organization,
    serialize_organization_details,
    serialize_project_key,
)
from issues_api.api.base import SentryEndpoint
from issues_api.api.exceptions import ResourceDoesNotExist
from issues_api.api.pagination import paginate
from issues_api.api.prefix import url_prefix


class OrganizationEndpoint(SentryEndpoint):
    """The organization routes: a token with an org scope (OrganizationPermission), and on
    the organization of the URL, loaded by get_organization with the requester's membership
    and the parts of its details in one statement: unknown (404), then membership (403)."""

    permission_classes = [OrganizationPermission]

    def get_organization(self, request, organization_id_or_slug: str) -> GatheredOrganization:
        gathered = gather_organization(organization_id_or_slug, user=request.user)
        if gathered is None:
            raise ResourceDoesNotExist
        gathered.organization.requester_membership = gathered.membership
        self.check_object_permissions(request, gathered.organization)
        return gathered

    def load_organization(self, request, organization_id_or_slug: str):
        """The organization of the URL alone, with the requester's membership (one query),
        for the routes that list what it holds: unknown (404), then membership (403)."""
        organization = listings.organization_for_request(request.user, organization_id_or_slug)
        if organization is None:
            raise ResourceDoesNotExist
        self.check_object_permissions(request, organization)
        return organization


class OrganizationListApi(OrganizationEndpoint):
    """GET /api/0/organizations/: the requester's organizations, paginated."""

    def get(self, request):
        organizations, link = paginate(request, organizations_of_user(request.user))
        prefix = url_prefix(request)
        body = [serialize_organization(org, url_prefix=prefix) for org in organizations]
        return Response(body, headers={"Link": link})


class OrganizationDetailApi(OrganizationEndpoint):
    """GET /api/0/organizations/{organization_id_or_slug}/."""

    def get(self, request, organization_id_or_slug):
        gathered = self.get_organization(request, organization_id_or_slug)
        return Response(
            serialize_organization_details(
                gathered.organization,
                parts=gathered.parts,
                access=self.access,
                url_prefix=url_prefix(request),
            )
        )


class ProjectEndpoint(SentryEndpoint):
    """The project routes (Sentry's ProjectEndpoint): a token with a project scope, then the
    project of the URL, loaded by get_project with its organization and the requester's
    membership in one query: unknown organization or project (404), then access (403)."""

    permission_classes = [ProjectPermission]

    def get_project(self, request, organization_id_or_slug: str, project_id_or_slug: str):
        project = project_for_request(request.user, organization_id_or_slug, project_id_or_slug)
        if project is None:
            raise ResourceDoesNotExist
        self.check_object_permissions(request, project)
        return project


@extend_schema_view(get=list_project_keys)
class ProjectKeyListApi(ProjectEndpoint):
    """GET /api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/keys/."""

    def get(self, request, organization_id_or_slug, project_id_or_slug):
        project = self.get_project(request, organization_id_or_slug, project_id_or_slug)
        superuser = request.user.is_superuser and request.user.is_active
        keys, link = paginate(
            request,
            project_keys(
                project=project, status=request.query_params.get("status"), internal=superuser
            ),
        )
        prefix = url_prefix(request)
        body = [
            serialize_project_key(key, url_prefix=prefix, show_use_case=superuser) for key in keys
        ]
        return Response(body, headers={"Link": link})

"""Thin endpoints for organizations: parse, call a selector, serialize."""

from rest_framework.response import Response

from accounts.gather import GatheredOrganization, gather_organization
from accounts.permissions import OrganizationPermission
from accounts.selectors import organizations_of_user
from accounts.serializers import serialize_organization, serialize_organization_details
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

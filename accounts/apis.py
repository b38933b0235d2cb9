"""Thin endpoints for organizations: parse, call a selector, serialize."""

from rest_framework.response import Response

from accounts.gather import GatheredOrganization, gather_organization
from accounts.selectors import organization_access, organizations_of_user
from accounts.serializers import serialize_organization, serialize_organization_details
from issues_api.api.base import SentryEndpoint
from issues_api.api.exceptions import ResourceDoesNotExist
from issues_api.api.pagination import paginate
from issues_api.api.permissions import ScopedPermission
from issues_api.api.prefix import url_prefix

ORG_READ_SCOPES = ("org:read", "org:write", "org:admin")


class OrganizationPermission(ScopedPermission):
    """Sentry's OrganizationPermission for reads: the token needs an org scope; on an
    organization, the requester must also be a member (or an active superuser)."""

    scope_map = {"GET": ORG_READ_SCOPES, "HEAD": ORG_READ_SCOPES}

    def has_object_permission(self, request, view, obj):
        # The organization endpoints read the membership with the organization (accounts.gather).
        access = organization_access(
            request.user,
            token_scopes=request.auth.get_scopes(),
            organization=obj,
            **(
                {"member": obj.requester_membership} if hasattr(obj, "requester_membership") else {}
            ),
        )
        view.access = access
        allowed = self.scope_map.get(request.method, ())
        return access is not None and any(scope in access.scopes for scope in allowed)


class OrganizationEndpoint(SentryEndpoint):
    """Loads the organization of the URL, with the requester's membership and the parts of
    its details, in one statement: unknown (404), then membership (403)."""

    permission_classes = [OrganizationPermission]

    def get_organization(self, request, organization_id_or_slug: str) -> GatheredOrganization:
        gathered = gather_organization(organization_id_or_slug, user=request.user)
        if gathered is None:
            raise ResourceDoesNotExist
        gathered.organization.requester_membership = gathered.membership
        self.check_object_permissions(request, gathered.organization)
        return gathered


class OrganizationListApi(SentryEndpoint):
    """GET /api/0/organizations/: the requester's organizations, paginated."""

    permission_classes = [OrganizationPermission]

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

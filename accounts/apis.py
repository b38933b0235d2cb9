"""Thin endpoints for organizations: parse, call a selector, serialize."""

from rest_framework.response import Response

from accounts.models import Organization
from accounts.selectors import (
    organization_access,
    organization_by_id_or_slug,
    organization_parts,
    organizations_of_user,
)
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
        access = organization_access(
            request.user, token_scopes=request.auth.get_scopes(), organization=obj
        )
        view.access = access
        allowed = self.scope_map.get(request.method, ())
        return access is not None and any(scope in access.scopes for scope in allowed)


class OrganizationEndpoint(SentryEndpoint):
    """Loads the organization of the URL: unknown (404), then membership (403)."""

    permission_classes = [OrganizationPermission]

    def get_organization(self, request, organization_id_or_slug: str) -> Organization:
        try:
            organization = organization_by_id_or_slug(organization_id_or_slug)
        except Organization.DoesNotExist:
            raise ResourceDoesNotExist from None
        self.check_object_permissions(request, organization)
        return organization


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
        organization = self.get_organization(request, organization_id_or_slug)
        parts = organization_parts(organization, member=self.access.member)
        return Response(
            serialize_organization_details(
                organization,
                parts=parts,
                access=self.access,
                url_prefix=url_prefix(request),
            )
        )

"""Who may read an organization or a project: Sentry's OrganizationPermission and
ProjectPermission, in the shape every endpoint's permission has (ScopedPermission).

An endpoint that read the requester's membership with the object (in the statement that
loaded it) leaves it on the object as `requester_membership` (None for none): the check then
runs no query of its own.
"""

from accounts.models import Organization
from accounts.scopes import SCOPES
from accounts.selectors import Access, organization_access, project_access
from issues_api.api.permissions import ScopedPermission

ORG_READ_SCOPES = ("org:read", "org:write", "org:admin")
PROJECT_READ_SCOPES = ("project:read", "project:write", "project:admin")
MEMBER_READ_SCOPES = ("member:read", "member:write", "member:admin")


def _membership_read_with(obj, keyword: str) -> dict:
    """`{keyword: membership}` when the endpoint read it with `obj`; else {} (the selector
    reads it)."""
    if hasattr(obj, "requester_membership"):
        return {keyword: obj.requester_membership}
    return {}


class OrganizationPermission(ScopedPermission):
    """Sentry's OrganizationPermission for reads: the token needs an org scope; on an
    organization, the requester must also be a member (or an active superuser)."""

    scope_map = {"GET": ORG_READ_SCOPES, "HEAD": ORG_READ_SCOPES}

    def access_for(self, request, obj):
        return organization_access(
            request.user,
            token_scopes=request.auth.get_scopes(),
            organization=obj,
            **_membership_read_with(obj, "member"),
        )


class ProjectPermission(OrganizationPermission):
    """Sentry's ProjectPermission: on a project (or on what `project_of` leads to one from),
    membership and, with closed membership, team access (accounts.selectors.project_access).

    On an organization it checks what OrganizationPermission checks, as Sentry's does first:
    an endpoint that finds nothing to check more closely in an organization answers 403 to a
    non-member before its 404.
    """

    scope_map = {"GET": PROJECT_READ_SCOPES, "HEAD": PROJECT_READ_SCOPES}

    def project_of(self, obj):
        return obj

    def access_for(self, request, obj):
        if isinstance(obj, Organization):
            return super().access_for(request, obj)
        return project_access(
            request.user,
            token_scopes=request.auth.get_scopes(),
            project=self.project_of(obj),
            **_membership_read_with(obj, "membership"),
        )


class MemberPermission(OrganizationPermission):
    """Sentry's MemberPermission for reads (the member list): a member scope, and membership."""

    scope_map = {"GET": MEMBER_READ_SCOPES, "HEAD": MEMBER_READ_SCOPES}


class TeamProjectPermission(OrganizationPermission):
    """Sentry's TeamProjectPermission for reads: a project scope; on a team, membership of its
    organization and access to the team (every team with open membership or a role that
    reaches all; else the requester's own teams: `requester_on_team`, read with the team)."""

    scope_map = {"GET": PROJECT_READ_SCOPES, "HEAD": PROJECT_READ_SCOPES}

    def access_for(self, request, obj):
        access = super().access_for(request, obj.organization)
        if access is None or not (access.has_global_access or obj.requester_on_team):
            return None
        return access


class UserPermission(ScopedPermission):
    """Who may read a user (GET /api/0/users/me/): the token's owner, with a token of any
    scope (docs/behaviour.md, Decision 18); another user is refused, as Sentry refuses a token
    read of someone else."""

    scope_map = {"GET": SCOPES, "HEAD": SCOPES}

    def access_for(self, request, obj):
        if obj.pk != request.user.pk:
            return None
        return Access(scopes=request.auth.get_scopes())

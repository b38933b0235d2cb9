"""Token scopes per method, and organization membership for objects."""

from rest_framework.permissions import BasePermission

from accounts.selectors import user_can_access_organization


class ScopedPermission(BasePermission):
    """Accept a request whose token holds one of the scopes listed for its method.

    OPTIONS is a CORS preflight and needs no credentials.
    """

    scope_map: dict[str, tuple[str, ...]] = {}

    def has_permission(self, request, view):
        if request.method == "OPTIONS":
            return True
        if request.user is None or not request.user.is_authenticated:
            return False
        allowed = self.scope_map.get(request.method, ())
        scopes = request.auth.get_scopes() if request.auth is not None else frozenset()
        return any(scope in scopes for scope in allowed)


class IssuePermission(ScopedPermission):
    scope_map = {
        "GET": ("event:read", "event:write", "event:admin"),
        "HEAD": ("event:read", "event:write", "event:admin"),
        "PUT": ("event:write", "event:admin"),
        "DELETE": ("event:admin",),
    }

    def has_object_permission(self, request, view, obj):
        return user_can_access_organization(
            request.user, organization_id=obj.project.organization_id
        )

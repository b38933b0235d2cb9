"""Token scopes per method; membership, team access and role scopes for objects."""

from rest_framework.permissions import BasePermission

from accounts.selectors import project_access


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
        if not hasattr(view, request.method.lower()):
            # A method the endpoint lacks: let DRF answer 405 (after 401, as Sentry does).
            return True
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
        """Membership and team access to the issue's project, and the method's scope among
        the token's scopes cut down to the member's role. The access is kept on the view."""
        # The issue endpoints read the membership with the issue (issues.gather).
        access = project_access(
            request.user,
            token_scopes=request.auth.get_scopes(),
            project=obj.project,
            **(
                {"membership": obj.requester_membership}
                if hasattr(obj, "requester_membership")
                else {}
            ),
        )
        view.access = access
        allowed = self.scope_map.get(request.method, ())
        return access is not None and any(scope in access.scopes for scope in allowed)

"""The one shape of every endpoint's permission: Sentry's ScopedPermission on DRF's.

A request first needs a token holding one of the scopes its method accepts (has_permission,
before any lookup: 403 without it, after 401 without credentials). Then, on the object the
endpoint loaded (view.check_object_permissions), the requester's access to it: what the
token's scopes leave once cut down to the requester's role there, which must still hold one
of them. The apps say what access to their objects is (`access_for`, in the app that owns
the models: accounts.permissions, issues.permissions); this module names no app.
"""

from rest_framework.permissions import BasePermission


class ScopedPermission(BasePermission):
    """Accept a request whose token holds one of the scopes listed for its method, then an
    object the requester has access to with one of those scopes left. The access is kept on
    the view (`view.access`), for handlers that need its scopes.

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
        scopes = request.auth.get_scopes() if request.auth is not None else frozenset()
        return self.allows(request, scopes)

    def has_object_permission(self, request, view, obj):
        access = self.access_for(request, obj)
        view.access = access
        return access is not None and self.allows(request, access.scopes)

    def access_for(self, request, obj):
        """The requester's access to `obj` (anything with `scopes`), or None for none at all."""
        raise NotImplementedError(f"{type(self).__name__} checks no {type(obj).__name__}")

    def allows(self, request, scopes) -> bool:
        return any(scope in scopes for scope in self.scope_map.get(request.method, ()))

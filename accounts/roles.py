"""Sentry's organization roles and the scopes each grants (SENTRY_ROLES, conf/server.py)."""

from accounts.scopes import SCOPES

_MEMBER = {
    "event:read",
    "event:write",
    "event:admin",
    "project:releases",
    "project:read",
    "org:read",
    "member:read",
    "team:read",
    "alerts:read",
    "alerts:write",
}
_ADMIN = _MEMBER | {
    "org:integrations",
    "project:write",
    "project:admin",
    "team:write",
    "team:admin",
}
_MANAGER = _ADMIN | {"member:write", "member:admin", "org:write"}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "member": frozenset(_MEMBER),
    "admin": frozenset(_ADMIN),
    "manager": frozenset(_MANAGER),
    "owner": frozenset(SCOPES),
}

# Roles that reach every project of the organization even with closed membership.
GLOBAL_ROLES = frozenset({"manager", "owner"})

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


def reaches_every_project(organization, role: str) -> bool:
    """Open membership (the default) or a global role: every project, not only the teams'."""
    return organization.allow_joinleave or role in GLOBAL_ROLES

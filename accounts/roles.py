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


# Sentry's team roles (SENTRY_TEAM_ROLES) and the least one each organization role holds on
# every team it reaches (minimumTeamRole): what a project's and a team's `access` lists. This
# service keeps no team role of its own, so a member's is always the least of its org role.
_CONTRIBUTOR = {
    "event:read",
    "event:write",
    "team:read",
    "project:read",
    "project:releases",
    "org:read",
    "member:read",
    "alerts:read",
}
_TEAM_ADMIN = _CONTRIBUTOR | {
    "event:admin",
    "team:write",
    "team:admin",
    "project:write",
    "project:admin",
    "alerts:write",
    "org:integrations",
}
TEAM_ROLE_SCOPES: dict[str, frozenset[str]] = {
    "contributor": frozenset(_CONTRIBUTOR),
    "admin": frozenset(_TEAM_ADMIN),
}
MINIMUM_TEAM_ROLE = {
    "member": "contributor",
    "admin": "admin",
    "manager": "admin",
    "owner": "admin",
}


def team_role(role: str | None) -> str | None:
    """The team role an organization role holds on a team (None for no role)."""
    return MINIMUM_TEAM_ROLE.get(role) if role else None

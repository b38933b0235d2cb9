"""Sentry's API scopes and which ones each method of the issue endpoint accepts."""

SCOPES = (
    "org:read",
    "org:write",
    "org:admin",
    "org:integrations",
    "member:read",
    "member:write",
    "member:admin",
    "team:read",
    "team:write",
    "team:admin",
    "project:read",
    "project:write",
    "project:admin",
    "project:releases",
    "event:read",
    "event:write",
    "event:admin",
    "alerts:read",
    "alerts:write",
)

EVENT_SCOPES = ("event:read", "event:write", "event:admin")

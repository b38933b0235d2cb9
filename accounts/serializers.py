"""Sentry's user object (the 2020 UserSerializer shape), organization objects and client keys."""

import hashlib
from dataclasses import asdict
from urllib.parse import urlencode

from accounts.dsn import key_urls
from accounts.models import OrganizationMember
from issues_api.api.dates import format_datetime

AVATAR_QUERY = urlencode({"s": 32, "d": "mm"})


def gravatar_url(email: str | None) -> str:
    """The 32-pixel Gravatar of an email (of "" without one, as Sentry's get_gravatar_url)."""
    digest = hashlib.md5((email or "").strip().lower().encode(), usedforsecurity=False)
    return f"https://secure.gravatar.com/avatar/{digest.hexdigest()}?{AVATAR_QUERY}"


def avatar_url(user) -> str:
    return gravatar_url(user.email)


def serialize_user(user, *, emails, requester=None) -> dict:
    """A user, with identities, options and flags only when the requester is that user."""
    data = {
        "id": str(user.pk),
        "name": user.get_display_name(),
        "username": user.username,
        "email": user.email,
        "avatarUrl": avatar_url(user),
        "isActive": user.is_active,
        "hasPasswordAuth": user.has_usable_password(),
        "isManaged": user.is_managed,
        "dateJoined": format_datetime(user.date_joined),
        "lastLogin": format_datetime(user.last_login),
        "has2fa": user.has_2fa,
        "lastActive": format_datetime(user.last_active),
        "isSuperuser": user.is_superuser,
        "isStaff": user.is_staff,
        "avatar": {"avatarType": user.avatar_type, "avatarUuid": user.avatar_uuid},
        "emails": [
            {"id": str(email.pk), "email": email.email, "is_verified": email.is_verified}
            for email in emails
        ],
    }
    if requester is not None and requester.pk == user.pk:
        data["identities"] = []
        data["options"] = {
            "language": user.language,
            "stacktraceOrder": user.stacktrace_order,
            "timezone": user.timezone,
            "clock24Hours": user.clock_24_hours,
        }
        data["flags"] = {"newsletter_consent_prompt": user.newsletter_consent_prompt}
    return data


LETTER_AVATAR = {"avatarType": "letter_avatar", "avatarUuid": None}

# What Sentry's organization flags and auth config give an organization that changed none of
# them, derived rather than stored: nothing here governs them (no invitations, no project
# creation through the API, no SSO; and a self-hosted Sentry lets its superusers in whatever
# prevent_superuser_access says). docs/behaviour.md §16.
ORGANIZATION_SETTINGS = {
    # not flags.disable_member_invite
    "allowMemberInvite": True,
    # not flags.disable_member_project_creation
    "allowMemberProjectCreation": True,
    # not flags.prevent_superuser_access
    "allowSuperuserAccess": True,
}


def serialize_organization(organization, *, url_prefix: str) -> dict:
    """Sentry's organization summary (OrganizationSerializer). Organizations here are always
    active, with no avatar upload, early-adopter flag, 2FA requirement, feature flags or auth
    provider; both links point at this service (url_prefix:
    issues_api.api.prefix.url_prefix)."""
    return {
        "id": str(organization.pk),
        "slug": organization.slug,
        "name": organization.name,
        "dateCreated": format_datetime(organization.date_created),
        "status": {"id": "active", "name": "active"},
        "avatar": dict(LETTER_AVATAR),
        "isEarlyAdopter": False,
        "require2FA": False,
        **ORGANIZATION_SETTINGS,
        "features": [],
        "links": {"organizationUrl": url_prefix, "regionUrl": url_prefix},
        "hasAuthProvider": False,
    }


def _team(team, *, parts, access) -> dict:
    is_member = team.pk in parts.member_team_ids
    return {
        "id": str(team.pk),
        "slug": team.slug,
        "name": team.name,
        "dateCreated": format_datetime(team.date_added),
        "isMember": is_member,
        "hasAccess": access.has_global_access or is_member,
        "isPending": False,
        "memberCount": team.member_count,
        "avatar": dict(LETTER_AVATAR),
    }


def _project(project, *, parts, access) -> dict:
    teams = parts.project_teams.get(project.pk, [])
    is_member = any(team.pk in parts.member_team_ids for team in teams)
    return {
        "id": str(project.pk),
        "slug": project.slug,
        "name": project.name,
        "platform": project.platform,
        "dateCreated": format_datetime(project.date_added),
        "isMember": is_member,
        "hasAccess": access.has_global_access or is_member,
        "teams": [{"id": str(team.pk), "slug": team.slug, "name": team.name} for team in teams],
    }


def serialize_organization_details(organization, *, parts, access, url_prefix: str) -> dict:
    """The summary plus what this service knows: the requester's role and scopes, the roles,
    open membership, and the teams and projects with the requester's membership and access.
    Settings it does not keep (data scrubbing, quotas, onboarding...) are left out."""
    role = access.member.role if access.member is not None else None
    data = serialize_organization(organization, url_prefix=url_prefix)
    data.update(
        {
            "role": role,
            "orgRole": role,
            "access": sorted(access.scopes),
            "openMembership": organization.allow_joinleave,
            "defaultRole": OrganizationMember.Role.MEMBER.value,
            "availableRoles": [
                {"id": value, "name": str(label)}
                for value, label in OrganizationMember.Role.choices
            ],
            "teams": [_team(team, parts=parts, access=access) for team in parts.teams],
            "projects": [
                _project(project, parts=parts, access=access) for project in parts.projects
            ],
        }
    )
    return data


# The browser SDK majors Sentry's JS loader offers, newest first; this service serves no
# loader, so a key keeps Sentry's default: the newest.
BROWSER_SDK_VERSIONS = ("10.x", "9.x", "8.x", "7.x")
# What Sentry's loader options are for a key created with its project (and never changed).
DYNAMIC_SDK_LOADER_OPTIONS = {
    "hasReplay": True,
    "hasPerformance": True,
    "hasDebug": False,
    "hasFeedback": False,
    "hasLogsAndMetrics": False,
}


def serialize_project_key(key, *, url_prefix: str, show_use_case: bool = False) -> dict:
    """Sentry's client key (ProjectKeySerializer): its DSN and the other ingest URLs under
    url_prefix (accounts.dsn). useCase is shown to active superusers only, as in Sentry."""
    urls = key_urls(
        project_id=key.project_id,
        public_key=key.public_key,
        secret_key=key.secret_key,
        prefix=url_prefix,
    )
    rate_limit = None
    if key.rate_limit_count and key.rate_limit_window:
        rate_limit = {"window": key.rate_limit_window, "count": key.rate_limit_count}
    data = {
        "id": key.public_key,
        "name": key.name,
        # Sentry keeps label for compatibility: the same as name.
        "label": key.name,
        "public": key.public_key,
        "secret": key.secret_key,
        "projectId": key.project_id,
        "isActive": key.is_active,
        "rateLimit": rate_limit,
        "dsn": asdict(urls),
        "browserSdkVersion": BROWSER_SDK_VERSIONS[0],
        "browserSdk": {"choices": [[version, version] for version in BROWSER_SDK_VERSIONS]},
        "dateCreated": format_datetime(key.date_added),
        "dynamicSdkLoaderOptions": dict(DYNAMIC_SDK_LOADER_OPTIONS),
    }
    if show_use_case:
        data["useCase"] = key.use_case
    return data


def serialize_user_current(user, *, emails, requester=None) -> dict:
    """A user as Sentry's current UserSerializer shows it (members, users/me): the 2020 shape
    of serialize_user with isSuspended, experiments and the avatar's URL; the addresses only
    to the user themself or a superuser, options and flags only to the user themself.
    `requester` None: serialized for nobody, as the member list's users are."""
    is_self = requester is not None and requester.pk == user.pk
    shows_emails = is_self or (requester is not None and requester.is_superuser)
    data = {
        "id": str(user.pk),
        "name": user.get_display_name(),
        "username": user.username,
        "email": user.email,
        "avatarUrl": avatar_url(user),
        "isActive": user.is_active,
        "isSuspended": False,
        "hasPasswordAuth": user.has_usable_password(),
        "isManaged": user.is_managed,
        "dateJoined": format_datetime(user.date_joined),
        "lastLogin": format_datetime(user.last_login),
        "has2fa": user.has_2fa,
        "lastActive": format_datetime(user.last_active),
        "isSuperuser": user.is_superuser,
        "isStaff": user.is_staff,
        "emails": [
            {"id": str(email.pk), "email": email.email, "is_verified": email.is_verified}
            for email in emails
        ]
        if shows_emails
        else [],
        "experiments": {},
    }
    if is_self:
        data["options"] = {
            "theme": "system",
            "language": user.language,
            "stacktraceOrder": user.stacktrace_order,
            "defaultIssueEvent": "recommended",
            "timezone": user.timezone,
            "clock24Hours": user.clock_24_hours,
            "prefersIssueDetailsStreamlinedUI": None,
        }
        data["flags"] = {"newsletter_consent_prompt": user.newsletter_consent_prompt}
    data["avatar"] = {
        "avatarType": user.avatar_type,
        "avatarUuid": user.avatar_uuid,
        "avatarUrl": None,
    }
    if is_self:
        data["identities"] = []
    return data


def serialize_self_user(user, *, emails) -> dict:
    """Sentry's DetailedSelfUserSerializer, for the user themself (GET /api/0/users/me/):
    no admin permissions or 2FA authenticators are kept here."""
    return {
        **serialize_user_current(user, emails=emails, requester=user),
        "permissions": [],
        "authenticators": [],
    }

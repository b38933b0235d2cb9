"""Sentry's project, team and member documents (ProjectSerializer and its summary, detail and
with-organization forms, TeamSerializer, OrganizationMemberSerializer): `gather_*` reads what
a page of them shows in a fixed number of queries (Sentry's get_attrs), `serialize_*` builds
one document from what was gathered and runs no query.

Sentry's keys for what this service does not keep (bookmarks, transactions, replays, profiles,
insight modules, symbol sources, data scrubbing settings, ...) carry the values Sentry gives a
project that has none of it (docs/behaviour.md §11).
"""

import colorsys
import hashlib
from dataclasses import dataclass, field

from django.utils.crypto import salted_hmac

from accounts import listings, project_facts
from accounts.roles import GLOBAL_ROLES, TEAM_ROLE_SCOPES, team_role
from accounts.serializers import serialize_organization
from issues_api.api.dates import format_datetime

# The flags Sentry sets once a project has sent data of a kind this service does not take
# (transactions, sessions, replays, ...): always false here. In Sentry's order.
DATA_FLAGS = (
    "hasMinifiedStackTrace",
    "hasMonitors",
    "hasProfiles",
    "hasReplays",
    "hasFeedbacks",
    "hasFlags",
    "hasNewFeedbacks",
    "hasSessions",
    "hasInsightsHttp",
    "hasInsightsDb",
    "hasInsightsAssets",
    "hasInsightsAppStart",
    "hasInsightsScreenLoad",
    "hasInsightsVitals",
    "hasInsightsCaches",
    "hasInsightsQueues",
    "hasInsightsAgentMonitoring",
    "hasInsightsMCP",
    "hasLogs",
    "hasTraceMetrics",
)
LETTER_AVATAR = {"avatarType": "letter_avatar", "avatarUuid": None}


def project_color(slug: str) -> str:
    """Sentry's Project.color: a color hashed from the upper-cased slug (get_hashed_color)."""
    value = int(hashlib.md5(slug.upper().encode(), usedforsecurity=False).hexdigest()[:3], 16)
    red, green, blue = colorsys.hls_to_rgb(value / 4096.0, 0.5, 0.5)
    return f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"


def access_scopes(requester: listings.Requester, organization_id: int, *, has_access: bool):
    """What Sentry lists as the requester's `access` to a project or team: the scopes of the
    team role its organization role holds there (an active superuser's is the owner's)."""
    role = "owner" if requester.is_superuser else requester.roles.get(organization_id)
    if not has_access or role is None:
        return []
    return sorted(TEAM_ROLE_SCOPES[team_role(role)])


def reaches(requester: listings.Requester, organization, *, is_member: bool) -> bool:
    """Sentry's hasAccess: a member of one of its teams, an active superuser, open
    membership, or a role that reaches every team."""
    return (
        is_member
        or requester.is_superuser
        or organization.allow_joinleave
        or requester.roles.get(organization.pk) in GLOBAL_ROLES
    )


# ---- Projects -------------------------------------------------------------------------------


@dataclass
class ProjectAttrs:
    is_member: bool
    has_access: bool
    access: list[str]
    teams: list[dict]
    facts: dict = field(default_factory=dict)


def gather_projects(projects, requester: listings.Requester) -> dict[int, ProjectAttrs]:
    """What the documents of these projects show (each with its organization loaded): their
    teams, the requester's membership and access, their facts. Three queries, or none for an
    empty page."""
    if not projects:
        return {}
    ids = [project.pk for project in projects]
    teams = listings.project_teams(ids)
    facts = project_facts.read(ids)
    gathered = {}
    for project in projects:
        own = teams.get(project.pk, [])
        is_member = any(team.pk in requester.team_ids for team in own)
        has_access = reaches(requester, project.organization, is_member=is_member)
        gathered[project.pk] = ProjectAttrs(
            is_member=is_member,
            has_access=has_access,
            access=access_scopes(requester, project.organization_id, has_access=has_access),
            teams=[{"id": str(t.pk), "slug": t.slug, "name": t.name} for t in own],
            facts={name: project_facts.fact(facts, name, project.pk) for name in facts},
        )
    return gathered


def _first_event(attrs: ProjectAttrs) -> str | None:
    return format_datetime(attrs.facts.get("firstEvent"))


def serialize_project(project, attrs: ProjectAttrs) -> dict:
    """Sentry's ProjectSerializer: the project as teams' and organizations' lists show it."""
    return {
        "id": str(project.pk),
        "slug": project.slug,
        "name": project.name,
        "platform": project.platform,
        "dateCreated": format_datetime(project.date_added),
        "isBookmarked": False,
        "isMember": attrs.is_member,
        "features": [],
        "firstEvent": _first_event(attrs),
        "firstTransactionEvent": False,
        "access": attrs.access,
        "hasAccess": attrs.has_access,
        **dict.fromkeys(DATA_FLAGS, False),
        "isInternal": False,
        "isPublic": False,
        "avatar": dict(LETTER_AVATAR),
        "color": project_color(project.slug),
        "status": "active",
    }


def serialize_project_summary(project, attrs: ProjectAttrs) -> dict:
    """Sentry's ProjectSummarySerializer (an organization's and a team's project lists)."""
    return {
        "team": attrs.teams[0] if attrs.teams else None,
        "teams": attrs.teams,
        "id": str(project.pk),
        "slug": project.slug,
        "name": project.name,
        "isBookmarked": False,
        "isMember": attrs.is_member,
        "access": attrs.access,
        "hasAccess": attrs.has_access,
        "dateCreated": format_datetime(project.date_added),
        "environments": [],
        "features": [],
        "firstEvent": _first_event(attrs),
        "firstTransactionEvent": False,
        **dict.fromkeys(DATA_FLAGS, False),
        "platform": project.platform,
        "platforms": [],
        "latestRelease": attrs.facts.get("latestRelease"),
        "hasUserReports": False,
        "latestDeploys": None,
    }


def serialize_project_with_organization(project, attrs: ProjectAttrs, *, url_prefix) -> dict:
    """Sentry's ProjectWithOrganizationSerializer (GET /api/0/projects/)."""
    return {
        **serialize_project(project, attrs),
        "organization": serialize_organization(project.organization, url_prefix=url_prefix),
    }


# Sentry's defaults for the settings of a project that never changed them.
PROJECT_OPTIONS = {
    "sentry:csp_ignored_sources_defaults": True,
    "sentry:csp_ignored_sources": "",
    "filters:blacklisted_ips": "",
    "filters:react-hydration-errors": True,
    "filters:chunk-load-error": True,
    "filters:releases": "",
    "filters:error_messages": "",
    "feedback:branding": True,
    "sentry:feedback_user_report_notifications": False,
    "sentry:feedback_ai_spam_detection": False,
    "sentry:replay_rage_click_issues": False,
    "sentry:replay_hydration_error_issues": False,
    "sentry:toolbar_allowed_origins": "",
    "quotas:spike-protection-disabled": None,
}
SUBJECT_TEMPLATE = "$shortID - $title"
# The digests backend's defaults, in seconds.
DIGESTS_MIN_DELAY = 300
DIGESTS_MAX_DELAY = 1800


def security_token(project) -> str:
    """Sentry's per-project security token (sent with its source-map fetches): stable for a
    project, derived from SECRET_KEY here rather than stored."""
    token = salted_hmac("accounts.project.security_token", str(project.pk), algorithm="sha256")
    return token.hexdigest()[:32]


def serialize_project_detail(project, attrs: ProjectAttrs, *, url_prefix: str) -> dict:
    """Sentry's DetailedProjectSerializer (GET /api/0/projects/{org}/{project}/)."""
    organization = serialize_organization(project.organization, url_prefix=url_prefix)
    data = serialize_project(project, attrs)
    if attrs.teams:
        data["team"] = attrs.teams[0]
    data.update(
        {
            "teams": attrs.teams,
            "latestRelease": attrs.facts.get("latestRelease"),
            "options": dict(PROJECT_OPTIONS),
            "digestsMinDelay": DIGESTS_MIN_DELAY,
            "digestsMaxDelay": DIGESTS_MAX_DELAY,
            "subjectPrefix": "[Sentry]",
            "allowedDomains": ["*"],
            "resolveAge": 0,
            "dataScrubber": True,
            "dataScrubberDefaults": True,
            "safeFields": [],
            "storeCrashReports": None,
            "sensitiveFields": [],
            "subjectTemplate": SUBJECT_TEMPLATE,
            "securityToken": security_token(project),
            "securityTokenHeader": None,
            "verifySSL": False,
            "scrubIPAddresses": False,
            "scrapeJavaScript": True,
            "highlightTags": [],
            "highlightContext": {},
            "highlightPreset": {"tags": [], "context": {}},
            "groupingConfig": project.grouping_config,
            "groupingEnhancements": "",
            "derivedGroupingEnhancements": "",
            "secondaryGroupingExpiry": 0,
            "secondaryGroupingConfig": None,
            "fingerprintingRules": "",
            "organization": organization,
            "platforms": [],
            "processingIssues": 0,
            "defaultEnvironment": None,
            "relayPiiConfig": None,
            "builtinSymbolSources": [],
            "dynamicSamplingBiases": None,
            "symbolSources": "[]",
            "isDynamicallySampled": False,
            "tempestFetchScreenshots": False,
            "autofixAutomationTuning": "off",
            "seerScannerAutomation": False,
            "seerNightshiftTweaks": None,
            "scmSourceContextEnabled": False,
            "debugFilesRole": None,
            "enableAutoReleaseCreation": True,
        }
    )
    return data


# ---- Teams ----------------------------------------------------------------------------------


def gather_team_projects(teams, requester: listings.Requester, *, detailed: bool):
    """{team id: [(project, attrs)]} of a page of teams, for `detailed` documents (Sentry's
    default): the teams' projects and their parts, four queries; none without `detailed`."""
    if not detailed or not teams:
        return {}
    by_team = listings.teams_projects([team.pk for team in teams])
    organizations = {team.organization_id: team.organization for team in teams}
    projects = {p.pk: p for projects in by_team.values() for p in projects}
    for project in projects.values():
        project.organization = organizations[project.organization_id]
    attrs = gather_projects(list(projects.values()), requester)
    return {
        team_id: [(project, attrs[project.pk]) for project in team_projects]
        for team_id, team_projects in by_team.items()
    }


def serialize_team(team, requester: listings.Requester, *, projects=None) -> dict:
    """Sentry's TeamSerializer; `projects` ([(project, attrs)]) for the detailed form, which
    also lists the team's external teams (none here)."""
    is_member = team.pk in requester.team_ids
    has_access = reaches(requester, team.organization, is_member=is_member)
    data = {
        "id": str(team.pk),
        "slug": team.slug,
        "name": team.name,
        "dateCreated": format_datetime(team.date_added),
        "isMember": is_member,
        "teamRole": team_role(requester.roles.get(team.organization_id)) if is_member else None,
        "flags": {"idp:provisioned": False},
        "access": access_scopes(requester, team.organization_id, has_access=has_access),
        "hasAccess": has_access,
        "isPending": False,
        "memberCount": team.member_count,
        "avatar": {**LETTER_AVATAR, "avatarUrl": None},
    }
    if projects is not None:
        data["externalTeams"] = []
        data["projects"] = [serialize_project(project, attrs) for project, attrs in projects]
    return data


# ---- Members --------------------------------------------------------------------------------

MEMBER_FLAGS = (
    "idp:provisioned",
    "idp:role-restricted",
    "sso:linked",
    "sso:invalid",
    "member-limit:restricted",
    "partnership:restricted",
)


def serialize_member(member, user_document: dict) -> dict:
    """Sentry's OrganizationMemberSerializer of an accepted member (no invitations here)."""
    return {
        "id": str(member.pk),
        "email": member.user.email,
        "name": user_document["name"],
        "user": user_document,
        "orgRole": member.role,
        "pending": False,
        "expired": False,
        "flags": dict.fromkeys(MEMBER_FLAGS, False),
        "dateCreated": format_datetime(member.date_added),
        "inviteStatus": "approved",
        "inviterName": None,
    }

"""The JSON Schema (OpenAPI 3.0 dialect) of the project, team, member and user documents
(accounts.documents, accounts.serializers): the components accounts.directory_openapi adds to
the served schema. Every key a document writes is required, but for those Sentry leaves out
(`team` of a project with none, a team's projects with detailed=0)."""

from accounts.documents import DATA_FLAGS, MEMBER_FLAGS, PROJECT_OPTIONS
from accounts.openapi import _object
from accounts.serializers import ORGANIZATION_SETTINGS

STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
INTEGER = {"type": "integer"}
DATETIME = {"type": "string", "format": "date-time"}
STRINGS = {"type": "array", "items": STRING}
OPEN_OBJECT = {"type": "object", "additionalProperties": {}}


def nullable(schema: dict) -> dict:
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None], "nullable": True}
    return {**schema, "nullable": True}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


AVATAR = _object({"avatarType": STRING, "avatarUuid": nullable(STRING)})
AVATAR_WITH_URL = _object(
    {"avatarType": STRING, "avatarUuid": nullable(STRING), "avatarUrl": nullable(STRING)}
)
TEAM_SUMMARY = _object({"id": STRING, "slug": STRING, "name": STRING})
ACCESS = {**STRINGS, "description": "The requester's scopes in it (its team role's)."}
FLAGS = {key: {**BOOLEAN, "enum": [False]} for key in DATA_FLAGS}

PROJECT = _object(
    {
        "id": STRING,
        "slug": STRING,
        "name": STRING,
        "platform": nullable(STRING),
        "dateCreated": DATETIME,
        "isBookmarked": BOOLEAN,
        "isMember": {**BOOLEAN, "description": "The requester is on one of its teams."},
        "features": STRINGS,
        "firstEvent": nullable(DATETIME),
        "firstTransactionEvent": BOOLEAN,
        "access": ACCESS,
        "hasAccess": BOOLEAN,
        **FLAGS,
        "isInternal": BOOLEAN,
        "isPublic": BOOLEAN,
        "avatar": AVATAR,
        "color": {**STRING, "pattern": "^#[0-9a-f]{6}$"},
        "status": {**STRING, "enum": ["active"]},
    },
    description="A project (Sentry's ProjectSerializer).",
)
PROJECT_SUMMARY = _object(
    {
        "team": nullable(TEAM_SUMMARY),
        "teams": {"type": "array", "items": TEAM_SUMMARY},
        "id": STRING,
        "slug": STRING,
        "name": STRING,
        "isBookmarked": BOOLEAN,
        "isMember": BOOLEAN,
        "access": ACCESS,
        "hasAccess": BOOLEAN,
        "dateCreated": DATETIME,
        "environments": STRINGS,
        "features": STRINGS,
        "firstEvent": nullable(DATETIME),
        "firstTransactionEvent": BOOLEAN,
        **FLAGS,
        "platform": nullable(STRING),
        "platforms": STRINGS,
        "latestRelease": nullable(_object({"version": STRING})),
        "hasUserReports": BOOLEAN,
        "latestDeploys": nullable(OPEN_OBJECT),
    },
    description="A project in an organization's or a team's list (ProjectSummarySerializer).",
)
ORGANIZATION = _object(
    {
        "id": STRING,
        "slug": STRING,
        "name": STRING,
        "dateCreated": DATETIME,
        "status": _object({"id": STRING, "name": STRING}),
        "avatar": AVATAR,
        "isEarlyAdopter": BOOLEAN,
        "require2FA": BOOLEAN,
        **dict.fromkeys(ORGANIZATION_SETTINGS, BOOLEAN),
        "features": STRINGS,
        "links": _object({"organizationUrl": STRING, "regionUrl": STRING}),
        "hasAuthProvider": BOOLEAN,
    }
)
PROJECT_WITH_ORGANIZATION = {
    **PROJECT,
    "properties": {**PROJECT["properties"], "organization": ORGANIZATION},
    "required": [*PROJECT["required"], "organization"],
    "description": "A project with its organization (ProjectWithOrganizationSerializer).",
}
PROJECT_DETAIL = _object(
    {
        **PROJECT["properties"],
        "team": TEAM_SUMMARY,
        "teams": {"type": "array", "items": TEAM_SUMMARY},
        "latestRelease": nullable(_object({"version": STRING})),
        "options": _object({name: {} for name in PROJECT_OPTIONS}),
        "digestsMinDelay": INTEGER,
        "digestsMaxDelay": INTEGER,
        "subjectPrefix": STRING,
        "allowedDomains": STRINGS,
        "resolveAge": INTEGER,
        "dataScrubber": BOOLEAN,
        "dataScrubberDefaults": BOOLEAN,
        "safeFields": STRINGS,
        "storeCrashReports": nullable(INTEGER),
        "sensitiveFields": STRINGS,
        "subjectTemplate": STRING,
        "securityToken": STRING,
        "securityTokenHeader": nullable(STRING),
        "verifySSL": BOOLEAN,
        "scrubIPAddresses": BOOLEAN,
        "scrapeJavaScript": BOOLEAN,
        "highlightTags": STRINGS,
        "highlightContext": OPEN_OBJECT,
        "highlightPreset": _object({"tags": STRINGS, "context": OPEN_OBJECT}),
        "groupingConfig": STRING,
        "groupingEnhancements": STRING,
        "derivedGroupingEnhancements": STRING,
        "secondaryGroupingExpiry": INTEGER,
        "secondaryGroupingConfig": nullable(STRING),
        "fingerprintingRules": STRING,
        "organization": ORGANIZATION,
        "platforms": STRINGS,
        "processingIssues": INTEGER,
        "defaultEnvironment": nullable(STRING),
        "relayPiiConfig": nullable(STRING),
        "builtinSymbolSources": STRINGS,
        "dynamicSamplingBiases": nullable({"type": "array", "items": OPEN_OBJECT}),
        "symbolSources": STRING,
        "isDynamicallySampled": BOOLEAN,
        "tempestFetchScreenshots": BOOLEAN,
        "autofixAutomationTuning": STRING,
        "seerScannerAutomation": BOOLEAN,
        "seerNightshiftTweaks": {"nullable": True},
        "scmSourceContextEnabled": BOOLEAN,
        "debugFilesRole": nullable(STRING),
        "enableAutoReleaseCreation": BOOLEAN,
    },
    # Sentry leaves `team` out of a project with no team.
    optional=("team",),
    description="A project's details (DetailedProjectSerializer).",
)
TEAM = _object(
    {
        "id": STRING,
        "slug": STRING,
        "name": STRING,
        "dateCreated": nullable(DATETIME),
        "isMember": BOOLEAN,
        "teamRole": nullable({**STRING, "enum": ["contributor", "admin"]}),
        "flags": _object({"idp:provisioned": BOOLEAN}),
        "access": ACCESS,
        "hasAccess": BOOLEAN,
        "isPending": BOOLEAN,
        "memberCount": INTEGER,
        "avatar": AVATAR_WITH_URL,
        "externalTeams": {"type": "array", "items": OPEN_OBJECT},
        "projects": {"type": "array", "items": ref("Project")},
    },
    optional=("externalTeams", "projects"),
    description="A team (TeamSerializer); with its projects unless detailed=0.",
)
EMAILS = {
    "type": "array",
    "items": _object({"id": STRING, "email": STRING, "is_verified": BOOLEAN}),
}
USER = _object(
    {
        "id": STRING,
        "name": STRING,
        "username": STRING,
        "email": STRING,
        "avatarUrl": STRING,
        "isActive": BOOLEAN,
        "isSuspended": BOOLEAN,
        "hasPasswordAuth": BOOLEAN,
        "isManaged": BOOLEAN,
        "dateJoined": DATETIME,
        "lastLogin": nullable(DATETIME),
        "has2fa": BOOLEAN,
        "lastActive": nullable(DATETIME),
        "isSuperuser": BOOLEAN,
        "isStaff": BOOLEAN,
        "emails": EMAILS,
        "experiments": OPEN_OBJECT,
        "avatar": AVATAR_WITH_URL,
    },
    description="A user (Sentry's UserSerializer), as another user sees it.",
)
SELF_USER = _object(
    {
        **USER["properties"],
        "options": _object(
            {
                "theme": STRING,
                "language": STRING,
                "stacktraceOrder": INTEGER,
                "defaultIssueEvent": STRING,
                "timezone": STRING,
                "clock24Hours": BOOLEAN,
                "prefersIssueDetailsStreamlinedUI": nullable(BOOLEAN),
            }
        ),
        "flags": _object({"newsletter_consent_prompt": BOOLEAN}),
        "identities": {"type": "array", "items": OPEN_OBJECT},
        "permissions": STRINGS,
        "authenticators": {"type": "array", "items": OPEN_OBJECT},
    },
    description="The token's owner (Sentry's DetailedSelfUserSerializer).",
)
MEMBER = _object(
    {
        "id": STRING,
        "email": STRING,
        "name": STRING,
        "user": ref("User"),
        "orgRole": {**STRING, "enum": ["member", "admin", "manager", "owner"]},
        "pending": BOOLEAN,
        "expired": BOOLEAN,
        "flags": _object(dict.fromkeys(MEMBER_FLAGS, BOOLEAN)),
        "dateCreated": DATETIME,
        "inviteStatus": {**STRING, "enum": ["approved"]},
        "inviterName": nullable(STRING),
    },
    description="A member of an organization (OrganizationMemberSerializer).",
)

COMPONENTS = {
    "Project": PROJECT,
    "ProjectSummary": PROJECT_SUMMARY,
    "ProjectWithOrganization": PROJECT_WITH_ORGANIZATION,
    "ProjectDetail": PROJECT_DETAIL,
    "Team": TEAM,
    "User": USER,
    "SelfUser": SELF_USER,
    "OrganizationMember": MEMBER,
}

"""JSON Schema building blocks (OpenAPI 3.0 dialect: `nullable`) and the shapes of the
documents nested in the issue documents: users, releases, commits, status details, activity.
issues/documents.py gives each key of the issue documents its schema from these;
issues/openapi.py builds the components. Nested objects whose shape varies (metadata, activity
data, releases' data) stay open with additionalProperties."""

import copy

from issues.models import ActivityType


def nullable(schema: dict) -> dict:
    result = copy.deepcopy(schema)
    result["nullable"] = True
    if "enum" in result and None not in result["enum"]:
        result["enum"] = [*result["enum"], None]
    return result


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time"}
OPEN_OBJECT = {"type": "object", "additionalProperties": {}}


def obj(properties: dict, *, optional: tuple[str, ...] = (), **extra) -> dict:
    """An object requiring every property except `optional`; other keys stay allowed."""
    required = [name for name in properties if name not in optional]
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


# accounts/serializers.py serialize_user; identities, options and flags only for the requester.
USER = obj(
    {
        "id": STRING,
        "name": STRING,
        "username": STRING,
        "email": STRING,
        "avatarUrl": STRING,
        "isActive": BOOLEAN,
        "hasPasswordAuth": BOOLEAN,
        "isManaged": BOOLEAN,
        "dateJoined": DATETIME,
        "lastLogin": nullable(DATETIME),
        "has2fa": BOOLEAN,
        "lastActive": nullable(DATETIME),
        "isSuperuser": BOOLEAN,
        "isStaff": BOOLEAN,
        "avatar": obj({"avatarType": STRING, "avatarUuid": nullable(STRING)}),
        "emails": {
            "type": "array",
            "items": obj({"id": STRING, "email": STRING, "is_verified": BOOLEAN}),
        },
        "identities": {"type": "array", "items": OPEN_OBJECT},
        "options": OPEN_OBJECT,
        "flags": OPEN_OBJECT,
    },
    optional=("identities", "options", "flags"),
)

# statusDetails.actor: the user with the keys current Sentry's schema requires there.
ACTOR = copy.deepcopy(USER)
ACTOR["properties"].update({"experiments": OPEN_OBJECT, "isSuspended": BOOLEAN})
ACTOR["required"] += ["experiments", "isSuspended"]

# releases/serializers.py serialize_commit and serialize_deploy.
COMMIT = obj(
    {
        "id": STRING,
        "message": nullable(STRING),
        "dateCreated": nullable(DATETIME),
        "author": nullable(obj({"name": nullable(STRING), "email": STRING})),
        "repository": obj({"id": STRING, "name": STRING, "url": nullable(STRING)}),
    }
)
DEPLOY = obj(
    {
        "id": STRING,
        "environment": nullable(STRING),
        "dateStarted": nullable(DATETIME),
        "dateFinished": nullable(DATETIME),
        "name": nullable(STRING),
        "url": nullable(STRING),
    }
)

# releases/serializers.py serialize_release.
RELEASE = obj(
    {
        "version": STRING,
        "shortVersion": STRING,
        "versionInfo": nullable(OPEN_OBJECT),
        "ref": nullable(STRING),
        "url": nullable(STRING),
        "dateReleased": nullable(DATETIME),
        "dateCreated": DATETIME,
        "data": OPEN_OBJECT,
        "newGroups": INTEGER,
        "owner": nullable(USER),
        "commitCount": INTEGER,
        "lastCommit": nullable(COMMIT),
        "deployCount": INTEGER,
        "lastDeploy": nullable(DEPLOY),
        "authors": {"type": "array", "items": {}},
        "projects": {"type": "array", "items": obj({"name": STRING, "slug": STRING})},
        "firstEvent": nullable(DATETIME),
        "lastEvent": nullable(DATETIME),
    }
)

# issues/serializers.py shown_status: the keys depend on the status, none is always there.
STATUS_DETAILS = obj(
    {
        "ignoreCount": INTEGER,
        "ignoreUntil": DATETIME,
        "ignoreUserCount": INTEGER,
        "ignoreUserWindow": INTEGER,
        "ignoreWindow": INTEGER,
        "actor": nullable(ACTOR),
        "inNextRelease": BOOLEAN,
        "inRelease": STRING,
        "inCommit": nullable(COMMIT),
        "autoResolved": BOOLEAN,
    },
    optional=(
        "ignoreCount",
        "ignoreUntil",
        "ignoreUserCount",
        "ignoreUserWindow",
        "ignoreWindow",
        "actor",
        "inNextRelease",
        "inRelease",
        "inCommit",
        "autoResolved",
    ),
    description="{} when there is nothing to report (unresolved, or resolved without details).",
)

ASSIGNED_TO = nullable(
    obj(
        {"type": {"type": "string", "enum": ["user", "team"]}, "id": STRING, "name": STRING},
        description="The assignee: a user (with its email) or a team (its slug as name).",
    )
)
ASSIGNED_TO["properties"]["email"] = STRING

ACTIVITY = obj(
    {
        "id": STRING,
        "user": nullable(USER),
        "type": {"type": "string", "enum": list(ActivityType.labels)},
        "data": OPEN_OBJECT,
        "dateCreated": DATETIME,
    }
)
SEEN_BY = copy.deepcopy(USER)
SEEN_BY["properties"]["lastSeen"] = DATETIME
SEEN_BY["required"].append("lastSeen")
STATS_SERIES = {
    "type": "array",
    "items": {
        "type": "array",
        "items": INTEGER,
        "minItems": 2,
        "maxItems": 2,
        "description": "[bucket start as a Unix timestamp, number of events]",
    },
}

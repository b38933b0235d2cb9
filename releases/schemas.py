"""The documents and bodies of the release routes as JSON Schema (OpenAPI 3.0 dialect:
`nullable`): releases/serializers.py's serialize_release_details, serialize_deploy and
serialize_repository, and what releases/validators.py accepts. releases/openapi.py describes
the operations with them; COMPONENTS joins the schema's components."""

from releases.validators import (
    MAX_COMMIT_LENGTH,
    MAX_ENVIRONMENT_LENGTH,
    MAX_URL_LENGTH,
    MAX_VERSION_LENGTH,
)

# The service answers 400 to a NUL character in the URL or the body.
NO_NUL = "^[^\\u0000]*$"
STRING = {"type": "string"}
TEXT = {"type": "string", "pattern": NO_NUL}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time"}
OPEN_OBJECT = {"type": "object", "additionalProperties": {}}


def nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _object(properties: dict, *, optional: tuple[str, ...] = (), **extra) -> dict:
    required = [name for name in properties if name not in optional]
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


COMMIT = _object(
    {
        "id": STRING,
        "message": nullable(STRING),
        "dateCreated": nullable(DATETIME),
        "author": nullable(_object({"name": nullable(STRING), "email": STRING})),
        "repository": _object({"id": STRING, "name": STRING, "url": nullable(STRING)}),
    }
)
DEPLOY = _object(
    {
        "id": STRING,
        "environment": STRING,
        "dateStarted": nullable(DATETIME),
        "dateFinished": DATETIME,
        "name": nullable(STRING),
        "url": nullable(STRING),
    },
    description="A deploy of a release (Sentry's DeploySerializer).",
)
RELEASE = _object(
    {
        "id": INTEGER,
        "version": STRING,
        "status": {**STRING, "enum": ["open"]},
        "shortVersion": STRING,
        "versionInfo": nullable(OPEN_OBJECT),
        "ref": nullable(STRING),
        "url": nullable(STRING),
        "dateReleased": nullable(DATETIME),
        "dateCreated": DATETIME,
        "data": OPEN_OBJECT,
        "newGroups": INTEGER,
        "owner": nullable({**OPEN_OBJECT, "description": "The owner, as a user document."}),
        "commitCount": INTEGER,
        "lastCommit": nullable(COMMIT),
        "deployCount": INTEGER,
        "lastDeploy": nullable(DEPLOY),
        "authors": {
            "type": "array",
            "items": _object({"name": nullable(STRING), "email": STRING}),
        },
        "projects": {
            "type": "array",
            "items": _object(
                {
                    "id": INTEGER,
                    "slug": STRING,
                    "name": STRING,
                    "newGroups": INTEGER,
                    "platform": nullable(STRING),
                    "platforms": {"type": "array", "items": STRING},
                    "hasHealthData": BOOLEAN,
                }
            ),
        },
        "firstEvent": nullable(DATETIME),
        "lastEvent": nullable(DATETIME),
        "currentProjectMeta": OPEN_OBJECT,
        "userAgent": nullable(STRING),
    },
    description="A release (Sentry's ReleaseSerializer).",
)
REPOSITORY = _object(
    {
        "id": STRING,
        "name": STRING,
        "url": nullable(STRING),
        "provider": _object({"id": STRING, "name": STRING}),
        "status": STRING,
        "dateCreated": DATETIME,
        "integrationId": nullable(STRING),
        "externalSlug": nullable(STRING),
        "externalId": nullable(STRING),
    },
    description="A repository of the organization (Sentry's RepositorySerializer).",
)

SHA = {**TEXT, "maxLength": MAX_COMMIT_LENGTH}
COMMIT_DATA = _object(
    {
        "id": {**SHA, "minLength": 1, "description": "The commit's sha."},
        "repository": nullable(
            {**TEXT, "maxLength": 200, "description": "Made when new; default organization-ID."}
        ),
        "message": nullable(TEXT),
        "author_name": nullable({**TEXT, "maxLength": 128}),
        "author_email": nullable({**STRING, "format": "email", "maxLength": 75}),
        "timestamp": nullable(DATETIME),
    },
    optional=("repository", "message", "author_name", "author_email", "timestamp"),
)
REF = _object(
    {
        "repository": {
            **TEXT,
            "minLength": 1,
            "maxLength": 200,
            "description": "A repository of the organization (GET .../repos/).",
        },
        "commit": {
            **TEXT,
            "minLength": 1,
            "maxLength": 2 * MAX_COMMIT_LENGTH + 2,
            "description": "The head commit, or a range previous..head.",
        },
        "previousCommit": nullable(SHA),
    },
    optional=("previousCommit",),
)
RELEASE_UPDATE_FIELDS = {
    "ref": nullable({**TEXT, "maxLength": MAX_VERSION_LENGTH}),
    "url": nullable({**TEXT, "format": "uri", "maxLength": MAX_URL_LENGTH}),
    "dateReleased": nullable({**DATETIME, "description": "Set by sentry-cli's finalize."}),
    "commits": {
        "type": "array",
        "items": COMMIT_DATA,
        "description": "The release's commits, newest first; they replace its commits.",
    },
    "refs": {
        "type": "array",
        "items": REF,
        "description": (
            "Each repository's head commit; without `commits` the heads become the release's "
            "commits. An empty list clears them."
        ),
    },
}
RELEASE_UPDATE = _object(
    RELEASE_UPDATE_FIELDS,
    optional=tuple(RELEASE_UPDATE_FIELDS),
    description="Every field is optional; unknown keys are ignored.",
)
VERSION = {
    **TEXT,
    "minLength": 1,
    "maxLength": MAX_VERSION_LENGTH,
    "description": 'No slash or control whitespace; not ".", ".." or "latest".',
}
PROJECT_RELEASE_CREATE = _object(
    {"version": VERSION, **RELEASE_UPDATE_FIELDS}, optional=tuple(RELEASE_UPDATE_FIELDS)
)
RELEASE_CREATE = _object(
    {
        "version": VERSION,
        "projects": {
            "type": "array",
            "items": {"anyOf": [{**TEXT, "maxLength": 200}, {"type": "integer"}]},
            "description": "Slugs or ids of the projects of the release.",
        },
        **RELEASE_UPDATE_FIELDS,
    },
    optional=tuple(RELEASE_UPDATE_FIELDS),
)
DEPLOY_CREATE = _object(
    {
        "environment": {
            "type": "string",
            "pattern": "^[^\\n\\r\\f/\\u0000]+$",
            "maxLength": MAX_ENVIRONMENT_LENGTH,
            "description": "No slash or line break.",
        },
        "name": nullable({**TEXT, "maxLength": 64}),
        "url": nullable({**TEXT, "format": "uri", "maxLength": MAX_URL_LENGTH}),
        "dateStarted": nullable(DATETIME),
        "dateFinished": nullable({**DATETIME, "description": "Now when not given."}),
    },
    optional=("name", "url", "dateStarted", "dateFinished"),
)

COMPONENTS = {
    "Release": RELEASE,
    "Deploy": DEPLOY,
    "Repository": REPOSITORY,
    "ReleaseCreate": RELEASE_CREATE,
    "ProjectReleaseCreate": PROJECT_RELEASE_CREATE,
    "ReleaseUpdate": RELEASE_UPDATE,
    "DeployCreate": DEPLOY_CREATE,
}

"""The OpenAPI description of the release routes, served with the issue routes' (issues.openapi
keeps the routes of RELEASE_ROUTES and adds COMPONENTS to the schema).

The documents follow releases/serializers.py (serialize_release_details, serialize_deploy,
serialize_repository) and the bodies releases/validators.py; errors use the schema's shared
"Error" ({"detail": ...}) and "ValidationError" (a field map) components.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts.openapi import CURSOR_PATTERN
from releases.permissions import (
    RELEASE_READ_SCOPES,
    RELEASE_WRITE_SCOPES,
    REPOSITORY_READ_SCOPES,
)
from releases.selectors import RELEASE_SORTS, RELEASE_STATUSES
from releases.validators import (
    MAX_COMMIT_LENGTH,
    MAX_ENVIRONMENT_LENGTH,
    MAX_URL_LENGTH,
    MAX_VERSION_LENGTH,
)

ORGANIZATION_RELEASES = "/api/0/organizations/{organization_id_or_slug}/releases/"
ORGANIZATION_RELEASE = ORGANIZATION_RELEASES + "{version}/"
DEPLOYS = ORGANIZATION_RELEASE + "deploys/"
PREVIOUS_WITH_COMMITS = ORGANIZATION_RELEASE + "previous-with-commits/"
REPOSITORIES = "/api/0/organizations/{organization_id_or_slug}/repos/"
PROJECT_RELEASES = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/releases/"
PROJECT_RELEASE = PROJECT_RELEASES + "{version}/"
RELEASE_ROUTES = (
    ORGANIZATION_RELEASES,
    ORGANIZATION_RELEASE,
    DEPLOYS,
    PREVIOUS_WITH_COMMITS,
    REPOSITORIES,
    PROJECT_RELEASES,
    PROJECT_RELEASE,
)

PATH_PARAMETER_DESCRIPTIONS = {
    "version": "The version of the release (anything but a slash).",
}

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


def _ref(name: str) -> dict:
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
            "items": {**TEXT, "maxLength": 200},
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


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=_ref("Error"), description=description)


INVALID_BODY = OpenApiResponse(
    response=_ref("ValidationError"),
    description="An invalid body (a field map), or a NUL character in the URL.",
)


def _errors(scopes, not_found: str) -> dict:
    return {
        401: _error("No credentials, or a token that is unknown, expired or of an inactive user."),
        403: _error(
            "The token holds none of "
            + ", ".join(scopes)
            + ", or the user is not a member (or has no access to the project)."
        ),
        404: _error(not_found),
        429: _error("Rate limited (only when ISSUES_API_RATE_LIMIT is set)."),
    }


PAGING = [
    OpenApiParameter(
        name="cursor",
        type={"type": "string", "pattern": CURSOR_PATTERN},
        location=OpenApiParameter.QUERY,
        description="A page's cursor, from the Link header.",
    ),
    OpenApiParameter(
        name="per_page",
        type={"type": "integer", "minimum": 1, "maximum": 100},
        location=OpenApiParameter.QUERY,
        description="Items per page, 1 to 100 (default 100); `limit` is accepted too.",
    ),
    OpenApiParameter(
        name="Link",
        type=str,
        location=OpenApiParameter.HEADER,
        response=[200],
        required=True,
        description="Sentry's pagination links (rel previous and next).",
    ),
]
QUERY = OpenApiParameter(
    name="query",
    type={**TEXT},
    location=OpenApiParameter.QUERY,
    description=(
        "release:VERSION (* as a wildcard at either end), finalized:true|false, or text the "
        "version contains."
    ),
)


def _page_of(name: str, description: str) -> OpenApiResponse:
    return OpenApiResponse(response={"type": "array", "items": _ref(name)}, description=description)


NO_ORGANIZATION = "No such organization."
NO_RELEASE = "No such organization or release (or none the member may see)."
NO_PROJECT_RELEASE = "No such organization, project or release of the project."

list_organization_releases = extend_schema(
    operation_id="listOrganizationReleases",
    summary="List an organization's releases",
    description=(
        "The releases of the requester's projects (those of the member's teams; ?project= "
        "names others, -1 all the member reaches), newest first or by semantic version."
    ),
    tags=["Releases"],
    parameters=[
        QUERY,
        OpenApiParameter(
            name="project",
            type={"type": "array", "items": {"type": "string", "pattern": "^(-1|[0-9]{1,18})$"}},
            location=OpenApiParameter.QUERY,
            explode=True,
            description="Project ids (repeatable); -1 for every project the member reaches.",
        ),
        OpenApiParameter(
            name="sort",
            type={"type": "string", "enum": list(RELEASE_SORTS)},
            location=OpenApiParameter.QUERY,
            description="date (default) or semver; other values answer 400.",
        ),
        OpenApiParameter(
            name="status",
            type={"type": "string", "enum": list(RELEASE_STATUSES)},
            location=OpenApiParameter.QUERY,
            description="open (default) or archived; other values answer 400.",
        ),
        *PAGING,
    ],
    responses={
        200: _page_of("Release", "The releases."),
        400: _error("An invalid cursor, per_page, sort, status or project."),
    }
    | _errors(RELEASE_READ_SCOPES, NO_ORGANIZATION),
)

_CREATED = {
    201: OpenApiResponse(response=_ref("Release"), description="Created (or a project added)."),
    208: OpenApiResponse(
        response=_ref("Release"), description="The release existed with those projects."
    ),
    400: INVALID_BODY,
}

create_release = extend_schema(
    operation_id="createRelease",
    summary="Create a release (sentry-cli releases new)",
    description="Idempotent: an existing version answers 208 unless a project is added.",
    tags=["Releases"],
    request={"application/json": _ref("ReleaseCreate")},
    responses=_CREATED | _errors(RELEASE_WRITE_SCOPES, NO_ORGANIZATION),
)

retrieve_release = extend_schema(
    operation_id="retrieveRelease",
    summary="Retrieve a release",
    tags=["Releases"],
    responses={
        200: OpenApiResponse(response=_ref("Release"), description="The release."),
        400: _error("A NUL character in the URL."),
    }
    | _errors(RELEASE_READ_SCOPES, NO_RELEASE),
)

update_release = extend_schema(
    operation_id="updateRelease",
    summary="Update a release (finalize, set-commits)",
    tags=["Releases"],
    request={"application/json": _ref("ReleaseUpdate")},
    responses={
        200: OpenApiResponse(response=_ref("Release"), description="The release, as updated."),
        400: INVALID_BODY,
    }
    | _errors(RELEASE_WRITE_SCOPES, NO_RELEASE),
)

list_deploys = extend_schema(
    operation_id="listReleaseDeploys",
    summary="List a release's deploys",
    description="Latest finished first.",
    tags=["Releases"],
    parameters=PAGING,
    responses={
        200: _page_of("Deploy", "The deploys."),
        400: _error("An invalid cursor or per_page."),
    }
    | _errors(RELEASE_READ_SCOPES, NO_RELEASE),
)

create_deploy = extend_schema(
    operation_id="createReleaseDeploy",
    summary="Create a deploy (sentry-cli releases deploys new)",
    description="The release then shows it as its lastDeploy and counts it in deployCount.",
    tags=["Releases"],
    request={"application/json": _ref("DeployCreate")},
    responses={
        201: OpenApiResponse(response=_ref("Deploy"), description="The deploy."),
        400: INVALID_BODY,
    }
    | _errors(RELEASE_WRITE_SCOPES, NO_RELEASE),
)

list_project_releases = extend_schema(
    operation_id="listProjectReleases",
    summary="List a project's releases",
    description="Latest first, by the date released or else created.",
    tags=["Releases"],
    parameters=[QUERY, *PAGING],
    responses={
        200: _page_of("Release", "The releases."),
        400: _error("An invalid cursor or per_page."),
    }
    | _errors(RELEASE_READ_SCOPES, "No such organization or project."),
)

create_project_release = extend_schema(
    operation_id="createProjectRelease",
    summary="Create a release of a project",
    tags=["Releases"],
    request={"application/json": _ref("ProjectReleaseCreate")},
    responses=_CREATED | _errors(RELEASE_WRITE_SCOPES, "No such organization or project."),
)

retrieve_project_release = extend_schema(
    operation_id="retrieveProjectRelease",
    summary="Retrieve a release of a project",
    tags=["Releases"],
    responses={
        200: OpenApiResponse(response=_ref("Release"), description="The release."),
        400: _error("A NUL character in the URL."),
    }
    | _errors(RELEASE_READ_SCOPES, NO_PROJECT_RELEASE),
)

update_project_release = extend_schema(
    operation_id="updateProjectRelease",
    summary="Update a release of a project",
    tags=["Releases"],
    request={"application/json": _ref("ReleaseUpdate")},
    responses={
        200: OpenApiResponse(response=_ref("Release"), description="The release, as updated."),
        400: INVALID_BODY,
    }
    | _errors(RELEASE_WRITE_SCOPES, NO_PROJECT_RELEASE),
)

list_repositories = extend_schema(
    operation_id="listRepositories",
    summary="List an organization's repositories",
    description="By name; the repositories a release's refs may name.",
    tags=["Releases"],
    parameters=[QUERY, *PAGING],
    responses={
        200: _page_of("Repository", "The repositories."),
        400: _error("An invalid cursor or per_page."),
    }
    | _errors(REPOSITORY_READ_SCOPES, NO_ORGANIZATION),
)

retrieve_previous_release_with_commits = extend_schema(
    operation_id="retrievePreviousReleaseWithCommits",
    summary="The latest release with commits up to this one (sentry-cli set-commits --local)",
    description=(
        "The latest release with commits of one of the release's projects, released (or "
        "else created) no later than it; {} when there is none."
    ),
    tags=["Releases"],
    responses={
        200: OpenApiResponse(
            response={
                "anyOf": [_ref("Release"), {"type": "object", "maxProperties": 0}],
            },
            description="The release, or {}.",
        ),
        400: _error("A NUL character in the URL."),
    }
    | _errors(RELEASE_READ_SCOPES, NO_RELEASE),
)

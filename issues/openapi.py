"""The OpenAPI description of the issue endpoint, served by drf-spectacular at /api/0/schema/.

The documents are JSON Schema dicts (OpenAPI 3.0 dialect: `nullable`, building blocks in
issues/schemas.py): the issue documents come from their declarations in issues/documents.py
(ISSUE for PUT, ISSUE_DETAIL for GET), the PUT body from what issues/validators.py accepts.

Two hooks (SPECTACULAR_SETTINGS): preprocess_issue_routes turns the URL patterns' `(?:issues|
groups)`, which drf-spectacular cannot make a path of, into one path each and keeps the routes
of DOCUMENTED_ROUTES (the issue's, and the client keys' of accounts.openapi);
postprocess_issue_schema makes the operation ids the three routes share unique
and adds the document components. BearerTokenScheme describes the token and each method's
scopes (the scope map of the view's ScopedPermission).
"""

import copy
import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import EndpointEnumerator
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts import directory_openapi
from accounts import openapi as accounts_openapi
from issues import documents
from issues.events import schemas as events
from issues.schemas import BOOLEAN, STRING, obj
from issues.subresources import schemas as subresources
from issues.validators import MAX_COUNT, MAX_DURATION, MAX_WINDOW, PRIORITIES, STATUSES
from issues_api.api.permissions import ScopedPermission
from releases import openapi as releases_openapi

SCHEME_NAME = "auth_token"
COMPONENTS_REF = "#/components/schemas/"

# The routes the schema documents: only these are kept (preprocess_issue_routes), so an endpoint
# appears once it is described here. The organization route also answers under "groups/", an
# alias it does not document, as Sentry's own schema does not.
ISSUE_ROUTES = (
    "/api/0/issues/{issue_id}/",
    "/api/0/groups/{issue_id}/",
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/",
)
# The issue lists: their GET (issues.list_openapi), bulk PUT and DELETE (issues.bulk_openapi).
BULK_ROUTES = (
    "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/",
    "/api/0/organizations/{organization_id_or_slug}/issues/",
)
# Every route the schema documents: the issue's, the project's client keys, the issue's tags,
# notes, activity, hashes and events, the projects, teams, members and users, and the releases.
DOCUMENTED_ROUTES = (
    ISSUE_ROUTES
    + BULK_ROUTES
    + accounts_openapi.KEY_ROUTES
    + subresources.ROUTES
    + events.ROUTES
    + directory_openapi.ROUTES
    + releases_openapi.RELEASE_ROUTES
)
ALTERNATION = re.compile(r"\(\?:([\w|]+)\)")

PATH_PARAMETER_DESCRIPTIONS = {
    "issue_id": (
        "The id of the issue. On the organization route also its qualified short id "
        "(e.g. PUMP-STATION-1); on the other routes a non-numeric id answers 404."
    ),
    "organization_id_or_slug": "The id or slug of the organization.",
    **accounts_openapi.PATH_PARAMETER_DESCRIPTIONS,
    **directory_openapi.PATH_PARAMETER_DESCRIPTIONS,
    **releases_openapi.PATH_PARAMETER_DESCRIPTIONS,
    **subresources.PATH_PARAMETER_DESCRIPTIONS,
    **events.PATH_PARAMETER_DESCRIPTIONS,
}


# The service answers 400 to a NUL character in the URL or the body (PostgreSQL cannot store it).
NO_NUL = "^[^\\u0000]*$"

# The issue documents' components, built from their declarations (issues/documents.py).
ISSUE = obj(
    {key.name: key.schema for key in documents.ISSUE},
    description="An issue, as PUT answers it (Sentry's GroupSerializer).",
)
# ?collapse= leaves keys out ("base" all of the PUT document's but the id), so only the id and
# the detail keys that cannot be collapsed are required. Without ?collapse= every property is
# there (tests/test_openapi.py checks it).
ISSUE_DETAIL = obj(
    {key.name: key.schema for key in documents.ISSUE_DETAIL},
    optional=tuple(key.name for key in documents.ISSUE_DETAIL if key.collapse),
    description=(
        "An issue, as GET answers it (with activity, releases, tags, stats). Every property is "
        "present unless ?collapse= leaves some out."
    ),
)

ERROR = obj(
    {"detail": STRING},
    description='Sentry\'s error body, e.g. {"detail": "Invalid token"}.',
)
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {},
    "description": (
        "DRF's map of field names to messages, e.g. "
        '{"status": ["\\"foo\\" is not a valid choice."]}; nested for statusDetails, '
        '"non_field_errors" for the body as a whole, "detail" for a body that is not JSON.'
    ),
}

# The PUT body (issues/validators.py IssueUpdateValidator). Every field is optional and
# unknown keys are ignored, as in Sentry.
COUNT = {"type": "integer", "nullable": True, "minimum": 0, "maximum": MAX_COUNT}
WINDOW = {"type": "integer", "nullable": True, "minimum": 0, "maximum": MAX_WINDOW}
DURATION = {"type": "integer", "nullable": True, "minimum": 0, "maximum": MAX_DURATION}
IN_COMMIT = obj(
    {
        "commit": {
            "type": "string",
            "maxLength": 64,
            "pattern": NO_NUL,
            "description": "The commit's id (sha).",
        },
        "repository": {
            "type": "string",
            "maxLength": 200,
            "pattern": NO_NUL,
            "description": "The name of its repository.",
        },
    }
)
STATUS_DETAILS_UPDATE = {
    "type": "object",
    "properties": {
        "inNextRelease": {
            **BOOLEAN,
            "description": "Resolve in the project's next release (one must exist).",
        },
        "inRelease": {
            "type": "string",
            "maxLength": 250,
            "pattern": NO_NUL,
            "description": 'Resolve in this release version of the project, or "latest".',
        },
        "inCommit": {**IN_COMMIT, "description": "Resolve in this commit."},
        "ignoreDuration": {**DURATION, "description": "Ignore for this many minutes."},
        "ignoreCount": {**COUNT, "description": "Ignore until this many more events."},
        "ignoreWindow": {**WINDOW, "description": "Minutes over which ignoreCount counts."},
        "ignoreUserCount": {**COUNT, "description": "Ignore until this many more users."},
        "ignoreUserWindow": {**WINDOW, "description": "Minutes for ignoreUserCount."},
    },
    "description": "How to resolve or ignore; without it the top-level ignore* keys count.",
}
ISSUE_UPDATE = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": list(STATUSES), "description": '"muted" = ignored.'},
        "statusDetails": STATUS_DETAILS_UPDATE,
        "ignoreDuration": DURATION,
        "ignoreCount": COUNT,
        "ignoreWindow": WINDOW,
        "ignoreUserCount": COUNT,
        "ignoreUserWindow": WINDOW,
        "snoozeDuration": {**DURATION, "description": "The old name of ignoreDuration."},
        "assignedTo": {
            "description": (
                'A user id (12 or "12"), "user:12", "team:3", a username or an email; '
                '"", 0, false or null unassigns.'
            ),
            "anyOf": [
                {"type": "string", "pattern": NO_NUL, "nullable": True},
                {"type": "integer"},
                {"type": "boolean", "enum": [False]},
            ],
        },
        "hasSeen": BOOLEAN,
        "isBookmarked": BOOLEAN,
        "isSubscribed": BOOLEAN,
        "isPublic": {**BOOLEAN, "description": "Share the issue publicly (a new shareId)."},
        "merge": {
            **BOOLEAN,
            "description": "Accepted; no effect on a single issue. Several: not supported (400).",
        },
        "discard": {
            **BOOLEAN,
            "description": (
                "Delete the issue and drop its future events (needs event:admin and must be "
                "the only key); answers 204."
            ),
        },
        "priority": {
            "type": "string",
            "enum": list(PRIORITIES),
            "description": (
                "Set the issue's priority; it is locked from then on (priorityLockedAt), and "
                "a change writes a set_priority activity."
            ),
        },
    },
    "description": "Every field is optional; unknown keys are ignored.",
}

COMPONENTS = {
    "Issue": ISSUE,
    "IssueDetail": ISSUE_DETAIL,
    "IssueUpdate": ISSUE_UPDATE,
    "Error": ERROR,
    "ValidationError": VALIDATION_ERROR,
}


def ref(name: str) -> dict:
    return {"$ref": COMPONENTS_REF + name}


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ref("Error"), description=description)


ERROR_RESPONSES = {
    401: error("No credentials, or a token that is unknown, expired or of an inactive user."),
    403: error("The token lacks the method's scope, or the user has no access to the issue."),
    404: error("No such issue (or it is being deleted), organization or environment."),
    429: error("Rate limited (only when ISSUES_API_RATE_LIMIT is set)."),
}
INVALID_BODY = OpenApiResponse(
    response=ref("ValidationError"),
    description="An invalid body (a field map), or a NUL character in the URL.",
)
BAD_URL = error("A NUL character in the URL.")

# Response headers of the errors: Sentry's WWW-Authenticate on 401, the rate limit's on 429.
ERROR_HEADERS = [
    OpenApiParameter(
        name="WWW-Authenticate",
        type=str,
        location=OpenApiParameter.HEADER,
        response=[401],
        required=True,
        description='xBasic realm="api", as Sentry answers.',
    ),
    OpenApiParameter(
        name="Retry-After",
        type=int,
        location=OpenApiParameter.HEADER,
        response=[429],
        description="Seconds until the window ends.",
    ),
    *(
        OpenApiParameter(
            name=f"X-Sentry-Rate-Limit-{name}",
            type=int,
            location=OpenApiParameter.HEADER,
            response=[429],
            description=description,
        )
        for name, description in (
            ("Limit", "Requests allowed per window."),
            ("Remaining", "Requests left in the window."),
            ("Reset", "When the window ends (Unix time)."),
        )
    ),
]

COLLAPSE = OpenApiParameter(
    name="collapse",
    # Not an enum: other values are ignored, as Sentry ignores them.
    type={"type": "array", "items": {"type": "string"}},
    location=OpenApiParameter.QUERY,
    explode=True,
    description=(
        "Parts to leave out (repeatable): release (firstRelease, lastRelease), stats, tags, "
        "unhandled (isUnhandled), base (every key of the PUT document but the id). Other "
        "values are ignored."
    ),
)

ENVIRONMENT = OpenApiParameter(
    name="environment",
    type={"type": "array", "items": {"type": "string", "pattern": NO_NUL}},
    location=OpenApiParameter.QUERY,
    explode=True,
    description=(
        "Environment names (repeatable). Counts, seen times, stats and tags are filtered by "
        "them; an unknown name answers 404."
    ),
)

retrieve_issue = extend_schema(
    operation_id="retrieveIssue",
    summary="Retrieve an issue",
    description=(
        "Details of one issue: counts, status, assignee, activity, releases, tags and "
        "hourly/daily stats."
    ),
    tags=["Issues"],
    parameters=[ENVIRONMENT, COLLAPSE, *ERROR_HEADERS],
    responses={
        200: OpenApiResponse(response=ref("IssueDetail"), description="The issue."),
        400: BAD_URL,
    }
    | ERROR_RESPONSES,
)

update_issue = extend_schema(
    operation_id="updateIssue",
    summary="Update an issue",
    description=(
        "Resolve, ignore (snooze), assign, bookmark, subscribe, share, mark seen or discard "
        "the issue. Answers the whole issue, as updated."
    ),
    tags=["Issues"],
    parameters=[ENVIRONMENT, *ERROR_HEADERS],
    request={"application/json": ref("IssueUpdate")},
    responses={
        200: OpenApiResponse(response=ref("Issue"), description="The issue, as updated."),
        204: OpenApiResponse(description="Discarded (discard: true): no body."),
        400: INVALID_BODY,
        413: error("The body is larger than ISSUES_API_MAX_BODY_BYTES."),
        415: error("The body is not application/json."),
    }
    | ERROR_RESPONSES,
)

delete_issue = extend_schema(
    operation_id="deleteIssue",
    summary="Delete an issue",
    description=(
        "Hides the issue at once (404 afterwards) and removes it after a grace period "
        "(manage.py run_deletions)."
    ),
    tags=["Issues"],
    parameters=ERROR_HEADERS,
    responses={
        202: OpenApiResponse(description="Deletion scheduled: no body."),
        400: BAD_URL,
    }
    | ERROR_RESPONSES,
)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer <token>`; an operation accepts any one of its listed scopes."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = SCHEME_NAME

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token: `Authorization: Bearer <token>`. Each operation lists the "
                "scopes it accepts (any one suffices). Issues: GET event:read, event:write or "
                "event:admin; PUT event:write or event:admin; DELETE event:admin. Client "
                "keys: GET project:read, project:write or project:admin. Releases: GET "
                "project:read, project:write, project:admin or project:releases; POST and PUT "
                "project:write, project:admin or project:releases."
            ),
        }

    def get_security_requirement(self, auto_schema):
        scopes = ()
        for permission in auto_schema.view.get_permissions():
            if isinstance(permission, ScopedPermission):
                scopes = permission.scope_map.get(auto_schema.method, ())
        # Alternatives: one requirement per accepted scope.
        return [{self.name: [scope]} for scope in scopes] or [{self.name: []}]


def preprocess_issue_routes(endpoints):
    """Turn each `(?:a|b)` of a URL pattern into one path per alternative, and keep the paths
    that DOCUMENTED_ROUTES documents."""
    enumerator = EndpointEnumerator()
    result = []
    for path, path_regex, method, callback in endpoints:
        match = ALTERNATION.search(path_regex)
        expansions = [(path, path_regex)]
        if match is not None:
            expansions = []
            for alternative in match.group(1).split("|"):
                regex = path_regex[: match.start()] + alternative + path_regex[match.end() :]
                expansions.append((enumerator.get_path_from_regex(regex), regex))
        result += [
            (expanded, regex, method, callback)
            for expanded, regex in expansions
            if expanded in DOCUMENTED_ROUTES
        ]
    return result


def postprocess_issue_schema(result, generator, request, public):
    """Make the shared operation ids unique per route (retrieveIssue_groups, ...), describe
    the path parameters, and add the document components."""
    operations = [
        (path, operation)
        for path, item in result.get("paths", {}).items()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    counts: dict[str, int] = {}
    for _, operation in operations:
        counts[operation["operationId"]] = counts.get(operation["operationId"], 0) + 1
    for path, operation in operations:
        if counts[operation["operationId"]] > 1:
            static = [
                part
                for part in path.removeprefix("/api/0/").strip("/").split("/")
                if part and not part.startswith("{")
            ]
            operation["operationId"] += "_" + "_".join(static)
        operation["responses"] = dict(sorted(operation.get("responses", {}).items()))
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter["name"] in PATH_PARAMETER_DESCRIPTIONS:
                parameter["description"] = PATH_PARAMETER_DESCRIPTIONS[parameter["name"]]
                parameter["schema"] = {"type": "string", "pattern": "^[^/\\u0000]+$"}
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(copy.deepcopy(COMPONENTS))
    schemas.update(copy.deepcopy(accounts_openapi.COMPONENTS))
    schemas.update(copy.deepcopy(directory_openapi.COMPONENTS))
    schemas.update(copy.deepcopy(releases_openapi.COMPONENTS))
    schemas.update(copy.deepcopy(subresources.COMPONENTS))
    schemas.update(copy.deepcopy(events.COMPONENTS))
    # Imported here: issues.bulk_openapi and issues.list_openapi build on this module's parts.
    from issues import bulk_openapi, list_openapi

    schemas.update(copy.deepcopy(bulk_openapi.COMPONENTS))
    schemas.update(copy.deepcopy(list_openapi.COMPONENTS))
    return result

"""The OpenAPI description of the client keys route, served with the issue routes'
(issues.openapi keeps the routes of KEY_ROUTES and adds COMPONENTS to the schema).

The key document follows accounts.serializers.serialize_project_key; its errors use the
schema's shared "Error" component ({"detail": ...}).
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts.dsn import KeyUrls
from accounts.permissions import PROJECT_READ_SCOPES
from accounts.serializers import BROWSER_SDK_VERSIONS, DYNAMIC_SDK_LOADER_OPTIONS

KEY_ROUTES = ("/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/keys/",)

STRING = {"type": "string"}
URL = {"type": "string", "format": "uri"}
BOOLEAN = {"type": "boolean"}
INTEGER = {"type": "integer"}


def _object(properties: dict, *, optional: tuple[str, ...] = (), **extra) -> dict:
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required, **extra}


PROJECT_KEY = _object(
    {
        "id": {**STRING, "description": "The public key."},
        "name": {**STRING, "description": "The label, or the public key's first 14 characters."},
        "label": {**STRING, "description": "The same as name (kept for compatibility)."},
        "public": {**STRING, "pattern": "^[0-9a-f]{32}$"},
        "secret": {**STRING, "pattern": "^[0-9a-f]{32}$"},
        "projectId": INTEGER,
        "isActive": BOOLEAN,
        "rateLimit": {
            **_object({"window": INTEGER, "count": INTEGER}),
            "nullable": True,
            "description": "Events accepted per window (seconds); null: no limit.",
        },
        "dsn": _object(
            dict.fromkeys(KeyUrls.__dataclass_fields__, URL),
            description=(
                "public is the DSN an SDK is configured with; the others are Sentry's ingest "
                "URLs derived from the same parts."
            ),
        ),
        "browserSdkVersion": {**STRING, "enum": list(BROWSER_SDK_VERSIONS)},
        "browserSdk": _object(
            {
                "choices": {
                    "type": "array",
                    "items": {"type": "array", "items": STRING, "minItems": 2, "maxItems": 2},
                }
            }
        ),
        "dateCreated": {"type": "string", "format": "date-time"},
        "dynamicSdkLoaderOptions": _object(dict.fromkeys(DYNAMIC_SDK_LOADER_OPTIONS, BOOLEAN)),
        "useCase": {**STRING, "description": "Shown to active superusers only."},
    },
    optional=("useCase",),
    description="A client key of a project (Sentry's ProjectKeySerializer).",
)

COMPONENTS = {"ProjectKey": PROJECT_KEY}

# issues_api.api.pagination's cursor (an offset of at most 18 digits stays below its bound);
# empty for the first page, as sentry-cli sends it.
CURSOR_PATTERN = "^(-?[0-9]{1,20}(\\.[0-9]{1,20})?:[0-9]{1,18}:[01])?$"

PATH_PARAMETER_DESCRIPTIONS = {
    "project_id_or_slug": "The id or slug of the project.",
}


# What issues_api.api.pagination accepts: Sentry's "value:offset:is_prev" cursor (an offset
# within the bigint range it allows; empty for the first page) and 1 to 100 rows a page;
# anything else is a 400.
CURSOR_SCHEMA = {
    "type": "string",
    "pattern": CURSOR_PATTERN,
    "description": "Empty: the first page.",
}
PER_PAGE_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 100}
# What every paged route takes and answers (issues_api.api.pagination): the release, project,
# team, member, tag value, note and hash lists' as the keys'.
PAGE_PARAMETERS = [
    OpenApiParameter(
        name="cursor",
        type=CURSOR_SCHEMA,
        location=OpenApiParameter.QUERY,
        description="A page's cursor, from the Link header (value:offset:is_prev).",
    ),
    OpenApiParameter(
        name="per_page",
        type=PER_PAGE_SCHEMA,
        location=OpenApiParameter.QUERY,
        description="Rows per page, 1 to 100 (default 100); `limit` is accepted too.",
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
# The front server's answer to a request line it will not read (gunicorn's page; nginx in
# production answers {"detail": "Request URI is too long."}).
URI_TOO_LONG = OpenApiResponse(description="The URL is longer than the front server accepts.")


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response={"$ref": "#/components/schemas/Error"}, description=description)


list_project_keys = extend_schema(
    operation_id="listProjectKeys",
    summary="List a project's client keys",
    description=(
        "The project's client keys, newest first, each with its DSN. Paginated: the Link "
        "header names the previous and next pages (cursor)."
    ),
    tags=["Projects"],
    parameters=[
        OpenApiParameter(
            name="status",
            type=str,
            location=OpenApiParameter.QUERY,
            description="active or inactive keys only; any other value lists none.",
        ),
        *PAGE_PARAMETERS,
    ],
    responses={
        200: OpenApiResponse(
            response={"type": "array", "items": {"$ref": "#/components/schemas/ProjectKey"}},
            description="The keys.",
        ),
        400: _error("An invalid cursor or per_page."),
        401: _error("No credentials, or a token that is unknown, expired or of an inactive user."),
        403: _error(
            "The token holds none of "
            + ", ".join(PROJECT_READ_SCOPES)
            + ", or the user has no access to the project."
        ),
        404: _error("No such organization or project."),
        429: _error("Rate limited (only when ISSUES_API_RATE_LIMIT is set)."),
    },
)

"""The OpenAPI description of the issue lists' bulk PUT and DELETE (issues/bulk.py), served
with the issue routes' (issues.openapi keeps BULK_ROUTES and adds COMPONENTS); the lists' GET
is issues/list_openapi.py's.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts.openapi import URI_TOO_LONG
from issues.bulk import BULK_MUTATION_LIMIT
from issues.openapi import ENVIRONMENT, ERROR_HEADERS, ERROR_RESPONSES, NO_NUL, error, ref
from issues.schemas import ASSIGNED_TO, BOOLEAN, STATUS_DETAILS, STRING, nullable, obj
from issues.search import MAX_QUERY_LENGTH, MAX_TERMS
from issues.validators import PRIORITIES, STATUSES

INTEGER_OR_NULL = {"type": "integer", "nullable": True}

# What a bulk PUT answers (issues.bulk.IssueBulkMutation.bulk_answer): only the keys the body
# asked about, so none is required.
RESULT_KEYS = {
    "status": {"type": "string", "enum": [s for s in STATUSES if s != "resolvedInNextRelease"]},
    "statusDetails": STATUS_DETAILS,
    "inbox": {**BOOLEAN, "nullable": True, "description": "null once resolved or ignored."},
    "ignoreDuration": INTEGER_OR_NULL,
    "ignoreCount": INTEGER_OR_NULL,
    "ignoreWindow": INTEGER_OR_NULL,
    "ignoreUserCount": INTEGER_OR_NULL,
    "ignoreUserWindow": INTEGER_OR_NULL,
    "snoozeDuration": INTEGER_OR_NULL,
    "assignedTo": ASSIGNED_TO,
    "hasSeen": BOOLEAN,
    "isBookmarked": BOOLEAN,
    "isSubscribed": BOOLEAN,
    "subscriptionDetails": obj({"reason": STRING}),
    "isPublic": BOOLEAN,
    "shareId": nullable(STRING),
    "merge": BOOLEAN,
    "priority": {"type": "string", "enum": list(PRIORITIES)},
}
BULK_UPDATE_RESULT = obj(
    RESULT_KEYS,
    optional=tuple(RESULT_KEYS),
    additionalProperties=False,
    description=(
        "The fields the body changed, as Sentry's update_groups answers them: the status "
        "with its details, the assignee, the share and the subscription as they now are."
    ),
)

COMPONENTS = {"IssueBulkUpdateResult": BULK_UPDATE_RESULT}

IDS = OpenApiParameter(
    name="id",
    type={"type": "array", "items": {"type": "string", "pattern": "^[0-9]+$"}},
    location=OpenApiParameter.QUERY,
    explode=True,
    description=(
        "The ids of the issues to change (repeatable). Ids of issues that are unknown, hidden "
        "or out of reach are left out. Without ids, the issues the search finds, at most "
        f"{BULK_MUTATION_LIMIT}."
    ),
)
QUERY = OpenApiParameter(
    name="query",
    type={"type": "string", "pattern": NO_NUL},
    location=OpenApiParameter.QUERY,
    description=(
        "The list's search, when no id is given (default: is:unresolved); at most "
        f"{MAX_QUERY_LENGTH} characters and {MAX_TERMS} terms (400 past that)."
    ),
)
PROJECTS = OpenApiParameter(
    name="project",
    type={"type": "array", "items": {"type": "string", "pattern": "^(-1|[0-9]+)$"}},
    location=OpenApiParameter.QUERY,
    explode=True,
    description="Project ids to keep to (repeatable; -1: every project).",
)

REFUSED = error(
    "Ids that are not integers, a search the list refuses, a resolve in a release, commit "
    "or next release across projects, or a merge of several issues."
)
INVALID_BODY = OpenApiResponse(
    response=ref("ValidationError"),
    description=(
        "An invalid body (a field map, as for one issue), or one of the selection's refusals "
        '({"detail": ...}).'
    ),
)
# The server in front refuses a request line it cannot hold (nginx: {"detail": ...}; gunicorn
# alone: a page of its own), before the service sees it.
NOTHING = OpenApiResponse(description="No issue selected, or discarded: no body.")


def bulk_update(organization: bool):
    return extend_schema(
        operation_id="bulkUpdateIssues",
        summary="Bulk mutate issues",
        description=(
            "Change the status, assignee, bookmark, subscription, share or seen state of many "
            "issues at once (or discard them), validated once before any changes: each issue "
            "is changed as a PUT on it would, with the same activity. Merging several issues "
            "is not supported (400)."
        ),
        tags=["Issues"],
        parameters=[IDS, QUERY, ENVIRONMENT, *([PROJECTS] if organization else []), *ERROR_HEADERS],
        request={"application/json": ref("IssueUpdate")},
        responses={
            200: OpenApiResponse(
                response=ref("IssueBulkUpdateResult"), description="What was changed."
            ),
            204: NOTHING,
            400: INVALID_BODY,
            413: error("The body is larger than ISSUES_API_MAX_BODY_BYTES."),
            414: URI_TOO_LONG,
            415: error("The body is not application/json."),
        }
        | ERROR_RESPONSES,
    )


def bulk_delete(organization: bool):
    return extend_schema(
        operation_id="bulkDeleteIssues",
        summary="Bulk remove issues",
        description=(
            "Hide the selected issues at once and remove them after a grace period, as a "
            "DELETE on each would."
        ),
        tags=["Issues"],
        parameters=[IDS, QUERY, ENVIRONMENT, *([PROJECTS] if organization else []), *ERROR_HEADERS],
        responses={
            204: OpenApiResponse(description="Done: no body."),
            400: REFUSED,
            414: URI_TOO_LONG,
        }
        | ERROR_RESPONSES,
    )

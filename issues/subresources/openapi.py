"""The OpenAPI description of an issue's tags, notes, activity and hashes routes (their
components and paths are in issues.subresources.schemas)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts.openapi import PAGE_PARAMETERS
from accounts.openapi import URI_TOO_LONG as SHARED_URI_TOO_LONG
from issues.openapi import BAD_URL, ENVIRONMENT, ERROR_HEADERS, ERROR_RESPONSES, error, ref

URI_TOO_LONG = {414: SHARED_URI_TOO_LONG}
BAD_PAGE = error("An invalid cursor or per_page, or a NUL character in the URL.")
NOTE_ERRORS = {
    400: OpenApiResponse(
        response=ref("ValidationError"),
        description=(
            'An invalid body (a field map), or {"detail": "You have already posted that '
            'comment."} for the same text by the same user within an hour.'
        ),
    ),
    413: error("The body is larger than ISSUES_API_MAX_BODY_BYTES."),
    415: error("The body is not application/json."),
}


def _array(name: str) -> dict:
    return {"type": "array", "items": ref(name)}


list_tags = extend_schema(
    operation_id="listIssueTags",
    summary="List an issue's tags",
    description=(
        "The issue's tag keys, most frequent first, each with its number of events and of "
        "distinct values and its top values by count; from the tag counters, filtered by "
        "environment when asked."
    ),
    tags=["Issues"],
    parameters=[
        ENVIRONMENT,
        OpenApiParameter(
            name="key",
            type={"type": "array", "items": {"type": "string", "pattern": "^[^\\u0000]*$"}},
            location=OpenApiParameter.QUERY,
            explode=True,
            description="Only these keys (repeatable).",
        ),
        OpenApiParameter(
            name="limit",
            type={"type": "integer", "minimum": 0, "maximum": 100},
            location=OpenApiParameter.QUERY,
            description="Top values per key: 0 to 100 (default 10, or 9 with key=).",
        ),
        *ERROR_HEADERS,
    ],
    responses={
        200: OpenApiResponse(response=_array("TagKey"), description="The tag keys."),
        400: error("An invalid limit, or a NUL character in the URL."),
    }
    | ERROR_RESPONSES
    | URI_TOO_LONG,
)

retrieve_tag = extend_schema(
    operation_id="retrieveIssueTag",
    summary="Retrieve a tag of an issue",
    description="One tag key of the issue with its counts and its 9 top values.",
    tags=["Issues"],
    parameters=[ENVIRONMENT, *ERROR_HEADERS],
    responses={
        200: OpenApiResponse(response=ref("TagKey"), description="The tag key."),
        400: BAD_URL,
    }
    | ERROR_RESPONSES
    | URI_TOO_LONG
    | {404: error("No such issue, tag key (in the environments asked) or environment.")},
)

list_tag_values = extend_schema(
    operation_id="listIssueTagValues",
    summary="List a tag's values for an issue",
    description=(
        "The values of one tag key of the issue, paginated (Link header); at most the "
        "first 1000 are reachable."
    ),
    tags=["Issues"],
    parameters=[
        ENVIRONMENT,
        OpenApiParameter(
            name="sort",
            type=str,
            location=OpenApiParameter.QUERY,
            description=(
                "date (last seen), age (first seen) or count, each newest or largest "
                "first; anything else: first seen."
            ),
        ),
        *PAGE_PARAMETERS,
        *ERROR_HEADERS,
    ],
    responses={
        200: OpenApiResponse(response=_array("TagValue"), description="A page of values."),
        400: BAD_PAGE,
    }
    | ERROR_RESPONSES
    | URI_TOO_LONG
    | {404: error("No such issue, tag key or environment.")},
)

list_notes = extend_schema(
    operation_id="listIssueNotes",
    summary="List an issue's notes",
    description="The issue's notes (comments), newest first, paginated (Link header).",
    tags=["Issues"],
    parameters=[*PAGE_PARAMETERS, *ERROR_HEADERS],
    responses={
        200: OpenApiResponse(response=_array("Activity"), description="A page of notes."),
        400: BAD_PAGE,
    }
    | ERROR_RESPONSES
    | URI_TOO_LONG,
)

create_note = extend_schema(
    operation_id="createIssueNote",
    summary="Add a note to an issue",
    description=(
        "A note (comment) by the token's user: a note activity, numComments + 1, the author "
        "subscribed, mentioned users and the members of mentioned teams subscribed."
    ),
    tags=["Issues"],
    parameters=ERROR_HEADERS,
    request={"application/json": ref("Note")},
    responses={201: OpenApiResponse(response=ref("Activity"), description="The note.")}
    | NOTE_ERRORS
    | ERROR_RESPONSES
    | URI_TOO_LONG,
)

update_note = extend_schema(
    operation_id="updateIssueNote",
    summary="Edit a note of an issue",
    description="Only its author may: another user's note answers 404, as in Sentry.",
    tags=["Issues"],
    parameters=ERROR_HEADERS,
    request={"application/json": ref("Note")},
    responses={200: OpenApiResponse(response=ref("Activity"), description="The note.")}
    | NOTE_ERRORS
    | ERROR_RESPONSES
    | URI_TOO_LONG
    | {404: error("No such issue, or no such note of the requester on it.")},
)

delete_note = extend_schema(
    operation_id="deleteIssueNote",
    summary="Delete a note of an issue",
    description="Only its author may: another user's note answers 404, as in Sentry.",
    tags=["Issues"],
    parameters=ERROR_HEADERS,
    responses={204: OpenApiResponse(description="Deleted: no body."), 400: BAD_URL}
    | ERROR_RESPONSES
    | URI_TOO_LONG
    | {404: error("No such issue, or no such note of the requester on it.")},
)

list_activities = extend_schema(
    operation_id="listIssueActivities",
    summary="List an issue's activity",
    description="The issue document's activity: the newest 100 entries, first_seen last.",
    tags=["Issues"],
    parameters=ERROR_HEADERS,
    responses={
        200: OpenApiResponse(
            response={
                "type": "object",
                "properties": {"activity": _array("Activity")},
                "required": ["activity"],
            },
            description="The activity.",
        ),
        400: BAD_URL,
    }
    | ERROR_RESPONSES
    | URI_TOO_LONG,
)

list_hashes = extend_schema(
    operation_id="listIssueHashes",
    summary="List an issue's hashes",
    description="The hashes that group events into the issue, newest first, paginated.",
    tags=["Issues"],
    parameters=[*PAGE_PARAMETERS, *ERROR_HEADERS],
    responses={
        200: OpenApiResponse(response=_array("IssueHash"), description="A page of hashes."),
        400: BAD_PAGE,
    }
    | ERROR_RESPONSES
    | URI_TOO_LONG,
)

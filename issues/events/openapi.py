"""The OpenAPI description of an issue's events routes (their components and paths are in
issues.events.schemas)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts.openapi import PAGE_PARAMETERS, URI_TOO_LONG
from issues.openapi import BAD_URL, ERROR_HEADERS, ERROR_RESPONSES, NO_NUL, error, ref

ENVIRONMENT_NAMES = {"type": "array", "items": {"type": "string", "pattern": NO_NUL}}

list_events = extend_schema(
    operation_id="listIssueEvents",
    summary="List an issue's events",
    description=(
        "The issue's events, newest first, paginated (Link header): Sentry's short event, "
        "or with full=true the full event with its entries."
    ),
    tags=["Events"],
    parameters=[
        OpenApiParameter(
            name="environment",
            type=ENVIRONMENT_NAMES,
            location=OpenApiParameter.QUERY,
            explode=True,
            description=(
                "Environment names (repeatable): only their events. A name the organization "
                "does not have gives an empty list, as in Sentry."
            ),
        ),
        OpenApiParameter(
            name="statsPeriod",
            type={"type": "string", "pattern": NO_NUL},
            location=OpenApiParameter.QUERY,
            description=(
                "Only the events of this last period: a number and s, m, h, d or w (a bare "
                "number is seconds); it wins over start and end. Also statsPeriodStart and "
                "statsPeriodEnd (a window between two periods ago). 400 when invalid."
            ),
        ),
        OpenApiParameter(
            name="start",
            type={"type": "string", "pattern": NO_NUL},
            location=OpenApiParameter.QUERY,
            description=(
                "With end: only the events from this time (ISO 8601, UTC without a zone, or a "
                "Unix time) up to end, excluded. One without the other is a 400."
            ),
        ),
        OpenApiParameter(
            name="end",
            type={"type": "string", "pattern": NO_NUL},
            location=OpenApiParameter.QUERY,
            description="With start: the end of the window (excluded).",
        ),
        OpenApiParameter(
            name="query",
            type={"type": "string", "pattern": NO_NUL},
            location=OpenApiParameter.QUERY,
            description=(
                "A search over the events, its terms AND-ed: free text (in the message), "
                "message:, id: (or an event id alone), environment:, release:, user:, "
                "user.id:, user.email:, user.username:, user.ip: and <tag>:<value>. Negation, "
                "has:, comparisons, wildcards, OR and parentheses are a 400."
            ),
        ),
        OpenApiParameter(
            name="full",
            # Not a boolean: any other value gives the short events, as in Sentry.
            type=str,
            location=OpenApiParameter.QUERY,
            description="true or 1: full events, with entries; any other value: short ones.",
        ),
        *PAGE_PARAMETERS,
        *ERROR_HEADERS,
    ],
    responses={
        200: OpenApiResponse(
            response={
                "type": "array",
                "items": {"anyOf": [ref("EventSummary"), ref("Event")]},
            },
            description="A page of events (Event items with full=true).",
        ),
        400: error(
            "An invalid cursor, per_page, date range or search, or a NUL character in the URL."
        ),
    }
    | ERROR_RESPONSES
    | {404: error("No such issue (or it is being deleted) or organization.")}
    | {414: URI_TOO_LONG},
)

retrieve_event = extend_schema(
    operation_id="retrieveIssueEvent",
    summary="Retrieve an event of an issue",
    description=(
        "One event of the issue, by id or latest/oldest/recommended, with its release, its "
        "user report and the ids of the issue's previous and next events."
    ),
    tags=["Events"],
    parameters=[
        OpenApiParameter(
            name="environment",
            type=ENVIRONMENT_NAMES,
            location=OpenApiParameter.QUERY,
            explode=True,
            description=(
                "Environment names (repeatable): they narrow latest, oldest and recommended "
                "and the previous and next ids; an unknown name answers 404."
            ),
        ),
        OpenApiParameter(
            name="collapse",
            # Not an enum: other values are ignored, as Sentry ignores them.
            type={"type": "array", "items": {"type": "string"}},
            location=OpenApiParameter.QUERY,
            explode=True,
            description=(
                "stacktraceOnly: the full event only, without release, userReport, "
                "sdkUpdates, resolvedWith and the neighbours' ids. Other values are ignored."
            ),
        ),
        *ERROR_HEADERS,
    ],
    responses={
        200: OpenApiResponse(response=ref("EventDetail"), description="The event."),
        400: BAD_URL,
    }
    | ERROR_RESPONSES
    | {404: error("No such issue, organization, environment or event of the issue.")}
    | {414: URI_TOO_LONG},
)

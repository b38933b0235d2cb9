"""The OpenAPI description of the issue lists' GET (issues/apis.py), served on the lists'
paths beside their bulk PUT and DELETE (issues/bulk_openapi.py). The item is the list's
document as issues/documents.py declares it (LIST_ITEM); the parameters are what the list reads
(issues/search.py, issues_api/api/pagination.py), with the bounds past which it answers 400.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts.openapi import PAGE_PARAMETERS, PER_PAGE_SCHEMA, URI_TOO_LONG
from issues import documents
from issues.bulk_openapi import PROJECTS
from issues.openapi import ENVIRONMENT, ERROR_HEADERS, ERROR_RESPONSES, NO_NUL, ref
from issues.schemas import STRING, obj
from issues.search import DEFAULT_QUERY, MAX_QUERY_LENGTH, MAX_TERMS, SORTS
from issues.stats import GROUP_STATS_PERIODS
from issues.stream import EXPANDS, STREAM_ITEM

# What the list leaves out of its items (IssueListEndpoint.list_issues): the stats, when
# statsPeriod= is empty. Every other key of the list's document is always there.
LIST_COLLAPSE = frozenset({"stats"})
# What a direct hit on an event id adds to its one item (IssueListEndpoint.list_issues).
DIRECT_HIT_KEYS = {
    "matchingEventId": {
        **STRING,
        "description": "The event id the query named, when it names this issue's event.",
    },
    "matchingEventEnvironment": {
        **STRING,
        "description": "That event's environment (the project's list only).",
    },
}
ISSUE_LIST_ITEM = obj(
    {key.name: key.schema for key in documents.LIST_ITEM} | DIRECT_HIT_KEYS,
    optional=(
        *(key.name for key in documents.LIST_ITEM if not LIST_COLLAPSE.isdisjoint(key.collapse)),
        *DIRECT_HIT_KEYS,
    ),
    description=(
        "An issue as the lists show it: the issue's document without its detail-only parts, "
        "with the stats of the list's statsPeriod (none with statsPeriod=)."
    ),
)

# The organization's list is Sentry's stream (issues/stream.py): every key a ?collapse= can
# leave out, and every key of ?expand=, may be missing.
ORGANIZATION_LIST_ITEM = obj(
    {key.name: key.schema for key in (*STREAM_ITEM, *EXPANDS.values())} | DIRECT_HIT_KEYS,
    optional=(
        *(key.name for key in STREAM_ITEM if key.collapse),
        *(key.name for key in EXPANDS.values()),
        *DIRECT_HIT_KEYS,
    ),
    description=(
        "An issue as the organization's list shows it (Sentry's stream): the list's document "
        "with its lifetime and filtered counts and the stats of groupStatsPeriod; ?collapse= "
        "leaves parts out and ?expand= adds some."
    ),
)

COMPONENTS = {
    "IssueListItem": ISSUE_LIST_ITEM,
    "OrganizationIssueListItem": ORGANIZATION_LIST_ITEM,
}

QUERY = OpenApiParameter(
    name="query",
    type={"type": "string", "pattern": NO_NUL},
    location=OpenApiParameter.QUERY,
    description=(
        f"Sentry's issue search (default {DEFAULT_QUERY}; empty: every issue): is:, assigned:, "
        "bookmarks:, release:, environment:, <tag>:<value> and free text, AND-ed together. "
        f"At most {MAX_QUERY_LENGTH} characters and {MAX_TERMS} terms (400 past that). "
        "An event id, or with shortIdLookup=1 a short id, of an issue the requester reaches "
        "answers that issue alone, whatever the other filters, with the header "
        "X-Sentry-Direct-Hit: 1 (and matchingEventId for an event id)."
    ),
)
STATS_PERIOD = OpenApiParameter(
    name="statsPeriod",
    type={"type": "string", "pattern": "^([0-9]+[smhdw])?$"},
    location=OpenApiParameter.QUERY,
    description=(
        "The stats' period, 1s to 90d (default 24h; 400 outside); empty: no stats. The "
        "series comes under its value in `stats`."
    ),
)
WINDOW = OpenApiParameter(
    name="statsPeriod",
    type={"type": "string", "pattern": "^([0-9]+[smhdw])?$"},
    location=OpenApiParameter.QUERY,
    description=(
        "The search's window, 1s to 90d (400 outside; default and empty: 90d), which "
        "groupStatsPeriod=auto divides into the stats' buckets."
    ),
)
GROUP_STATS_PERIOD = OpenApiParameter(
    name="groupStatsPeriod",
    type={"type": "string", "enum": list(GROUP_STATS_PERIODS)},
    location=OpenApiParameter.QUERY,
    description=(
        "The stats' series (default 24h): 24h hourly, 14d daily, auto the search's window, "
        "empty none. The series comes under its value in `stats`; any other value is a 400."
    ),
)
EXPAND = OpenApiParameter(
    name="expand",
    type={"type": "array", "items": {"type": "string", "pattern": NO_NUL}},
    location=OpenApiParameter.QUERY,
    explode=True,
    description=(
        f"Parts to add to each issue: {', '.join(EXPANDS)} (others are ignored, as in Sentry)."
    ),
)
COLLAPSE = OpenApiParameter(
    name="collapse",
    type={"type": "array", "items": {"type": "string", "pattern": NO_NUL}},
    location=OpenApiParameter.QUERY,
    explode=True,
    description=(
        "Parts to leave out: stats, lifetime, filtered, unhandled or base (others are "
        "ignored, as in Sentry)."
    ),
)
SORT = OpenApiParameter(
    name="sort",
    type={"type": "string", "enum": list(SORTS)},
    location=OpenApiParameter.QUERY,
    description="Last seen (date, the default), first seen (new), events (freq) or users (user).",
)
SHORT_ID_LOOKUP = OpenApiParameter(
    name="shortIdLookup",
    type={"type": "string", "enum": ["0", "1"]},
    location=OpenApiParameter.QUERY,
    description="1: a query that is a short id (PROJECT-1) answers that issue.",
)
LIMIT = OpenApiParameter(
    name="limit",
    type=PER_PAGE_SCHEMA,
    location=OpenApiParameter.QUERY,
    description="Issues per page, 1 to 100 (Sentry's name on the lists; per_page wins).",
)


def list_issues(organization: bool):
    """The GET of the project's list, or of the organization's (`organization`)."""
    where = "the organization's projects the requester reaches" if organization else "a project"
    return extend_schema(
        operation_id="listOrganizationIssues" if organization else "listProjectIssues",
        summary="List an organization's issues" if organization else "List a project's issues",
        description=(
            f"The issues of {where} that the search finds, last seen first unless sorted "
            "otherwise. Paginated: the Link header names the previous and next pages."
        ),
        tags=["Issues"],
        parameters=[
            QUERY,
            ENVIRONMENT,
            *([PROJECTS, WINDOW, GROUP_STATS_PERIOD, EXPAND, COLLAPSE] if organization else []),
            *([] if organization else [STATS_PERIOD]),
            SHORT_ID_LOOKUP,
            SORT,
            LIMIT,
            *PAGE_PARAMETERS,
            *ERROR_HEADERS,
        ],
        responses={
            200: OpenApiResponse(
                response={
                    "type": "array",
                    "items": ref("OrganizationIssueListItem" if organization else "IssueListItem"),
                },
                description="One page.",
            ),
            400: OpenApiResponse(
                response=ref("ValidationError"),
                description=(
                    "A search, statsPeriod, groupStatsPeriod, sort, cursor or page size the "
                    'list refuses (a field map, or {"detail": ...}).'
                ),
            ),
            414: URI_TOO_LONG,
        }
        | ERROR_RESPONSES,
    )

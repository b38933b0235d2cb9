"""The OpenAPI description of the project, team, member and user routes, served with the issue
routes' (issues.openapi keeps ROUTES and adds COMPONENTS to the schema).

The documents' components are in accounts.directory_schemas; tests/accounts/
test_directory_contract.py validates live answers against the served schema with no other key
allowed. Errors use the schema's shared "Error" component ({"detail": ...}).
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts.directory_schemas import COMPONENTS, STRING, ref
from accounts.openapi import PAGE_PARAMETERS, URI_TOO_LONG, _object
from accounts.permissions import (
    MEMBER_READ_SCOPES,
    ORG_READ_SCOPES,
    PROJECT_READ_SCOPES,
)

ROUTES = (
    "/api/0/projects/",
    "/api/0/organizations/{organization_id_or_slug}/projects/",
    "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/",
    "/api/0/organizations/{organization_id_or_slug}/teams/",
    "/api/0/teams/{organization_id_or_slug}/{team_id_or_slug}/projects/",
    "/api/0/organizations/{organization_id_or_slug}/members/",
    "/api/0/users/{user_id}/",
)

PATH_PARAMETER_DESCRIPTIONS = {
    "team_id_or_slug": "The slug of the team, or its id.",
    "user_id": 'The id of a user, or "me": the token\'s owner.',
}

__all__ = ["COMPONENTS", "PATH_PARAMETER_DESCRIPTIONS", "ROUTES"]


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ref("Error"), description=description)


def _query(name: str, description: str, kind=str) -> OpenApiParameter:
    return OpenApiParameter(
        name=name, type=kind, location=OpenApiParameter.QUERY, description=description
    )


PAGING = PAGE_PARAMETERS
UNAUTHORIZED = _error("No credentials, or a token that is unknown, expired or of an inactive user.")
RATE_LIMITED = _error("Rate limited (only when ISSUES_API_RATE_LIMIT is set).")


def _listing(
    operation_id,
    summary,
    description,
    component,
    *,
    scopes,
    tags,
    not_found,
    parameters=(),
    bad_request=None,
):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description + " Paginated: the Link header names the previous and next pages.",
        tags=tags,
        parameters=[*parameters, *PAGING],
        responses={
            200: OpenApiResponse(
                response={"type": "array", "items": ref(component)}, description="One page."
            ),
            400: bad_request or _error("An invalid cursor, per_page, or id in the query."),
            401: UNAUTHORIZED,
            403: _error(
                "The token holds none of " + ", ".join(scopes) + ", or the user has no access."
            ),
            **({404: _error(not_found)} if not_found else {}),
            414: URI_TOO_LONG,
            429: RATE_LIMITED,
        },
    )


PROJECT_QUERY = _query(
    "query",
    "Sentry's search: words match the name or slug; id:, slug:, team:, !team:, is_member: "
    "filter (any other key lists nothing).",
)

list_your_projects = _listing(
    "listYourProjects",
    "List your projects",
    "The projects of the requester's teams, in every organization, newest first.",
    "ProjectWithOrganization",
    scopes=PROJECT_READ_SCOPES,
    tags=["Projects"],
    not_found=None,
    parameters=[
        _query(
            "query",
            "Sentry's search: words match the name or slug; id:, slug:, name:, dsn: filter "
            "(any other key lists nothing).",
        ),
        _query("status", '"active" (the default); any other value lists none.'),
        _query("organizationId", "Only the projects of this organization (its id)."),
    ],
)
# Sentry's own body for a non-numeric id: in the query of an organization's project list.
INVALID_IDS = OpenApiResponse(
    response={
        "anyOf": [
            ref("Error"),
            _object(
                {
                    "error": _object(
                        {"params": _object({"stats_period": _object({"message": STRING})})}
                    )
                }
            ),
        ]
    },
    description='An invalid cursor or per_page ({"detail": ...}), or a non-numeric id in the '
    'query (Sentry\'s {"error": {"params": {"stats_period": {"message": ...}}}}).',
)

list_organization_projects = _listing(
    "listOrganizationProjects",
    "List an organization's projects",
    "Every project of the organization by slug, with the requester's access to each.",
    "ProjectSummary",
    scopes=ORG_READ_SCOPES,
    tags=["Organizations"],
    not_found="No such organization.",
    parameters=[PROJECT_QUERY],
    bad_request=INVALID_IDS,
)
list_organization_teams = _listing(
    "listOrganizationTeams",
    "List an organization's teams",
    "Every team of the organization by slug, with its projects unless detailed=0.",
    "Team",
    scopes=ORG_READ_SCOPES,
    tags=["Teams"],
    not_found="No such organization.",
    parameters=[
        _query("detailed", '"0": without each team\'s projects.'),
        _query("query", "Sentry's search: words match the name or slug; id:, slug: filter."),
    ],
)
list_team_projects = _listing(
    "listTeamProjects",
    "List a team's projects",
    "The team's projects by slug.",
    "ProjectSummary",
    scopes=PROJECT_READ_SCOPES,
    tags=["Teams"],
    not_found="No such organization or team.",
)
list_organization_members = _listing(
    "listOrganizationMembers",
    "List an organization's members",
    "The organization's members (active users), in the order they joined.",
    "OrganizationMember",
    scopes=MEMBER_READ_SCOPES,
    tags=["Organizations"],
    not_found="No such organization.",
    parameters=[
        _query(
            "query",
            "Sentry's search: words match a name, username or email; email:, id:, user.id:, "
            "role:, scope:, has2fa: filter (any other key lists nothing).",
        )
    ],
)

retrieve_project = extend_schema(
    operation_id="retrieveProject",
    summary="Retrieve a project",
    description="A project's details, with Sentry's settings as a project that never changed "
    "them has them.",
    tags=["Projects"],
    responses={
        200: OpenApiResponse(response=ref("ProjectDetail"), description="The project."),
        401: UNAUTHORIZED,
        403: _error(
            "The token holds none of "
            + ", ".join(PROJECT_READ_SCOPES)
            + ", or the user has no access to the project."
        ),
        404: _error("No such organization or project."),
        414: URI_TOO_LONG,
        429: RATE_LIMITED,
    },
)
retrieve_user = extend_schema(
    operation_id="retrieveUser",
    summary="Retrieve the token's owner",
    description="Who holds the token: GET /api/0/users/me/ (or the owner's own id).",
    tags=["Users"],
    responses={
        200: OpenApiResponse(response=ref("SelfUser"), description="The token's owner."),
        401: UNAUTHORIZED,
        403: _error("Another user's id, or a token with no scope at all."),
        404: _error("No such user."),
        414: URI_TOO_LONG,
        429: RATE_LIMITED,
    },
)

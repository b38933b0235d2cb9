"""The OpenAPI description of the release routes, served with the issue routes' (issues.openapi
keeps the routes of RELEASE_ROUTES and adds COMPONENTS, from releases/schemas.py, to the
schema). Errors use the schema's shared "Error" ({"detail": ...}) and "ValidationError" (a
field map) components.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from accounts.openapi import PAGE_PARAMETERS, URI_TOO_LONG
from releases.permissions import (
    RELEASE_READ_SCOPES,
    RELEASE_WRITE_SCOPES,
    REPOSITORY_READ_SCOPES,
)
from releases.schemas import COMPONENTS as COMPONENTS  # the schema's components (issues.openapi)
from releases.schemas import TEXT, ref
from releases.selectors import RELEASE_SORTS, RELEASE_STATUSES

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


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ref("Error"), description=description)


INVALID_BODY = OpenApiResponse(
    response=ref("ValidationError"),
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
        414: URI_TOO_LONG,
        429: _error("Rate limited (only when ISSUES_API_RATE_LIMIT is set)."),
    }


PAGING = PAGE_PARAMETERS
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
    return OpenApiResponse(response={"type": "array", "items": ref(name)}, description=description)


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
            type={"type": "string", "enum": ["", *RELEASE_SORTS]},
            location=OpenApiParameter.QUERY,
            description="date (default; empty too, as in Sentry) or semver; others answer 400.",
        ),
        OpenApiParameter(
            name="status",
            type={"type": "string", "enum": ["", *RELEASE_STATUSES]},
            location=OpenApiParameter.QUERY,
            description=("open (default; empty too) or archived; other values answer 400."),
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
    201: OpenApiResponse(response=ref("Release"), description="Created (or a project added)."),
    208: OpenApiResponse(
        response=ref("Release"), description="The release existed with those projects."
    ),
    400: INVALID_BODY,
}

create_release = extend_schema(
    operation_id="createRelease",
    summary="Create a release (sentry-cli releases new)",
    description="Idempotent: an existing version answers 208 unless a project is added.",
    tags=["Releases"],
    request={"application/json": ref("ReleaseCreate")},
    responses=_CREATED | _errors(RELEASE_WRITE_SCOPES, NO_ORGANIZATION),
)

retrieve_release = extend_schema(
    operation_id="retrieveRelease",
    summary="Retrieve a release",
    tags=["Releases"],
    responses={
        200: OpenApiResponse(response=ref("Release"), description="The release."),
        400: _error("A NUL character in the URL."),
    }
    | _errors(RELEASE_READ_SCOPES, NO_RELEASE),
)

update_release = extend_schema(
    operation_id="updateRelease",
    summary="Update a release (finalize, set-commits)",
    tags=["Releases"],
    request={"application/json": ref("ReleaseUpdate")},
    responses={
        200: OpenApiResponse(response=ref("Release"), description="The release, as updated."),
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
    request={"application/json": ref("DeployCreate")},
    responses={
        201: OpenApiResponse(response=ref("Deploy"), description="The deploy."),
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
    request={"application/json": ref("ProjectReleaseCreate")},
    responses=_CREATED | _errors(RELEASE_WRITE_SCOPES, "No such organization or project."),
)

retrieve_project_release = extend_schema(
    operation_id="retrieveProjectRelease",
    summary="Retrieve a release of a project",
    tags=["Releases"],
    responses={
        200: OpenApiResponse(response=ref("Release"), description="The release."),
        400: _error("A NUL character in the URL."),
    }
    | _errors(RELEASE_READ_SCOPES, NO_PROJECT_RELEASE),
)

update_project_release = extend_schema(
    operation_id="updateProjectRelease",
    summary="Update a release of a project",
    tags=["Releases"],
    request={"application/json": ref("ReleaseUpdate")},
    responses={
        200: OpenApiResponse(response=ref("Release"), description="The release, as updated."),
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
                "anyOf": [ref("Release"), {"type": "object", "maxProperties": 0}],
            },
            description="The release, or {}.",
        ),
        400: _error("A NUL character in the URL."),
    }
    | _errors(RELEASE_READ_SCOPES, NO_RELEASE),
)

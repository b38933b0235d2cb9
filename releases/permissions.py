"""Who may read and write releases: Sentry's OrganizationReleasePermission and
ProjectReleasePermission (the same scope map on an organization and on a project), and its
OrganizationRepositoryPermission. Sentry's org:ci scope (of organization tokens) has no
counterpart here."""

from accounts.permissions import ORG_READ_SCOPES, OrganizationPermission, ProjectPermission

RELEASE_READ_SCOPES = ("project:read", "project:write", "project:admin", "project:releases")
RELEASE_WRITE_SCOPES = ("project:write", "project:admin", "project:releases")
RELEASE_SCOPE_MAP = {
    "GET": RELEASE_READ_SCOPES,
    "HEAD": RELEASE_READ_SCOPES,
    "POST": RELEASE_WRITE_SCOPES,
    "PUT": RELEASE_WRITE_SCOPES,
}
REPOSITORY_READ_SCOPES = (*ORG_READ_SCOPES, "org:integrations")


class OrganizationReleasePermission(OrganizationPermission):
    """On the organization: a member whose role and token leave a release scope. Which of
    its releases the member reaches is the selectors' question (releases.selectors
    reachable_projects), as Sentry's has_release_permission answers 404."""

    scope_map = RELEASE_SCOPE_MAP


class ProjectReleasePermission(ProjectPermission):
    scope_map = RELEASE_SCOPE_MAP


class OrganizationRepositoryPermission(OrganizationPermission):
    scope_map = {"GET": REPOSITORY_READ_SCOPES, "HEAD": REPOSITORY_READ_SCOPES}

"""What every issue route needs (docs/behaviour.md §4): an event scope for the method, then
access to what the route loaded.

Sentry has three classes with one scope map here (GroupPermission, ProjectEventPermission,
OrganizationEventPermission); this is one: an issue is reached through its project, a project
list through the project, an organization's list (or a short id it holds no issue for)
through the organization.
"""

from accounts.permissions import ProjectPermission
from accounts.scopes import EVENT_SCOPES
from issues.models import Issue


class IssuePermission(ProjectPermission):
    scope_map = {
        "GET": EVENT_SCOPES,
        "HEAD": EVENT_SCOPES,
        "PUT": ("event:write", "event:admin"),
        "DELETE": ("event:admin",),
    }

    def project_of(self, obj):
        # The membership an issue endpoint read is on the issue (issues.gather), which
        # access_for passes on with its project.
        return obj.project if isinstance(obj, Issue) else obj

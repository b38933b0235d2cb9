"""Bulk changes: PUT and DELETE on the issue lists (docs/behaviour.md §13), as Sentry's
update_groups and schedule_tasks_to_delete_groups (src/sentry/api/helpers/group_index/).

The issues are named by repeated `?id=`, or else found by the list's search (`query=`,
`environment=`, `sort=`; `is:unresolved` by default), at most BULK_MUTATION_LIMIT of them.
The body is validated once (once per project the selection spans, as Sentry does: an
assignee must be able to see each), and everything that can refuse the request is checked
before the first issue changes; then the single issue's services run on each issue, one
transaction each, writing the activity they write for one issue.
"""

from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from issues.documents import ISSUE, IssueContext, render, shown_keys
from issues.gather import gather_issues
from issues.search import DEFAULT_QUERY, IssueSearch
from issues.selectors import environments_by_name, issues_for_bulk, issues_for_list
from issues.services import issues_bulk_delete, issues_bulk_discard, issues_bulk_update
from issues.status import Ignore, Resolve
from issues.validators import IssueUpdateValidator
from issues_api.api.numbers import as_bigint, is_ascii_number
from issues_api.api.prefix import url_prefix

# Sentry's: a search selects at most this many issues, and its schema says no more can be
# changed at once. More ids cannot be sent: a query string of more than 1000 parameters
# (Django's DATA_UPLOAD_MAX_NUMBER_FIELDS) is a 400 before the view runs.
BULK_MUTATION_LIMIT = 1000

IDS_NOT_INTEGERS = "Issue ids must be integers."
MULTIPLE_PROJECTS = "Cannot set resolved for multiple projects."
MERGE_ACROSS_PROJECTS = "Merging across multiple projects is not supported"
MERGE_NOT_SUPPORTED = "Merging issues is not supported by this service."

# The body's fields a bulk PUT answers as they were validated (Sentry echoes its validated
# data); statusDetails and discard never are, assignedTo is answered as the actor.
ECHOED = (
    "ignoreDuration",
    "ignoreCount",
    "ignoreWindow",
    "ignoreUserCount",
    "ignoreUserWindow",
    "snoozeDuration",
    "hasSeen",
    "isBookmarked",
    "isSubscribed",
    "isPublic",
    "merge",
    "priority",
)


class IssueBulkMutation:
    """PUT and DELETE of an IssueListEndpoint; `listed_projects` says which projects the route
    reaches."""

    def listed_projects(self, request, scope) -> list:
        return scope.projects

    def selected_issues(self, request, scope) -> list:
        """The visible issues the request names, in projects the requester reaches: by id
        (unknown or hidden ones are left out), else by the list's search."""
        projects = self.listed_projects(request, scope)
        queryset = issues_for_list(projects)
        raw_ids = request.query_params.getlist("id")
        if raw_ids:
            if not all(is_ascii_number(value) for value in raw_ids):
                raise ParseError(IDS_NOT_INTEGERS)
            # A number past any id names no issue.
            ids = {as_bigint(value) for value in raw_ids} - {None}
            return issues_for_bulk(queryset.filter(pk__in=ids).order_by("pk"), projects)
        environments = environments_by_name(
            organization_id=scope.organization.pk,
            names=request.query_params.getlist("environment"),
        )
        search = IssueSearch(
            request.query_params,
            queryset=queryset,
            request=request,
            organization=scope.organization,
            environments=environments,
            projects=projects,
            default_query=DEFAULT_QUERY,
        )
        return issues_for_bulk(search.qs[:BULK_MUTATION_LIMIT], projects)

    def validated(self, request, issues, projects) -> IssueUpdateValidator | None:
        """The body, validated for each project of the selection; then what Sentry refuses
        for a selection (a release, commit or next release across projects; a merge)."""
        validator = None
        for project in projects:
            validator = IssueUpdateValidator(
                data=request.data,
                context={"project": project, "scopes": self.access.scopes},
            )
            validator.is_valid(raise_exception=True)
        if validator is None:
            return None
        change = validator.validated_data.status
        if (
            len(projects) > 1
            and isinstance(change, Resolve)
            and (change.in_next_release or change.in_release or change.in_commit)
        ):
            raise ParseError(MULTIPLE_PROJECTS)
        if validator.given.get("merge") and len(issues) > 1:
            # Merging moves events, counters and read models from issue to issue; the service
            # does not, so it refuses before anything changes (docs/behaviour.md §13).
            raise ParseError(MERGE_ACROSS_PROJECTS if len(projects) > 1 else MERGE_NOT_SUPPORTED)
        return validator

    def bulk_update(self, request, scope) -> Response:
        issues = self.selected_issues(request, scope)
        if not issues:
            # Sentry answers 204 without reading the body; an invalid one is refused here
            # all the same (validated as for a project the requester reaches, if any).
            reached = self.listed_projects(request, scope) or scope.projects
            self.validated(request, issues, reached[:1])
            return Response(status=status.HTTP_204_NO_CONTENT)
        projects = list({issue.project_id: issue.project for issue in issues}.values())
        validator = self.validated(request, issues, projects)
        changes = validator.validated_data
        ids = [issue.pk for issue in issues]
        if changes.discard:
            issues_bulk_discard(issue_ids=ids, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        updated = issues_bulk_update(issue_ids=ids, actor=request.user, changes=changes)
        if not updated:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(self.bulk_answer(request, validator, updated[-1]))

    def bulk_answer(self, request, validator, issue_id: int) -> dict:
        """Sentry's answer to a bulk PUT: the fields it was asked to change, with the status,
        its details, the assignee, the share and the subscription as they now are (read from
        the last issue changed: they are the same on each)."""
        now = timezone.now()
        found = gather_issues(user=request.user, ids=[issue_id], now=now)
        document = {}
        if found:
            row = found[0]
            context = IssueContext(
                row.issue,
                parts=row.parts,
                requester=request.user,
                permalink_prefix=url_prefix(request),
                now=row.now,
            )
            document = render(shown_keys(ISSUE, frozenset()), context)
        given = {
            name: validator.given[field.source]
            for name, field in validator.fields.items()
            if field.source in validator.given
        }
        answer = {name: given[name] for name in ECHOED if name in given}
        change = validator.validated_data.status
        if change is not None:
            answer["status"] = "resolved" if isinstance(change, Resolve) else given["status"]
            answer["statusDetails"] = document.get("statusDetails", {})
            if isinstance(change, Resolve | Ignore):
                answer["inbox"] = None
        if "assignedTo" in given:
            answer["assignedTo"] = document.get("assignedTo")
        if "isSubscribed" in given:
            # Sentry's: the explicit (un)subscription's reason, whatever the value.
            answer["subscriptionDetails"] = {"reason": "unknown"}
        if "isPublic" in given:
            answer["shareId"] = document.get("shareId")
        return answer

    def bulk_delete(self, request, scope) -> Response:
        issues = self.selected_issues(request, scope)
        issues_bulk_delete(issue_ids=[issue.pk for issue in issues])
        return Response(status=status.HTTP_204_NO_CONTENT)

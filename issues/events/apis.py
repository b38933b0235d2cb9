"""Thin endpoints for an issue's events and the short-id lookup: parse, call a selector,
serialize."""

from functools import partial

from drf_spectacular.utils import extend_schema_view
from rest_framework.response import Response

from accounts.selectors import organization_by_id_or_slug
from issues.apis import IssueEndpoint
from issues.events import openapi
from issues.events.documents import (
    serialize_event,
    serialize_event_detail,
    serialize_event_summary,
)
from issues.events.filters import event_filters
from issues.events.pages import issue_events_in
from issues.events.selectors import issue_event
from issues_api.api.exceptions import ResourceDoesNotExist
from issues_api.api.numbers import is_ascii_number
from issues_api.api.pagination import paginate

TRUE_VALUES = ("1", "true")


@extend_schema_view(get=openapi.list_events)
class IssueEventListApi(IssueEndpoint):
    """GET .../issues/{issue_id}/events/: newest first, cursor-paginated (Link header).

    Items are Sentry's short event shape; `?full=true` gives the full event with entries.
    `?environment=` narrows the list; an environment the organization does not have gives an
    empty page, as in Sentry (the issue's other routes answer 404). `statsPeriod`, `start`
    and `end` and `query` narrow it too (issues.events.filters; 400 when invalid).
    """

    def get(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        filters = event_filters(request.query_params)
        full = request.query_params.get("full", "").lower() in TRUE_VALUES
        if full:
            grouping = issue.project.grouping_config  # loaded with the issue
            shown = partial(serialize_event, grouping_config=grouping)
            shape = ("full", grouping)
        else:
            shown, shape = serialize_event_summary, "summary"
        events = issue_events_in(
            issue,
            environment_names=request.query_params.getlist("environment"),
            shown=shown,
            shape=shape,
            environment=full,
            filters=filters,
        )
        documents, link = paginate(request, events)
        return Response(documents, headers={"Link": link})


@extend_schema_view(get=openapi.retrieve_event)
class IssueEventDetailApi(IssueEndpoint):
    """GET .../issues/{issue_id}/events/{event_id}/, where event_id is an event id of the
    issue, `latest`, `oldest` or `recommended`. Sentry's `recommended` picks the most helpful
    event; this service has no such ranking and answers the latest one.
    `?environment=` narrows latest/oldest/recommended and the previous/next ids (an unknown
    environment is a 404, as in Sentry); `?collapse=stacktraceOnly` leaves out what the
    detail adds to the full event."""

    def get(self, request, issue_id, event_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        environments = self.get_environments(request, issue)
        event, parts = issue_event(issue, event_id=event_id, environments=environments)
        document = serialize_event_detail(
            event,
            parts=parts,
            requester=request.user,
            grouping_config=issue.project.grouping_config,  # loaded with the issue
            collapse=self.collapse(request, detail=True),
        )
        return Response(document)


class ShortIdLookupApi(IssueEndpoint):
    """GET /api/0/organizations/{org}/shortids/{short_id}/: the issue a short id names.

    Sentry's order: unknown organization (404), not a member (403), unknown short id or one
    of another organization (404), then the issue's own checks (project access 403, hidden
    404). The token needs an event scope, as for the issue GET.
    """

    def get(self, request, organization_id_or_slug, short_id):
        # The issue of the organization, its document and the requester's membership in one
        # statement, as the issue GET reads them.
        gathered = None
        if not is_ascii_number(short_id):  # a short id, never an issue's id
            gathered = self.find_issue(
                request,
                short_id,
                organization_id_or_slug,
                parts=True,
                detail=True,
                collapse=self.collapse(request, detail=True),
            )
        if gathered is None:
            # Nothing found: which of Sentry's answers, in its order: an unknown organization
            # (Organization.DoesNotExist) is a 404, one the requester may not see a 403
            # (IssuePermission on the organization), else the short id is unknown there.
            organization = organization_by_id_or_slug(organization_id_or_slug)
            self.check_object_permissions(request, organization)
            raise ResourceDoesNotExist
        # Found in the organization, which therefore exists. A requester who may not see the
        # organization (neither a member nor an active superuser) reaches none of its
        # projects either: the project check refuses it, with the same 403.
        gathered = self.check_issue(request, gathered)
        issue = gathered.issue
        return Response(
            {
                "organizationSlug": issue.project.organization.slug,
                "projectSlug": issue.project.slug,
                "groupId": str(issue.pk),
                "shortId": issue.qualified_short_id,
                "group": self.render_issue(request, gathered, detail=True),
            }
        )

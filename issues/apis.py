"""Thin endpoints: parse, call a selector or service, serialize."""

from django.conf import settings
from django.utils import timezone
from rest_framework.response import Response

from issues.models import HIDDEN_STATUSES, Environment, Issue
from issues.selectors import environments_by_name, issue_detail_parts, issue_for_request
from issues.serializers import serialize_issue_detail
from issues_api.api.base import SentryEndpoint
from issues_api.api.exceptions import ResourceDoesNotExist
from issues_api.api.permissions import IssuePermission


class IssueEndpoint(SentryEndpoint):
    """Loads the issue of the URL in Sentry's order: lookup (404), membership (403), then
    hidden statuses (404)."""

    permission_classes = [IssuePermission]

    def get_issue(self, request, issue_id: str, organization_id_or_slug: str | None = None):
        try:
            issue = issue_for_request(
                issue_id=issue_id, organization_id_or_slug=organization_id_or_slug
            )
        except Issue.DoesNotExist:
            raise ResourceDoesNotExist from None
        self.check_object_permissions(request, issue)
        if issue.status in HIDDEN_STATUSES:
            raise ResourceDoesNotExist
        return issue


def permalink_prefix(request) -> str:
    return settings.ISSUES_API_URL_PREFIX or request.build_absolute_uri("/").rstrip("/")


class IssueDetailApi(IssueEndpoint):
    def get(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        try:
            environments = environments_by_name(
                organization_id=issue.project.organization_id,
                names=request.query_params.getlist("environment"),
            )
        except Environment.DoesNotExist:
            raise ResourceDoesNotExist from None
        now = timezone.now()
        parts = issue_detail_parts(issue, user=request.user, environments=environments, now=now)
        return Response(
            serialize_issue_detail(
                issue,
                parts=parts,
                requester=request.user,
                permalink_prefix=permalink_prefix(request),
                now=now,
            )
        )

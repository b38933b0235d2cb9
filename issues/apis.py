"""Thin endpoints: parse, call a selector or service, serialize."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from issues.models import HIDDEN_STATUSES, Environment, Issue
from issues.openapi import delete_issue, retrieve_issue, update_issue
from issues.selectors import environments_by_name, issue_by_id, issue_for_request, issue_parts
from issues.serializers import serialize_issue, serialize_issue_detail
from issues.services import issue_delete, issue_discard, issue_update
from issues.validators import IssueUpdateValidator
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

    def get_environments(self, request, issue) -> list[Environment]:
        try:
            return environments_by_name(
                organization_id=issue.project.organization_id,
                names=request.query_params.getlist("environment"),
            )
        except Environment.DoesNotExist:
            raise ResourceDoesNotExist from None

    def render_issue(self, request, issue, *, detail: bool) -> dict:
        environments = self.get_environments(request, issue)
        now = timezone.now()
        parts = issue_parts(
            issue, user=request.user, environments=environments, now=now, detail=detail
        )
        serialize = serialize_issue_detail if detail else serialize_issue
        return serialize(
            issue,
            parts=parts,
            requester=request.user,
            permalink_prefix=permalink_prefix(request),
            now=now,
        )


def permalink_prefix(request) -> str:
    return settings.ISSUES_API_URL_PREFIX or request.build_absolute_uri("/").rstrip("/")


@extend_schema_view(get=retrieve_issue, put=update_issue, delete=delete_issue)
class IssueDetailApi(IssueEndpoint):
    def get(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        return Response(self.render_issue(request, issue, detail=True))

    def put(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        # An unknown environment is a 404 before anything changes.
        self.get_environments(request, issue)
        validator = IssueUpdateValidator(
            data=request.data,
            context={"project": issue.project, "scopes": self.access.scopes},
        )
        validator.is_valid(raise_exception=True)
        changes = validator.validated_data
        try:
            if changes.get("discard"):
                issue_discard(issue_id=issue.pk, actor=request.user)
                return Response(status=status.HTTP_204_NO_CONTENT)
            issue_update(issue_id=issue.pk, actor=request.user, changes=changes)
        except Issue.DoesNotExist:
            raise ResourceDoesNotExist from None  # deleted while we waited for its lock
        return Response(self.render_issue(request, issue_by_id(issue.pk), detail=False))

    def delete(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        issue_delete(issue_id=issue.pk)
        return Response(status=status.HTTP_202_ACCEPTED)

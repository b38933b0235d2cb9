"""Thin endpoints: parse, call a selector or service, serialize."""

import functools

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from issues.bulk import IssueBulkMutation
from issues.bulk_openapi import bulk_delete, bulk_update
from issues.documents import ISSUE, ISSUE_DETAIL, LIST_ITEM, shown_keys
from issues.gather import access_issue, build_issues, read_issues
from issues.list_openapi import list_issues
from issues.lookups import IssueLookup, issue_lookup
from issues.models import HIDDEN_STATUSES, Environment
from issues.openapi import delete_issue, retrieve_issue, update_issue
from issues.parts import Gathered
from issues.permissions import IssuePermission
from issues.rendered import rendered_documents
from issues.search import DEFAULT_QUERY, IssueSearch, parse_period, status_search
from issues.selectors import (
    ListScope,
    direct_hit,
    environments_by_name,
    issues_for_list,
    list_scope,
    status_page,
)
from issues.services import issue_delete, issue_discard, issue_update
from issues.stream import StreamOptions, stream_options
from issues.validators import IssueUpdateValidator
from issues_api.api.base import SentryEndpoint
from issues_api.api.exceptions import ResourceDoesNotExist
from issues_api.api.numbers import as_bigint
from issues_api.api.pagination import Cursor, link_header, paginate
from issues_api.api.prefix import url_prefix


class IssueEndpoint(SentryEndpoint):
    """Loads the issue of the URL in Sentry's order: lookup (404), membership (403), then
    hidden statuses (404)."""

    permission_classes = [IssuePermission]

    def get_issue(self, request, issue_id: str, organization_id_or_slug: str | None = None):
        return self.gather_issue(request, issue_id, organization_id_or_slug, parts=False).issue

    def gather_issue(
        self, request, issue_id: str, organization_id_or_slug: str | None = None, **gathering
    ) -> Gathered:
        """The issue with the requester's membership, in one statement; with the parts of
        its document too when `gathering` asks for them (parts=True, detail=...) and no
        environment filter needs the organization's environments first."""
        gathered = self.find_issue(request, issue_id, organization_id_or_slug, **gathering)
        if gathered is None:
            raise ResourceDoesNotExist
        return self.check_issue(request, gathered)

    def find_issue(
        self, request, issue_id: str, organization_id_or_slug: str | None = None, **gathering
    ) -> Gathered | None:
        """gather_issue's statement, without its checks: None when the URL names no issue.
        The issue is built as far as its checks read it; the rows of its document's parts
        (gathering parts=True) stay in `read` for render_issue."""
        lookup = issue_lookup(issue_id, organization_id_or_slug)
        if lookup is None:
            return None
        if request.query_params.getlist("environment"):
            gathering["parts"] = False
        read = read_issues(
            user=request.user, lookup=lookup, membership=True, now=timezone.now(), **gathering
        )
        return access_issue(read) if read.rows else None

    def check_issue(self, request, gathered: Gathered) -> Gathered:
        """The requester's access to a found issue (403), then its hidden statuses (404)."""
        gathered.issue.requester_membership = gathered.membership
        self.check_object_permissions(request, gathered.issue)
        if gathered.issue.status in HIDDEN_STATUSES:
            raise ResourceDoesNotExist
        return gathered

    def get_environments(self, request, issue) -> list[Environment]:
        """The ?environment= names in the issue's organization; an unknown one raises
        Environment.DoesNotExist, Sentry's 404."""
        return environments_by_name(
            organization_id=issue.project.organization_id,
            names=request.query_params.getlist("environment"),
        )

    @staticmethod
    def collapse(request, *, detail: bool) -> frozenset[str]:
        # Newer Sentry's ?collapse= leaves parts out; ?expand= values we cannot fill are
        # ignored, as Sentry ignores unknown ones.
        return frozenset(request.query_params.getlist("collapse")) if detail else frozenset()

    def render_issue(self, request, gathered: Gathered, *, detail: bool) -> dict:
        """The issue's document (detail: the GET's), from the rows find_issue read with it
        or, when it read no parts (PUT, ?environment=), from a statement of its own."""
        issue = gathered.issue
        collapse = self.collapse(request, detail=detail)
        read = gathered.read
        if read is None or not read.parts:
            environments = self.get_environments(request, issue)
            read = read_issues(
                user=request.user,
                # By its id rather than ids=[...]: PostgreSQL's generic plan then knows it
                # reads one issue and probes the bookmark by (issue, user), where for "any of
                # the ids" it hashes all of the requester's bookmarks, dead rows included.
                lookup=IssueLookup(issue_id=issue.pk),
                detail=detail,
                collapse=collapse,
                environment_ids=[environment.pk for environment in environments],
                now=timezone.now(),
            )
        documents = rendered_documents(
            read,
            # A collapsed key is not computed (lifetime and filtered name parts only lists
            # have).
            keys=shown_keys(ISSUE_DETAIL if detail else ISSUE, collapse),
            requester=request.user,
            permalink_prefix=url_prefix(request),
        )
        if issue.pk not in documents:
            raise ResourceDoesNotExist  # deleted meanwhile
        return documents[issue.pk]


@extend_schema_view(get=retrieve_issue, put=update_issue, delete=delete_issue)
class IssueDetailApi(IssueEndpoint):
    def get(self, request, issue_id, organization_id_or_slug=None):
        gathered = self.gather_issue(
            request,
            issue_id,
            organization_id_or_slug,
            parts=True,
            detail=True,
            collapse=self.collapse(request, detail=True),
        )
        return Response(self.render_issue(request, gathered, detail=True))

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
        # An issue deleted while we waited for its lock raises Issue.DoesNotExist: a 404.
        if changes.discard:
            issue_discard(issue_id=issue.pk, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        issue_update(issue_id=issue.pk, actor=request.user, changes=changes)
        return Response(self.render_issue(request, Gathered(issue, None), detail=False))

    def delete(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        issue_delete(issue_id=issue.pk)
        return Response(status=status.HTTP_202_ACCEPTED)


class IssueListEndpoint(SentryEndpoint):
    """Sentry's issue lists: the issue document without its detail-only parts, built for a
    whole page in a fixed number of queries, with cursor pagination in the Link header."""

    permission_classes = [IssuePermission]
    default_query = DEFAULT_QUERY
    default_stats_period = "24h"

    def get_list_scope(
        self, request, organization_id_or_slug: str, project_id_or_slug: str | None = None
    ) -> ListScope:
        """Where the list looks, in one statement: 404 for an unknown organization or
        project, then the requester's access (403): to the project on the project route,
        to the organization on the organization's."""
        scope = list_scope(request.user, organization_id_or_slug, project_id_or_slug)
        if scope is None:
            raise ResourceDoesNotExist
        checked = scope.organization if project_id_or_slug is None else scope.projects[0]
        checked.requester_membership = scope.membership
        self.check_object_permissions(request, checked)
        return scope

    # Sentry's project list names the environment of an event id's event; its organization
    # list does not.
    matching_event_environment = True

    def list_issues(
        self,
        request,
        *,
        organization,
        projects,
        reachable,
        stream: StreamOptions | None = None,
    ):
        """The list's page; `stream` (the organization list) asks Sentry's stream document,
        whose stats follow groupStatsPeriod (issues.stream), else the stats follow
        statsPeriod, as on Sentry's project list.

        A query that is an event id, or with shortIdLookup=1 a short id, of a visible issue of
        the `reachable` projects answers that issue alone (Sentry's direct hit: header
        X-Sentry-Direct-Hit: 1, for an event id `matchingEventId`), whatever the other
        filters; several issues (an event id in several projects) are listed without the
        header. Otherwise the list searches as usual."""
        environments = environments_by_name(
            organization_id=organization.pk, names=request.query_params.getlist("environment")
        )
        stats_period = parse_period(
            request.query_params.get("statsPeriod", self.default_stats_period)
        )
        now = timezone.now()
        if stream is None:
            series = {"stats_period": stats_period}
            # An empty statsPeriod leaves the stats out.
            keys = shown_keys(LIST_ITEM, frozenset() if stats_period else frozenset({"stats"}))
            stats_label = request.query_params.get("statsPeriod", "24h")
        else:
            series = {"group_stats": stream.series(now=now)}
            keys = stream.keys()
            stats_label = stream.group_stats
        hit = direct_hit(
            request.query_params.get("query", ""),
            projects=reachable,
            short_id_lookup=request.query_params.get("shortIdLookup") == "1",
        )
        search = None
        if hit is not None:
            page = hit.issue_ids
            # One page, with the Link of a page that has no other (Sentry sends none; this
            # service's schema promises one on every 200 of a list).
            link = link_header(
                request,
                previous=Cursor(0, 0, True, has_results=False),
                following=Cursor(0, len(page), False, has_results=False),
            )
            headers = {"Link": link}
            if len(page) == 1:
                headers["X-Sentry-Direct-Hit"] = "1"
        elif (statuses := status_search(request.query_params, self.default_query)) is not None:
            ids = status_page(projects, search=statuses, environments=environments, now=now)
            page, link = paginate(request, ids)
            headers = {"Link": link}
        else:
            search = IssueSearch(
                request.query_params,
                queryset=issues_for_list(projects),
                request=request,
                organization=organization,
                environments=environments,
                projects=projects,
                default_query=self.default_query,
            )
            page, link = paginate(request, search.qs.values_list("id", flat=True))
            headers = {"Link": link}
        # The page names its issues by id; their rows are read with their documents.
        read = read_issues(
            user=request.user,
            ids=page,
            environment_ids=[environment.pk for environment in environments],
            # A direct hit's issue may be of a reachable project the list does not select.
            projects=projects if hit is None else reachable,
            now=now,
            **series,
        )
        built = functools.cache(lambda: {row.issue.pk: row for row in build_issues(read)})
        filtered = {}
        if stream is not None and search is not None:
            environment_ids = [environment.pk for environment in environments]
            filtered = stream.filtered(search, built, environment_ids=environment_ids)
        documents = rendered_documents(
            read,
            keys=keys,
            requester=request.user,
            permalink_prefix=url_prefix(request),
            stats_label=stats_label,
            filtered=filtered,
            built=built if filtered else None,
        )
        # In the page's order; an issue deleted since the page was read is left out.
        items = [documents[issue_id] for issue_id in page if issue_id in documents]
        if hit is not None and hit.event_id is not None and len(items) == 1:
            # A copy: the documents are kept for other requests (issues.rendered).
            items[0] = {**items[0], "matchingEventId": hit.event_id}
            if self.matching_event_environment and hit.event_environment:
                items[0]["matchingEventEnvironment"] = hit.event_environment
        return Response(items, headers=headers)


@extend_schema_view(get=list_issues(False), put=bulk_update(False), delete=bulk_delete(False))
class ProjectIssueListApi(IssueBulkMutation, IssueListEndpoint):
    def get(self, request, organization_id_or_slug, project_id_or_slug):
        scope = self.get_list_scope(request, organization_id_or_slug, project_id_or_slug)
        return self.list_issues(
            request,
            organization=scope.organization,
            projects=scope.projects,
            reachable=scope.projects,
        )

    def put(self, request, organization_id_or_slug, project_id_or_slug):
        scope = self.get_list_scope(request, organization_id_or_slug, project_id_or_slug)
        return self.bulk_update(request, scope)

    def delete(self, request, organization_id_or_slug, project_id_or_slug):
        scope = self.get_list_scope(request, organization_id_or_slug, project_id_or_slug)
        return self.bulk_delete(request, scope)


@extend_schema_view(get=list_issues(True), put=bulk_update(True), delete=bulk_delete(True))
class OrganizationIssueListApi(IssueBulkMutation, IssueListEndpoint):
    default_stats_period = "24h"
    matching_event_environment = False

    def listed_projects(self, request, scope) -> list:
        """The organization's projects the requester reaches, narrowed by ?project= ids
        (-1: all of them); a project id that is not a number answers 404."""
        projects = scope.projects
        wanted = [value for value in request.query_params.getlist("project") if value != "-1"]
        if wanted:
            ids = {as_bigint(value) for value in wanted}
            if None in ids:
                raise ResourceDoesNotExist
            projects = [project for project in projects if project.pk in ids]
        return projects

    def get(self, request, organization_id_or_slug):
        scope = self.get_list_scope(request, organization_id_or_slug)
        projects = self.listed_projects(request, scope)
        stream = stream_options(request.query_params)
        # A direct hit looks in every project the requester reaches, whatever ?project=
        # selects (Sentry: the selected projects and those of the requester's teams).
        return self.list_issues(
            request,
            organization=scope.organization,
            projects=projects,
            reachable=scope.projects,
            stream=stream,
        )

    def put(self, request, organization_id_or_slug):
        return self.bulk_update(request, self.get_list_scope(request, organization_id_or_slug))

    def delete(self, request, organization_id_or_slug):
        return self.bulk_delete(request, self.get_list_scope(request, organization_id_or_slug))

"""Reads. Each function answers one question with a fixed number of queries. The issue
documents' parts are gathered by issues.gather, for one issue or a page."""

# The SQL here is built from declarations in the code, never from input; values travel as
# parameters.
# ruff: noqa: S608

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import Organization, OrganizationMember, Project
from accounts.roles import reaches_every_project
from issues.gather import in_project_team_sql
from issues.models import HIDDEN_STATUSES, Environment, Event, Issue, IssueTagValue
from issues.parts import IssueCounts, Membership
from issues.search import StatusSearch, sort_order
from issues.short_ids import parse_qualified_short_id
from issues_api.api.numbers import MAX_BIGINT, as_bigint, is_ascii_number
from issues_api.db_router import read_connection
from issues_api.jsonrows import Dialect, Shape, build, loads, object_sql
from issues_api.statements import Statements, execute


def environments_by_name(*, organization_id: int, names: list[str]) -> list[Environment]:
    """The named environments of an organization; raises Environment.DoesNotExist if one is
    unknown."""
    if not names:
        return []
    wanted = set(names)
    found = list(Environment.objects.filter(organization_id=organization_id, name__in=wanted))
    if len(found) != len(wanted):
        raise Environment.DoesNotExist
    return found


_status_pages = Statements()


def status_page(
    projects, *, search: StatusSearch, environments, now: datetime
) -> "StatusPage | list":
    """The ids of the visible issues of the projects a StatusSearch finds, in its order, as
    issues_for_list and IssueSearch find them, sliced by a page (issues_api.api.pagination):
    one statement whose text depends only on the search's form."""
    if len(search.statuses) > 1:
        return []  # an issue has one status
    d = Dialect(connection.vendor)
    key = (
        connection.vendor,
        bool(search.statuses),
        search.period is not None,
        len(projects) if connection.vendor != "postgresql" else None,
        len(environments) if connection.vendor != "postgresql" else bool(environments),
        search.sort,
    )
    sql = _status_pages.get_or_build(
        key, lambda: _status_page_sql(d, search, len(projects), len(environments))
    )
    params = d.any_params("hidden", [int(status) for status in HIDDEN_STATUSES])
    params |= d.any_params("projects", [project.pk for project in projects])
    if environments:
        params |= d.any_params("environments", [environment.pk for environment in environments])
    if search.statuses:
        params["status"] = int(next(iter(search.statuses)))
    if search.period is not None:
        params["since"] = connection.ops.adapt_datetimefield_value(now - search.period)
    return StatusPage(sql, params)


def _status_page_sql(d: Dialect, search: StatusSearch, projects: int, environments: int) -> str:
    hidden = d.any('i."status"', "hidden", len(HIDDEN_STATUSES))
    where = [d.any('i."project_id"', "projects", projects), f"NOT ({hidden})"]
    if search.statuses:
        where.append('i."status" = %(status)s')
    if search.period is not None:
        where.append('i."last_seen" >= %(since)s')
    if environments:
        seen_in = d.any('e."environment_id"', "environments", environments)
        where.append(
            f'i."id" IN (SELECT e."issue_id" FROM "issues_issueenvironment" e WHERE {seen_in})'
        )
    columns = {field.name: field.column for field in Issue._meta.concrete_fields}
    order = ", ".join(
        f'i."{columns[name.lstrip("-")]}"{" DESC" if name.startswith("-") else ""}'
        for name in sort_order(search.sort)
    )
    return (
        f'SELECT i."id" FROM "issues_issue" i WHERE {" AND ".join(where)}'
        f" ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s"
    )


@dataclass(frozen=True)
class StatusPage:
    """A status_page's statement, run for the slice of rows a page asks."""

    sql: str
    params: dict

    def __getitem__(self, rows: slice) -> list[int]:
        params = self.params | {"limit": rows.stop - rows.start, "offset": rows.start}
        with read_connection().cursor() as cursor:
            cursor.execute(self.sql, params)
            return [issue_id for (issue_id,) in cursor.fetchall()]


def issues_for_list(projects) -> QuerySet:
    """Visible issues of the projects (their documents' rows are gathered by page)."""
    return Issue.objects.filter(project__in=projects).exclude(status__in=HIDDEN_STATUSES)


@dataclass(frozen=True)
class DirectHit:
    """The issues a list's query names directly (Sentry's direct hit): the issue of an event
    id (several where the id is an event of several projects), with the event's id and
    environment, or the issue of a short id."""

    issue_ids: list[int]
    event_id: str | None = None
    event_environment: str | None = None


# How many issues an event id may name at most (one per project).
DIRECT_HIT_LIMIT = 100


def normalized_event_id(value: str) -> str | None:
    """Sentry's normalize_event_id: the 32 lowercase hex digits of an event id written as a
    UUID (dashes, braces and case ignored), None for anything else."""
    try:
        return uuid.UUID(value).hex
    except ValueError:
        return None


def direct_hit(query: str, *, projects, short_id_lookup: bool) -> DirectHit | None:
    """What a list's query names directly among `projects` (those the requester reaches,
    or the project of the project's list), as Sentry's issue lists look it up: an event id
    first, then, with shortIdLookup=1, a qualified short id. None when the query is neither
    or names no visible issue there (the list then searches as usual). One query, two when
    an event id finds nothing and a short id is looked up too."""
    query = query.strip()
    project_ids = [project.pk for project in projects]
    # A NUL is not text the database takes: the search answers its 400.
    if not query or not project_ids or "\x00" in query:
        return None
    event_id = normalized_event_id(query)
    if event_id is not None:
        rows = list(
            Event.objects.filter(project_id__in=project_ids, event_id=event_id)
            .exclude(issue__status__in=HIDDEN_STATUSES)
            .order_by("issue_id")
            .values_list("issue_id", "environment__name")
            .distinct()[:DIRECT_HIT_LIMIT]
        )
        if rows:
            issue_ids = list(dict.fromkeys(issue_id for issue_id, _ in rows))
            return DirectHit(issue_ids=issue_ids, event_id=event_id, event_environment=rows[0][1])
    parsed = parse_qualified_short_id(query) if short_id_lookup else None
    if parsed is not None and parsed[1] <= MAX_BIGINT:
        slug, short_id = parsed
        found = (
            Issue.objects.filter(project_id__in=project_ids, project__slug=slug, short_id=short_id)
            .exclude(status__in=HIDDEN_STATUSES)
            .values_list("id", flat=True)
            .first()
        )
        if found is not None:
            return DirectHit(issue_ids=[found])
    return None


def tag_value_counts(
    *, issue_ids: list[int], terms: list[tuple], environment_ids: list[int]
) -> dict[int, IssueCounts]:
    """For each issue, the events that carry a tag term (`terms`: (keys, values) pairs, as
    issues.search reads them), in the environments given (all without any): the rarest
    term's count, first and last seen (user_count 0: no users are counted by tag value).
    One query, whatever the number of issues and terms."""
    if not issue_ids or not terms:
        return {}
    matching = Q()
    for keys, values in terms:
        matching |= Q(key__in=keys, value__in=values)
    rows = IssueTagValue.objects.filter(matching, issue_id__in=issue_ids)
    if environment_ids:
        rows = rows.filter(environment_id__in=environment_ids)
    totals: dict[int, list[list]] = {}
    columns = ("issue_id", "key", "value", "times_seen", "first_seen", "last_seen")
    for issue_id, key, value, times_seen, first_seen, last_seen in rows.values_list(*columns):
        per_term = totals.setdefault(issue_id, [[0, None, None] for _ in terms])
        for index, (keys, values) in enumerate(terms):
            if key in keys and value in values:
                total = per_term[index]
                total[0] += times_seen
                total[1] = first_seen if total[1] is None else min(total[1], first_seen)
                total[2] = last_seen if total[2] is None else max(total[2], last_seen)
    return {
        issue_id: IssueCounts(count, 0, first, last)
        for issue_id, per_term in totals.items()
        for count, first, last in [min(per_term, key=lambda total: total[0])]
    }


def issues_for_bulk(queryset: QuerySet, projects) -> list[Issue]:
    """The rows of a bulk change's selection (issues_for_list narrowed by ids or a search),
    in one query, each with its project taken from `projects` rather than read again."""
    by_id = {project.pk: project for project in projects}
    issues = list(queryset)
    for issue in issues:
        issue._state.fields_cache["project"] = by_id[issue.project_id]
    return issues


@dataclass
class ListScope:
    """Where an issue list looks: the organization, the projects it names (each with its
    organization in its cache) and the requester's membership (None for none)."""

    organization: Organization
    projects: list[Project]
    membership: Membership | None


_scope_statements = Statements()


def _scope_sql(d: Dialect, *, by_slug: bool, project: bool) -> str:
    member = (
        f'FROM "{OrganizationMember._meta.db_table}" m'
        ' WHERE m."organization_id" = o."id" AND m."user_id" = %(user_id)s'
    )
    project_id = 'p."id"'
    in_team = f"EXISTS (SELECT 1 {member} AND {in_project_team_sql('m', project_id)})"
    item = d.object([("row", object_sql(d, Project, Shape(), "p")), ("in_team", in_team)])
    which = ' AND (p."slug" = %(project_slug)s OR p."id" = %(project_id)s)' if project else ""
    order = 'p."slug", p."id"'
    projects = (
        f"(SELECT {d.array(item, order)} FROM (SELECT * FROM"
        f' "{Project._meta.db_table}" p WHERE p."organization_id" = o."id"{which}'
        ' ORDER BY p."slug", p."id") p)'
    )
    organization = 'o."slug" = %(organization)s' if by_slug else 'o."id" = %(organization)s'
    return (
        f'SELECT {object_sql(d, Organization, Shape(), "o")}, (SELECT m."role" {member}),'
        f' {projects} FROM "{Organization._meta.db_table}" o WHERE {organization}'
    )


def list_scope(user, organization_id_or_slug: str, project_id_or_slug: str | None = None):
    """The organization (by id or slug), the requester's membership, and its projects that
    the requester reaches (superusers: all), or only the one the project route names (by
    slug, else by id; whether the requester reaches it is the caller's question), in one
    statement. None when the organization or the named project does not exist."""
    by_slug = not is_ascii_number(organization_id_or_slug)
    organization_key = organization_id_or_slug if by_slug else as_bigint(organization_id_or_slug)
    if organization_key is None:
        return None
    named = project_id_or_slug is not None
    sql = _scope_statements.get_or_build(
        (connection.vendor, by_slug, named),
        lambda: _scope_sql(Dialect(connection.vendor), by_slug=by_slug, project=named),
    )
    params = {"user_id": user.pk, "organization": organization_key}
    if named:
        params["project_slug"] = project_id_or_slug
        params["project_id"] = (
            as_bigint(project_id_or_slug) if is_ascii_number(project_id_or_slug) else None
        )
    rows = execute(sql, params)
    if not rows:
        return None
    organization_data, role, project_data = rows[0]
    children: dict = {}
    organization = build(Organization, loads(organization_data), Shape(), children)
    items = []
    for item in loads(project_data):
        project = build(Project, item["row"], Shape(), children)
        project._state.fields_cache["organization"] = organization
        items.append((project, bool(item["in_team"])))
    if named:
        # The slug names the project before the id does.
        items = ([item for item in items if item[0].slug == project_id_or_slug] or items)[:1]
        if not items:
            return None
    membership = None
    if role is not None:
        membership = Membership(role=role, in_project_team=bool(named and items[0][1]))
    if named or (user.is_superuser and user.is_active):
        projects = [project for project, _ in items]
    elif membership is None:
        projects = []
    elif reaches_every_project(organization, role):
        projects = [project for project, _ in items]
    else:
        projects = [project for project, in_team in items if in_team]
    return ListScope(organization=organization, projects=projects, membership=membership)

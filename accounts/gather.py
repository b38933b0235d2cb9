"""The organization details document's rows, read in one SQL statement.

The organization, the requester's membership with its teams, the organization's teams with
their active member counts, and its projects with their teams: JSON built by the database
(issues_api.jsonrows), one row or none. Before this, the document ran six ORM queries whose
compilation cost more than the work itself (issue 10). The statement's text depends only on
how the URL names the organization (id or slug), not on the values.
"""

# The SQL here is built from model metadata and declarations in the code, never from input;
# values travel as parameters.
# ruff: noqa: S608

from dataclasses import dataclass, field

from django.db import connection

from accounts.models import Organization, OrganizationMember, Project, Team, User
from issues_api.api.numbers import as_bigint, is_ascii_number
from issues_api.jsonrows import Dialect, Shape, build, loads
from issues_api.statements import Statements, execute

MEMBER_TEAMS = OrganizationMember.teams.through._meta.db_table
PROJECT_TEAMS = Project.teams.through._meta.db_table
# As Sentry sorts them (and organization_parts did): by slug, then id.
BY_SLUG = ("slug", "id")


@dataclass
class OrganizationParts:
    """What the organization details show beyond its row: its teams (with member_count) and
    projects sorted by slug as Sentry sorts them, each project's teams (by slug too), and
    the ids of the requester's teams."""

    teams: list[Team] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    project_teams: dict[int, list[Team]] = field(default_factory=dict)
    member_team_ids: set[int] = field(default_factory=set)


@dataclass
class GatheredOrganization:
    organization: Organization
    # The requester's membership (its pk and role), None when not a member.
    membership: OrganizationMember | None
    parts: OrganizationParts


def _columns(d: Dialect, model, alias: str) -> list[str]:
    """The row's columns, as jsonrows.build reads them (values past them are the caller's)."""
    return [d.column(alias, f) for f in model._meta.concrete_fields]


def _array(d: Dialect, body: str, source: str, alias: str) -> str:
    """The JSON array of `body` (a row's values on `alias`) over the rows of `source` (a FROM ...
    WHERE ... clause), sorted by slug then id; [] when there are none."""
    order = ", ".join(f'{alias}."{column}"' for column in BY_SLUG)
    order_columns = ", ".join(f'{alias}."{column}" AS o{i}' for i, column in enumerate(BY_SLUG))
    outer_order = ", ".join(f"s.o{i}" for i in range(len(BY_SLUG)))
    inner = f"SELECT {body} AS j, {order_columns} FROM {source} ORDER BY {order}"
    return d.nested(f"SELECT {d.array('s.j', outer_order)} FROM ({inner}) s")


def _build_statement(d: Dialect, *, by_id: bool) -> str:
    users, members = User._meta.db_table, OrganizationMember._meta.db_table
    membership = d.object(
        [
            ("id", 'm."id"'),
            ("role", 'm."role"'),
            (
                "teams",
                d.nested(
                    f'SELECT {d.array('mt."team_id"')} FROM "{MEMBER_TEAMS}" mt'
                    ' WHERE mt."organizationmember_id" = m."id"'
                ),
            ),
        ]
    )
    # Members of the team whose user is active.
    member_count = (
        f'(SELECT COUNT(*) FROM "{MEMBER_TEAMS}" tm'
        f' JOIN "{members}" tm_m ON tm_m."id" = tm."organizationmember_id"'
        f' JOIN "{users}" tm_u ON tm_u."id" = tm_m."user_id"'
        f' WHERE tm."team_id" = t."id" AND {d.boolean('tm_u."is_active"')})'
    )
    team = d.values([*_columns(d, Team, "t"), member_count])
    project_team = d.values(_columns(d, Team, "pt_t"))
    project_teams = _array(
        d,
        project_team,
        f'"{PROJECT_TEAMS}" pt JOIN "{Team._meta.db_table}" pt_t ON pt_t."id" = pt."team_id"'
        ' WHERE pt."project_id" = p."id"',
        "pt_t",
    )
    project = d.values([*_columns(d, Project, "p"), project_teams])
    columns = {
        "head": d.values(_columns(d, Organization, "o")),
        "membership": (
            f'(SELECT {membership} FROM "{members}" m'
            ' WHERE m."organization_id" = o."id" AND m."user_id" = %(user_id)s)'
        ),
        "teams": _array(
            d, team, f'"{Team._meta.db_table}" t WHERE t."organization_id" = o."id"', "t"
        ),
        "projects": _array(
            d, project, f'"{Project._meta.db_table}" p WHERE p."organization_id" = o."id"', "p"
        ),
    }
    select = ", ".join(f"{sql} AS {name}" for name, sql in columns.items())
    where = 'o."id" = %(id)s' if by_id else 'o."slug" = %(slug)s'
    return f'SELECT {select} FROM "{Organization._meta.db_table}" o WHERE {where}'


_statements = Statements(limit=8)


def gather_organization(id_or_slug: str, *, user: User) -> GatheredOrganization | None:
    """The organization a URL names (by id, or by slug when not a number) with the parts of
    its details document and the requester's membership; None when there is none."""
    if is_ascii_number(id_or_slug):
        number = as_bigint(id_or_slug)
        if number is None:
            return None
        by_id, params = True, {"id": number}
    else:
        by_id, params = False, {"slug": id_or_slug}
    vendor = connection.vendor
    sql = _statements.get_or_build(
        (vendor, by_id), lambda: _build_statement(Dialect(vendor), by_id=by_id)
    )
    rows = execute(sql, params | {"user_id": user.pk})
    if not rows:
        return None
    head, membership, teams, projects = rows[0]
    children: dict = {}
    plain = Shape()
    organization = build(Organization, loads(head), plain, children)
    parts = OrganizationParts()
    member = None
    membership = loads(membership)
    if membership is not None:
        member = OrganizationMember(
            id=membership["id"],
            role=membership["role"],
            organization_id=organization.pk,
            user_id=user.pk,
        )
        parts.member_team_ids = set(loads(membership["teams"]))
    for data in loads(teams):
        team = build(Team, data, plain, children)
        team.member_count = data[-1]
        parts.teams.append(team)
    for data in loads(projects):
        project = build(Project, data, plain, children)
        parts.projects.append(project)
        parts.project_teams[project.pk] = [
            build(Team, team, plain, children) for team in loads(data[-1])
        ]
    return GatheredOrganization(organization=organization, membership=member, parts=parts)

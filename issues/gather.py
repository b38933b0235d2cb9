"""Sentry's get_attrs for issues: the rows an issue document shows, for one issue or a page.

One SQL statement reads the issues with their related rows (project, organization, share,
assignee, snooze, resolution, releases, the users they name with their emails) and every
part of their documents (seen-by, subscriptions, bookmark, activity, counts by environment,
user reports, tags, hourly counts), as JSON built by the database (issues_api.jsonrows).
Its cost does not grow with the number of events: every part reads counters and read
models, on indexed keys, with a limit where a part can grow. The statement's text depends
only on what is asked (detail or list, collapsed parts, environments), not on the values.

What it reads is declared in issues.shapes, how a URL names the issue in issues.lookups, and
the stats series in issues.stats.

Before this, a GET ran 13 queries whose compilation by the ORM and planning by PostgreSQL cost
five times the work itself (issue 10).
"""

# The SQL here is built from declarations in the code, never from input; values travel as
# parameters.
# ruff: noqa: S608

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection

from accounts.models import OrganizationMember, Project, User, UserEmail
from issues.lookups import IssueLookup, lookup_key, lookup_sql
from issues.models import (
    Issue,
)
from issues.parts import Gathered, IssueCounts, IssueParts, Membership, People
from issues.shapes import (
    ACTIVITY_ROWS,
    LOOKUP_SHAPE,
    TAG_KEY_LIMIT,
    issue_shape,
    seen_rows,
    shown_rows,
    subscription_rows,
    users_sql,
)
from issues.stats import (
    COUNTS,
    DETAIL_STATS_PERIOD,
    counts_rollup,
    stats_buckets,
    stats_series,
)
from issues_api.jsonrows import (
    Dialect,
    Shape,
    build,
    build_rows,
    column_index,
    loads,
    object_sql,
    parse_datetime,
    rows_sql,
)
from issues_api.memo import TextMemo
from issues_api.statements import Statements, execute


def in_project_team_sql(member: str, project_id: str) -> str:
    """SQL: whether one of the teams of the membership row at alias `member` has the project
    whose id `project_id` (SQL) is."""
    member_teams = OrganizationMember.teams.through._meta.db_table
    project_teams = Project.teams.through._meta.db_table
    return (
        f'EXISTS (SELECT 1 FROM "{member_teams}" mt'
        f' JOIN "{project_teams}" pt ON pt."team_id" = mt."team_id"'
        f' WHERE mt."organizationmember_id" = {member}."id" AND pt."project_id" = {project_id})'
    )


def _membership_sql() -> str:
    return (
        f'SELECT {{object}} FROM "{OrganizationMember._meta.db_table}" m'
        ' WHERE m."organization_id" = p."organization_id" AND m."user_id" = %(user_id)s'
    ), in_project_team_sql("m", 'i."project_id"')


_statements = Statements()


def _statement(
    *,
    lookup: IssueLookup | None,
    number_of_ids: int,
    detail: bool,
    collapse: frozenset[str],
    parts: bool,
    membership: bool,
    number_of_environments: int,
    rollups: tuple[int, ...],
    project: bool,
) -> tuple[str, list[str]]:
    """The SQL of a gathering and the names of its columns, built once per form."""
    vendor = connection.vendor
    key = (
        vendor,
        lookup_key(lookup),
        number_of_ids if vendor != "postgresql" else None,
        detail,
        collapse & {"release", "tags"},
        parts,
        membership,
        number_of_environments if vendor != "postgresql" else min(number_of_environments, 2),
        rollups,
        project,
    )
    return _statements.get_or_build(
        key,
        lambda: _build_statement(
            Dialect(vendor),
            lookup=lookup,
            number_of_ids=number_of_ids,
            detail=detail,
            collapse=collapse,
            parts=parts,
            membership=membership,
            number_of_environments=number_of_environments,
            rollups=rollups,
            project=project,
        ),
    )


def _build_statement(
    d: Dialect,
    *,
    lookup,
    number_of_ids,
    detail,
    collapse,
    parts,
    membership,
    number_of_environments,
    rollups,
    project,
) -> tuple[str, list[str]]:
    shape = issue_shape(detail=detail, collapse=collapse, parts=parts, project=project)
    # JSON comes as its text: issues.rendered keys documents by it, and parses it only to
    # build one it has not kept.
    columns = [
        ("id", 'i."id"'),
        ("project_id", 'i."project_id"'),
        ("head", d.text(object_sql(d, Issue, shape, "i"))),
    ]
    issue_key = 'i."id"'

    def environments(alias):
        if not number_of_environments:
            return ""
        return " AND " + d.any(f'{alias}."environment_id"', "environments", number_of_environments)

    if parts:
        columns += [
            ("seen", d.text(rows_sql(d, seen_rows(detail=detail), issue_key))),
            ("subscriptions", d.text(rows_sql(d, subscription_rows(detail=detail), issue_key))),
            (
                "bookmarked",
                'EXISTS (SELECT 1 FROM "issues_bookmark" b'
                ' WHERE b."issue_id" = i."id" AND b."user_id" = %(user_id)s)',
            ),
        ]
        if number_of_environments:
            counts = d.object(
                [
                    ("times_seen", 'coalesce(SUM(e."times_seen"), 0)'),
                    ("user_count", 'coalesce(SUM(e."user_count"), 0)'),
                    ("first_seen", 'MIN(e."first_seen")'),
                    ("last_seen", 'MAX(e."last_seen")'),
                ]
            )
            columns.append(
                (
                    "counts",
                    d.text(
                        f'(SELECT {counts} FROM "issues_issueenvironment" e'
                        f' WHERE e."issue_id" = i."id"{environments("e")})'
                    ),
                )
            )
            if number_of_environments > 1:
                # A user seen in two environments counts once.
                columns.append(
                    (
                        "distinct_users",
                        '(SELECT COUNT(DISTINCT u."user_key") FROM "issues_issueuser" u'
                        f' WHERE u."issue_id" = i."id"{environments("u")})',
                    )
                )
        if detail:
            columns += [(name, d.text(sql)) for name, sql in users_sql(d, issue_key)]
            columns += [
                ("activity", d.text(rows_sql(d, ACTIVITY_ROWS, issue_key))),
                (
                    "user_reports",
                    '(SELECT COUNT(*) FROM "issues_userreport" r'
                    f' WHERE r."issue_id" = i."id"{environments("r")})',
                ),
            ]
            if "tags" not in collapse:
                tag = d.object([("key", "s.key"), ("total", "s.total")])
                columns.append(
                    (
                        "tag_keys",
                        d.text(
                            f"(SELECT {d.array(tag, 's.total DESC, s.key')} FROM ("
                            'SELECT k."key" AS key, SUM(k."times_seen") AS total'
                            ' FROM "issues_issuetagkey" k'
                            f' WHERE k."issue_id" = i."id"{environments("k")}'
                            ' GROUP BY k."key" ORDER BY total DESC, k."key"'
                            f" LIMIT {TAG_KEY_LIMIT}) s)"
                        ),
                    )
                )
        # Stats read the hourly counts for hourly buckets, the daily ones for daily buckets:
        # their rows as two arrays (their moments, their counts), which stats_buckets sums by
        # bucket (with ?environment=, an issue seen in three of them has three rows an hour;
        # without, the totals have one). Summed and made into an object per bucket here, they
        # cost the database three times as much.
        for rollup in rollups:
            counts = COUNTS[rollup]
            table = counts.per_environment if number_of_environments else counts.total
            column, name = counts.column, counts.name
            at, count = d.epoch(f'h."{column}"'), 'h."count"'
            columns.append(
                (
                    name,
                    d.text(
                        f"(SELECT {d.values([d.array(at), d.array(count)])}"
                        f' FROM "{table}" h'
                        f' WHERE h."issue_id" = i."id" AND h."{column}" >= %({name}_from)s'
                        f' AND h."{column}" < %({name}_to)s{environments("h")})'
                    ),
                )
            )
    if membership:
        select, in_team = _membership_sql()
        member = d.object([("role", 'm."role"'), ("in_team", in_team)])
        columns.append(("membership", d.text(f"({select.format(object=member)})")))
    select = ", ".join(f"{sql} AS {name}" for name, sql in columns)
    sql = (
        f'SELECT {select} FROM "issues_issue" i'
        ' JOIN "accounts_project" p ON p."id" = i."project_id"'
        f" WHERE {lookup_sql(d, lookup, number_of_ids)}"
    )
    return sql, [name for name, _ in columns]


@dataclass
class IssueRows:
    """What gather's statement read for some issues, their JSON as text, with what building
    their documents from it needs (build_issues). Each row is a dict by column: `id` and
    `project_id` as numbers, the parts as their text."""

    rows: list[dict]
    shape: Shape
    detail: bool
    parts: bool
    membership: bool
    # {period or "group": (rollup, buckets)}: the stats series the rows' counts fill.
    series: dict
    now: datetime
    projects: list[Project] | None


def gather_issues(**gathering) -> list[Gathered]:
    """The issues a lookup or a list of ids names, each with its related rows, and with the
    parts of its document (parts=True) and the requester's membership (membership=True):
    read_issues, then build_issues."""
    return build_issues(read_issues(**gathering))


def read_issues(
    *,
    user: User,
    lookup: IssueLookup | None = None,
    ids: list[int] = (),
    detail: bool = False,
    collapse: frozenset[str] = frozenset(),
    parts: bool = True,
    membership: bool = False,
    environment_ids: list[int] = (),
    stats_period: timedelta | None = None,
    group_stats: tuple[int, list[int]] | None = None,
    projects: list[Project] | None = None,
    now: datetime,
) -> IssueRows:
    """The rows of the issues a lookup or a list of ids names, in one statement.

    detail=False gives what PUT and lists show (Sentry's GroupSerializer); detail=True adds
    what only GET shows, its 24-hour and 30-day stats included. stats_period asks lists'
    stats, group_stats (a rollup and its buckets, issues.stats.group_stats_series) the
    organization list's. Collapsed parts are not read at all. `projects`, when the caller
    has read them (with their organizations), are not read again; an issue of another
    project (moved since its page was read) is left out.
    """
    # The periods the stats show: 24 hours and 30 days on the GET document, the list's one.
    periods = ()
    if detail and "stats" not in collapse:
        periods = (timedelta(days=1), DETAIL_STATS_PERIOD)
    elif stats_period is not None:
        periods = (stats_period,)
    series = {period: stats_series(period, now=now) for period in periods}
    if group_stats is not None:
        series = {"group": group_stats}
    # The read models the series sum (a 6-hour series sums the hourly counts).
    rollups = tuple(counts_rollup(rollup) for rollup, _ in series.values())
    environment_ids = list(environment_ids)
    ids = list(ids)
    sql, names = _statement(
        lookup=lookup,
        number_of_ids=len(ids),
        detail=detail,
        collapse=collapse,
        parts=parts,
        membership=membership,
        number_of_environments=len(environment_ids),
        project=projects is None,
        rollups=rollups,
    )
    d = Dialect(connection.vendor)
    params = {"user_id": user.pk}
    if lookup is None:
        params |= d.any_params("ids", ids)
    else:
        params |= {key: value for key, value in vars(lookup).items() if value is not None}
    if environment_ids:
        params |= d.any_params("environments", environment_ids)
    for rollup, buckets in series.values():
        name = COUNTS[counts_rollup(rollup)].name
        params[f"{name}_from"] = connection.ops.adapt_datetimefield_value(
            datetime.fromtimestamp(buckets[0], UTC)
        )
        params[f"{name}_to"] = connection.ops.adapt_datetimefield_value(
            datetime.fromtimestamp(buckets[-1] + rollup, UTC)
        )
    rows = [dict(zip(names, row, strict=True)) for row in execute(sql, params)]
    if projects is not None:
        listed = {project.pk for project in projects}
        rows = [row for row in rows if row["project_id"] in listed]
    return IssueRows(
        rows=rows,
        shape=issue_shape(detail=detail, collapse=collapse, parts=parts, project=projects is None),
        detail=detail,
        parts=parts,
        membership=membership,
        series=series,
        now=now,
        projects=projects,
    )


def build_issues(read: IssueRows, rows: list[dict] | None = None) -> list[Gathered]:
    """The issues of the rows read (or of `rows`, some of them), built: each with its related
    rows in its relation caches and the parts of its document, as the serializers read
    them."""
    # One memo for the page: its issues share their project, organization and users.
    children: dict = {}
    gathered = [
        _gathered(
            row,
            shape=read.shape,
            detail=read.detail,
            parts=read.parts,
            membership=read.membership,
            series=read.series,
            now=read.now,
            children=children,
        )
        for row in (read.rows if rows is None else rows)
    ]
    if read.projects is not None:
        by_id = {project.pk: project for project in read.projects}
        for item in gathered:
            item.issue._state.fields_cache["project"] = by_id[item.issue.project_id]
    if read.parts:
        # By user, and by release: what one issue shows is the same for another.
        emails_by_user, release_projects = shown_rows(children)
        for item in gathered:
            item.parts.emails_by_user = emails_by_user
            item.parts.release_projects = release_projects
    return gathered


def access_issue(read: IssueRows) -> Gathered:
    """The first issue read, built only as far as access checks read it (with its project and
    its organization), with the requester's membership; the parts of its document stay as
    read (`read`), for issues.rendered, which builds them only for a document it has not
    kept. A head read with its project has it first (issues.shapes.issue_shape): its JSON
    starts as LOOKUP_SHAPE's does."""
    if read.projects is not None:
        raise ValueError("access_issue reads an issue read with its project")
    row = read.rows[0]
    issue = build(Issue, loads(row["head"]), LOOKUP_SHAPE, {})
    gathered = Gathered(issue=issue, parts=None, now=read.now, read=read)
    if read.membership:
        gathered.membership = _membership(row)
    return gathered


def _membership(row) -> Membership | None:
    member = loads(row["membership"])
    if member is None:
        return None
    return Membership(role=member["role"], in_project_team=bool(member["in_team"]))


def _gathered(row, *, shape, detail, parts, membership, series, now, children) -> Gathered:
    issue = build(Issue, loads(row["head"]), shape, children)
    gathered = Gathered(issue=issue, parts=None, now=now)
    if membership:
        gathered.membership = _membership(row)
    if not parts:
        return gathered
    counts = IssueCounts(issue.times_seen, issue.user_count, issue.first_seen, issue.last_seen)
    if "counts" in row:
        totals = loads(row["counts"])
        counts = IssueCounts(
            int(totals["times_seen"]),
            int(row.get("distinct_users", totals["user_count"])),
            parse_datetime(totals["first_seen"]),
            parse_datetime(totals["last_seen"]),
        )
    if detail:
        people = _people_of(row, children)
        result = IssueParts(
            counts=counts,
            seen=people.seen,
            subscriptions=people.subscriptions,
            is_bookmarked=bool(row["bookmarked"]),
            emails_by_user={},
            activity=people.activity,
            user_rows=people.user_rows,
            user_email_rows=people.user_email_rows,
            people=people,
        )
    else:
        result = IssueParts(
            counts=counts,
            seen=build_rows(seen_rows(detail=False), row["seen"], children),
            subscriptions=build_rows(
                subscription_rows(detail=False), row["subscriptions"], children
            ),
            is_bookmarked=bool(row["bookmarked"]),
            emails_by_user={},
        )
    if detail:
        result.user_report_count = row["user_reports"]
        if "tag_keys" in row:
            result.tag_keys = [(tag["key"], int(tag["total"])) for tag in loads(row["tag_keys"])]
    stats = {}
    for period, (rollup, buckets) in series.items():
        column = COUNTS[counts_rollup(rollup)].name
        moments, counts = loads(row[column])
        pairs = zip(moments, counts, strict=True)
        stats[period] = stats_buckets(pairs, rollup=rollup, buckets=buckets)
    if detail and stats:
        result.stats = {"24h": stats[timedelta(days=1)], "30d": stats[DETAIL_STATS_PERIOD]}
    elif stats:
        result.stats = next(iter(stats.values()))
    gathered.parts = result
    return gathered


# The GET document's people, by the text of their rows (People): what a document shows when
# its people's rows are those of an earlier document, kept per process (issues_api.memo).
# Bounded by the text kept (a document with hundreds of users has about 150,000 characters of
# it, and its People some ten times that in objects).
_people = TextMemo(
    entries=256, text=2_000_000, size_of=lambda key: sum(len(part or "") for part in key)
)


def _people_of(row, children) -> People:
    key = (row["seen"], row["subscriptions"], row["activity"], row["users"], row["user_emails"])
    return _people.get(
        key,
        lambda: People(
            seen=build_rows(seen_rows(detail=True), row["seen"], children),
            subscriptions=build_rows(
                subscription_rows(detail=True), row["subscriptions"], children
            ),
            activity=build_rows(ACTIVITY_ROWS, row["activity"], children),
            **_user_rows(row),
        ),
    )


def _user_rows(row) -> dict:
    """The users read once (users_sql) and their emails, as rows by user id: DocumentUsers
    (issues.serializers) serializes them, building instances only for a user whose row and
    emails no earlier document showed."""
    pk = column_index(User)
    user_id = column_index(UserEmail, "user_id")
    email_rows: dict[int, list] = {}
    for data in loads(row["user_emails"]) or []:
        email_rows.setdefault(data[user_id], []).append(data)
    return {
        "user_rows": {data[pk]: data for data in loads(row["users"]) or []},
        "user_email_rows": email_rows,
    }

"""Sentry's get_attrs for issues: the rows an issue document shows, for one issue or a page.

One SQL statement reads the issues with their related rows (project, organization, share,
assignee, snooze, resolution, releases, the users they name with their emails) and every
part of their documents (seen-by, subscriptions, bookmark, activity, counts by environment,
user reports, tags, hourly counts), as JSON built by the database (issues_api.jsonrows).
Its cost does not grow with the number of events: every part reads counters and read
models, on indexed keys, with a limit where a part can grow. The statement's text depends
only on what is asked (detail or list, collapsed parts, environments), not on the values.

Before this, a GET ran 13 queries whose compilation by the ORM and planning by PostgreSQL cost
five times the work itself (issue 10).
"""

# The SQL here is built from declarations in the code, never from input; values travel as
# parameters.
# ruff: noqa: S608

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection

from accounts.models import OrganizationMember, Project, User, UserEmail
from issues.models import (
    Activity,
    ActivityType,
    Issue,
    IssueSeen,
    Subscription,
)
from issues.short_ids import parse_qualified_short_id
from issues_api.api.numbers import MAX_BIGINT, as_bigint, is_ascii_number
from issues_api.jsonrows import (
    Dialect,
    Newest,
    Rows,
    Shape,
    Statements,
    build,
    build_rows,
    column_sql,
    execute,
    loads,
    object_sql,
    parse_datetime,
    rows_sql,
)
from releases.models import ReleaseProject

ACTIVITY_LIMIT = 100
TAG_KEY_LIMIT = 100
HOUR = 3600
DAY = 24 * HOUR
DETAIL_STATS_PERIOD = timedelta(days=30)
# The read model and column of each stats rollup, and the statement's column that holds them.
COUNTS = {
    HOUR: ("issues_issuehourlycount", "hour", "hours"),
    DAY: ("issues_issuedailycount", "day", "days"),
}

USER = Shape(children={"emails": Rows(UserEmail, "user", order=(("id", False),))})
COMMIT = Shape(related={"repository": Shape()})
RELEASE = Shape(related={"owner": USER, "last_commit": COMMIT, "last_deploy": Shape()})
RELEASE_WITH_PROJECTS = Shape(
    related=RELEASE.related,
    children={
        "release_projects": Rows(
            ReleaseProject,
            "release",
            Shape(related={"project": Shape()}),
            order=(("project", False),),
        )
    },
)
OWN_ROWS = '{a}."user_id" = %(user_id)s'


# What a lookup without the document's parts reads with the issue (PUT, DELETE, the events):
# the project and organization its access checks need.
LOOKUP_SHAPE = Shape(related={"project": Shape(related={"organization": Shape()})})


def issue_shape(
    *, detail: bool, collapse: frozenset[str], parts: bool = True, project: bool = True
) -> Shape:
    """The issue row and the one-to-one rows its document reads (its project too unless the
    caller has it). The GET document adds the first and last releases, with their projects
    unless ?collapse=release."""
    if not parts:
        return LOOKUP_SHAPE
    related = {"project": LOOKUP_SHAPE.related["project"]} if project else {}
    related |= {
        "share": Shape(),
        "assignee": Shape(related={"user": USER, "team": Shape()}),
        "snooze": Shape(related={"actor": USER}),
        "resolution": Shape(related={"actor": USER, "release": RELEASE, "commit": COMMIT}),
    }
    if detail:
        release = RELEASE if "release" in collapse else RELEASE_WITH_PROJECTS
        related |= {"first_release": release, "last_release": release}
    return Shape(related=related)


def _user_rows(model, *, detail: bool, order: tuple) -> Rows:
    # Outside the GET document only the requester's own row counts. The document's users are
    # read once for all its rows (SHOWN_USERS), not nested in each.
    return Rows(model, "issue", Shape(), where="" if detail else OWN_ROWS, order=order)


_SEEN_ROWS = {
    detail: _user_rows(IssueSeen, detail=detail, order=(("last_seen", True),))
    for detail in (False, True)
}
_SUBSCRIPTION_ROWS = {
    detail: _user_rows(Subscription, detail=detail, order=(("id", False),))
    for detail in (False, True)
}


def seen_rows(*, detail: bool) -> Rows:
    return _SEEN_ROWS[detail]


def subscription_rows(*, detail: bool) -> Rows:
    return _SUBSCRIPTION_ROWS[detail]


# Sentry (2020) shows every note, and of other activity only the newest row per (type,
# ident, user), among twice the limit of newest rows.
ACTIVITY_ROWS = Rows(
    Activity,
    "issue",
    Shape(),
    order=(("datetime", True), ("id", True)),
    limit=ACTIVITY_LIMIT,
    newest=Newest(
        columns=("type", "ident", "user"),
        among=ACTIVITY_LIMIT * 2,
        unless=f'{{a}}."type" = {int(ActivityType.NOTE)}',
    ),
)


# The rows of the GET document that name users: seen-by, participants and activity name up
# to 350 users, mostly the same ones. The statement reads each of those users once, and
# their emails in one list, from the ids the rows name (users_sql); the rows get them after.
SHOWN_USERS = {
    "seen": seen_rows(detail=True),
    "subscriptions": subscription_rows(detail=True),
    "activity": ACTIVITY_ROWS,
}
USER_ROWS = Rows(User, "id")
EMAIL_ROWS = Rows(UserEmail, "user")


def users_sql(d: Dialect, issue_key: str) -> list[tuple[str, str]]:
    """The columns of the users SHOWN_USERS's rows name, and of their emails (by user, then
    id, as USER lists them)."""
    named = " UNION ".join(column_sql(d, rows, issue_key, "user") for rows in SHOWN_USERS.values())
    user = object_sql(d, User, Shape(), "u")
    email = object_sql(d, UserEmail, Shape(), "e")
    users = f'SELECT {d.array(user)} FROM "{User._meta.db_table}" u WHERE u."id" IN ({named})'
    emails = (
        f"SELECT {d.array('s.j', 's.u, s.id')} FROM (SELECT {email} AS j,"
        ' e."user_id" AS u, e."id" AS id'
        f' FROM "{UserEmail._meta.db_table}" e WHERE e."user_id" IN ({named})'
        ' ORDER BY e."user_id", e."id") s'
    )
    return [("users", d.nested(users)), ("user_emails", d.nested(emails))]


@dataclass
class IssueCounts:
    times_seen: int
    user_count: int
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass
class IssueParts:
    """Everything beyond the issue row that the issue document shows. The detail parts
    (activity, releases, tags, stats, user reports) are only read for the GET document."""

    counts: IssueCounts
    seen: list[IssueSeen]
    subscriptions: list[Subscription]
    is_bookmarked: bool
    emails_by_user: dict[int, list[UserEmail]]
    activity: list[Activity] = field(default_factory=list)
    release_projects: list[ReleaseProject] = field(default_factory=list)
    tag_keys: list[tuple[str, int]] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    user_report_count: int = 0


@dataclass(frozen=True)
class Membership:
    """The requester's membership of the issue's organization: its role, and whether one of
    its teams has the issue's project."""

    role: str
    in_project_team: bool


@dataclass
class Gathered:
    issue: Issue
    parts: IssueParts | None
    # The requester's membership, when asked for; None when not a member.
    membership: Membership | None = None
    # The moment the parts were read at (their stats end there), for the serializer.
    now: datetime | None = None


@dataclass(frozen=True)
class IssueLookup:
    """How a URL names an issue: by id, or on the organization route by qualified short id,
    within an organization given by id or slug."""

    issue_id: int | None = None
    project_slug: str | None = None
    short_id: int | None = None
    organization_id: int | None = None
    organization_slug: str | None = None


def issue_lookup(issue_id: str, organization_id_or_slug: str | None) -> IssueLookup | None:
    """The lookup a URL asks for; None when it cannot name an issue.

    On the legacy routes only numeric ids exist. On the organization route the id may also be
    a qualified short id ("PUMP-STATION-1"), and the issue must belong to that organization.
    """
    organization = {}
    if organization_id_or_slug is not None:
        if is_ascii_number(organization_id_or_slug):
            number = as_bigint(organization_id_or_slug)
            if number is None:
                return None
            organization = {"organization_id": number}
        else:
            organization = {"organization_slug": organization_id_or_slug}
    if is_ascii_number(issue_id):
        number = as_bigint(issue_id)
        return None if number is None else IssueLookup(issue_id=number, **organization)
    if organization_id_or_slug is None:
        return None
    parsed = parse_qualified_short_id(issue_id)
    if parsed is None or parsed[1] > MAX_BIGINT:
        return None
    slug, short_id = parsed
    return IssueLookup(project_slug=slug, short_id=short_id, **organization)


def _lookup_sql(d: Dialect, lookup: IssueLookup | None, number_of_ids: int) -> str:
    if lookup is None:
        return d.any('i."id"', "ids", number_of_ids)
    if lookup.issue_id is not None:
        conditions = ['i."id" = %(issue_id)s']
    else:
        conditions = ['p."slug" = %(project_slug)s AND i."short_id" = %(short_id)s']
    if lookup.organization_id is not None:
        conditions.append('p."organization_id" = %(organization_id)s')
    if lookup.organization_slug is not None:
        conditions.append(
            'p."organization_id" = (SELECT o."id" FROM "accounts_organization" o'
            ' WHERE o."slug" = %(organization_slug)s)'
        )
    return " AND ".join(conditions)


def _lookup_key(lookup: IssueLookup | None) -> tuple:
    if lookup is None:
        return ()
    return tuple(value is not None for value in vars(lookup).values())


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
        _lookup_key(lookup),
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
    columns = [("head", object_sql(d, Issue, shape, "i"))]
    issue_key = 'i."id"'

    def environments(alias):
        if not number_of_environments:
            return ""
        return " AND " + d.any(f'{alias}."environment_id"', "environments", number_of_environments)

    if parts:
        columns += [
            ("seen", rows_sql(d, seen_rows(detail=detail), issue_key)),
            ("subscriptions", rows_sql(d, subscription_rows(detail=detail), issue_key)),
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
                    f'(SELECT {counts} FROM "issues_issueenvironment" e'
                    f' WHERE e."issue_id" = i."id"{environments("e")})',
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
            columns += users_sql(d, issue_key)
            columns += [
                ("activity", rows_sql(d, ACTIVITY_ROWS, issue_key)),
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
                        f"(SELECT {d.array(tag, 's.total DESC, s.key')} FROM ("
                        'SELECT k."key" AS key, SUM(k."times_seen") AS total'
                        ' FROM "issues_issuetagkey" k'
                        f' WHERE k."issue_id" = i."id"{environments("k")}'
                        ' GROUP BY k."key" ORDER BY total DESC, k."key"'
                        f" LIMIT {TAG_KEY_LIMIT}) s)",
                    )
                )
        # Stats read the hourly counts for hourly buckets, the daily ones for daily buckets.
        for rollup in rollups:
            table, column, name = COUNTS[rollup]
            bucket = d.object([("at", "s.at"), ("n", "s.n")])
            at = d.epoch(f'h."{column}"')
            columns.append(
                (
                    name,
                    f"(SELECT {d.array(bucket)} FROM ("
                    f"SELECT {at} AS at,"
                    f' SUM(h."count") AS n FROM "{table}" h'
                    f' WHERE h."issue_id" = i."id" AND h."{column}" >= %({name}_from)s'
                    f' AND h."{column}" < %({name}_to)s{environments("h")}'
                    f' GROUP BY h."{column}") s)',
                )
            )
    if membership:
        select, in_team = _membership_sql()
        member = d.object([("role", 'm."role"'), ("in_team", in_team)])
        columns.append(("membership", f"({select.format(object=member)})"))
    select = ", ".join(f"{sql} AS {name}" for name, sql in columns)
    sql = (
        f'SELECT {select} FROM "issues_issue" i'
        ' JOIN "accounts_project" p ON p."id" = i."project_id"'
        f" WHERE {_lookup_sql(d, lookup, number_of_ids)}"
    )
    return sql, [name for name, _ in columns]


def gather_issues(
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
    projects: list[Project] | None = None,
    now: datetime,
) -> list[Gathered]:
    """The issues a lookup or a list of ids names, each with its related rows, and with the
    parts of its document (parts=True) and the requester's membership (membership=True).

    detail=False gives what PUT and lists show (Sentry's GroupSerializer); detail=True adds
    what only GET shows, its 24-hour and 30-day stats included. stats_period asks lists'
    stats. Collapsed parts are not read at all. `projects`, when the caller has read them
    (with their organizations), are not read again.
    """
    # The periods the stats show: 24 hours and 30 days on the GET document, the list's one.
    periods = ()
    if detail and "stats" not in collapse:
        periods = (timedelta(days=1), DETAIL_STATS_PERIOD)
    elif stats_period is not None:
        periods = (stats_period,)
    series = {period: stats_series(period, now=now) for period in periods}
    rollups = tuple(rollup for rollup, _ in series.values())
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
        name = COUNTS[rollup][2]
        params[f"{name}_from"] = connection.ops.adapt_datetimefield_value(
            datetime.fromtimestamp(buckets[0], UTC)
        )
        params[f"{name}_to"] = connection.ops.adapt_datetimefield_value(
            datetime.fromtimestamp(buckets[-1] + rollup, UTC)
        )
    rows = [dict(zip(names, row, strict=True)) for row in execute(sql, params)]
    shape = issue_shape(detail=detail, collapse=collapse, parts=parts, project=projects is None)
    # One memo for the page: its issues share their project, organization and users.
    children: dict = {}
    gathered = [
        _gathered(
            row,
            shape=shape,
            detail=detail,
            parts=parts,
            membership=membership,
            series=series,
            now=now,
            children=children,
        )
        for row in rows
    ]
    if projects is not None:
        by_id = {project.pk: project for project in projects}
        # An issue moved to another project since its page was read is not listed.
        gathered = [item for item in gathered if item.issue.project_id in by_id]
        for item in gathered:
            item.issue._state.fields_cache["project"] = by_id[item.issue.project_id]
    if parts:
        # By user, and by release: what one issue shows is the same for another.
        emails_by_user, release_projects = shown_rows(children)
        for item in gathered:
            item.parts.emails_by_user = emails_by_user
            item.parts.release_projects = release_projects
    return gathered


def _gathered(row, *, shape, detail, parts, membership, series, now, children) -> Gathered:
    issue = build(Issue, loads(row["head"]), shape, children)
    gathered = Gathered(issue=issue, parts=None, now=now)
    if membership:
        member = loads(row["membership"])
        gathered.membership = (
            Membership(role=member["role"], in_project_team=bool(member["in_team"]))
            if member is not None
            else None
        )
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
    result = IssueParts(
        counts=counts,
        seen=build_rows(seen_rows(detail=detail), row["seen"], children),
        subscriptions=build_rows(subscription_rows(detail=detail), row["subscriptions"], children),
        is_bookmarked=bool(row["bookmarked"]),
        emails_by_user={},
    )
    if detail:
        result.activity = build_rows(ACTIVITY_ROWS, row["activity"], children)
        _give_users(row, result, children)
        result.user_report_count = row["user_reports"]
        if "tag_keys" in row:
            result.tag_keys = [(tag["key"], int(tag["total"])) for tag in loads(row["tag_keys"])]
    stats = {}
    for period, (rollup, buckets) in series.items():
        counts = [(item["at"], int(item["n"])) for item in loads(row[COUNTS[rollup][2]])]
        stats[period] = stats_buckets(counts, rollup=rollup, buckets=buckets)
    if detail and stats:
        result.stats = {"24h": stats[timedelta(days=1)], "30d": stats[DETAIL_STATS_PERIOD]}
    elif stats:
        result.stats = next(iter(stats.values()))
    gathered.parts = result
    return gathered


def _give_users(row, parts: IssueParts, children: dict) -> None:
    """Puts the users read once (users_sql) in the relation caches of the rows naming them,
    and their emails in `children` as USER's child rows would be."""
    users = {user.pk: user for user in build_rows(USER_ROWS, row["users"], children)}
    for user_id in users:
        children.setdefault(("emails", user_id), [])
    for email in build_rows(EMAIL_ROWS, row["user_emails"], children):
        emails = children["emails", email.user_id]
        if email not in emails:
            emails.append(email)
    for item in (*parts.seen, *parts.subscriptions, *parts.activity):
        item._state.fields_cache["user"] = users.get(item.user_id)


def shown_rows(children: dict) -> tuple[dict[int, list], list]:
    """The user emails and release projects that built rows listed in `children` (by user,
    and by release then project)."""
    emails_by_user, release_projects = {}, []
    for (name, key, *_), rows in children.items():
        if name == "emails":
            emails_by_user[key] = rows
        elif name == "release_projects":
            release_projects.extend(rows)
    release_projects.sort(key=lambda row: (row.release_id, row.project_id))
    return emails_by_user, release_projects


def _floor(moment: datetime, seconds: int) -> int:
    timestamp = int(moment.timestamp())
    return timestamp - timestamp % seconds


def stats_series(period: timedelta, *, now: datetime) -> tuple[int, list[int]]:
    """Sentry's series for a period: hourly buckets up to a day, daily beyond; both ends
    included (so 24h gives 25 buckets and 14d gives 15)."""
    rollup = HOUR if period <= timedelta(days=1) else DAY
    last = _floor(now, rollup)
    first = _floor(now - period, rollup)
    return rollup, list(range(first, last + 1, rollup))


def stats_buckets(
    counts: list[tuple[int, int]], *, rollup: int, buckets: list[int]
) -> list[list[int]]:
    """[timestamp, count] buckets of a series (stats_series), from (epoch seconds, count)
    pairs of hourly or daily counts (the series' rollup)."""
    first, number = buckets[0], len(buckets)
    totals = [0] * number
    for timestamp, count in counts:
        # The series starts on a multiple of the rollup, so this is the bucket's index.
        index = (timestamp - first) // rollup
        if 0 <= index < number:
            totals[index] += count
    return [[bucket, total] for bucket, total in zip(buckets, totals, strict=True)]

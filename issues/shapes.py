"""What an issue document reads, declared for issues_api.jsonrows: the issue's one-to-one and
related rows (issue_shape), its child rows (seen-by, subscriptions, activity), and the users
those rows name, read once (users_sql); shown_rows gives back what built rows listed."""

# The SQL here is built from declarations in the code, never from input.
# ruff: noqa: S608

from accounts.models import User, UserEmail
from issues.models import Activity, ActivityType, IssueSeen, Subscription
from issues_api.jsonrows import Dialect, Newest, Rows, Shape, column_sql, object_sql
from releases.models import ReleaseProject

ACTIVITY_LIMIT = 100
TAG_KEY_LIMIT = 100

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
    # The project first: the head then starts as LOOKUP_SHAPE's (issues.gather.access_issue).
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

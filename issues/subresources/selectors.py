"""Reads of an issue's tags, notes and hashes, each a fixed number of queries whatever the
issue's size or the page's.

Tags come from the read models the digest keeps (IssueTagKey, IssueTagValue), summed over
the environments asked for: never from events.
"""

# The SQL here is built from declarations in the code, never from input; values travel as
# parameters.
# ruff: noqa: S608

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from accounts.models import UserEmail
from issues.events.pages import issue_events
from issues.models import Activity, ActivityType, Issue, IssueHash, IssueTagKey, IssueTagValue
from issues_api.db_router import read_connection
from issues_api.jsonrows import Dialect

# Sentry's tagstore prefixes these keys with "sentry:" (prefix_reserved_key): the API names
# them without it.
INTERNAL_TAG_KEYS = frozenset({"release", "dist", "user", "filename", "function"})
# At most this many keys in a tag list, and this many values reachable by the values' pages
# (Sentry's get_group_tag_value_iter reads at most 1000).
TAG_KEY_LIMIT = 1000
TAG_VALUE_LIMIT = 1000

# ?sort= of the values: the column they are ordered by, newest or largest first; Sentry's
# default ("-id") is the first sighting for its snuba backend.
VALUE_ORDERS = {"date": "last_seen", "age": "first_seen", "count": "total"}
DEFAULT_VALUE_ORDER = "first_seen"


def stored_tag_key(key: str) -> str:
    """The key as the read models store it (Sentry's prefix_reserved_key)."""
    return f"sentry:{key}" if key in INTERNAL_TAG_KEYS else key


@dataclass(frozen=True)
class TagValueRow:
    key: str
    value: str
    times_seen: int
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass
class TagKeyRow:
    key: str
    total: int
    unique_values: int = 0
    top_values: list[TagValueRow] | None = None


def _moment(value) -> datetime | None:
    """A datetime as the cursor gives it: aware on PostgreSQL, text (UTC) on SQLite."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _rows(sql: str, params: dict) -> list[tuple]:
    with read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _narrowing(d: Dialect, alias: str, params: dict, *, environment_ids, keys) -> str:
    """The SQL that narrows read-model rows at `alias` to the environments and keys (none:
    all), with their parameters added to params."""
    sql = ""
    if environment_ids:
        sql += " AND " + d.any(f'{alias}."environment_id"', "environments", len(environment_ids))
        params |= d.any_params("environments", environment_ids)
    if keys is not None:
        sql += " AND " + d.any(f'{alias}."key"', "keys", len(keys))
        params |= d.any_params("keys", keys)
    return sql


def issue_tag_keys(
    issue: Issue,
    *,
    environment_ids: list[int],
    keys: list[str] | None = None,
    value_limit: int,
) -> list[TagKeyRow]:
    """The issue's tag keys (only `keys`, stored names, when given) with how many events
    carry each, its number of distinct values and its top `value_limit` values by count, in
    two queries. Keys by count, most first, then by key."""
    d = Dialect(connection.vendor)
    params: dict = {"issue_id": issue.pk, "limit": TAG_KEY_LIMIT}
    where = _narrowing(d, "k", params, environment_ids=environment_ids, keys=keys)
    rows = _rows(
        'SELECT k."key", SUM(k."times_seen") AS total'
        f' FROM "{IssueTagKey._meta.db_table}" k WHERE k."issue_id" = %(issue_id)s{where}'
        ' GROUP BY k."key" ORDER BY total DESC, k."key" LIMIT %(limit)s',
        params,
    )
    found = {key: TagKeyRow(key=key, total=int(total), top_values=[]) for key, total in rows}
    if not found:
        return []
    params = {"issue_id": issue.pk, "value_limit": value_limit}
    where = _narrowing(d, "v", params, environment_ids=environment_ids, keys=list(found))
    # Per key, its values summed over the environments, ranked by count: the top ones, and
    # the number of them all (the window counts the grouped rows).
    values = _rows(
        "SELECT s.key, s.value, s.total, s.first_seen, s.last_seen, s.n FROM ("
        'SELECT v."key" AS key, v."value" AS value, SUM(v."times_seen") AS total,'
        ' MIN(v."first_seen") AS first_seen, MAX(v."last_seen") AS last_seen,'
        ' ROW_NUMBER() OVER (PARTITION BY v."key"'
        ' ORDER BY SUM(v."times_seen") DESC, v."value") AS rank,'
        ' COUNT(*) OVER (PARTITION BY v."key") AS n'
        f' FROM "{IssueTagValue._meta.db_table}" v WHERE v."issue_id" = %(issue_id)s{where}'
        ' GROUP BY v."key", v."value") s'
        " WHERE s.rank <= %(value_limit)s ORDER BY s.key, s.rank",
        params,
    )
    for key, value, total, first_seen, last_seen, number in values:
        row = found[key]
        row.unique_values = int(number)
        row.top_values.append(
            TagValueRow(key, value, int(total), _moment(first_seen), _moment(last_seen))
        )
    return list(found.values())


class IssueTagValues:
    """The values of one tag key of an issue, summed over the environments, in the order
    ?sort= asks (then by value): a slice of it (what pagination asks for) is one query, and
    only the first TAG_VALUE_LIMIT values are reachable, as in Sentry."""

    def __init__(self, issue: Issue, key: str, *, environment_ids: list[int], order: str):
        self.issue = issue
        self.key = key
        self.environment_ids = environment_ids
        self.order = order

    def __getitem__(self, window: slice) -> list[TagValueRow]:
        start, stop = min(window.start or 0, TAG_VALUE_LIMIT), min(window.stop, TAG_VALUE_LIMIT)
        if stop <= start:
            return []
        d = Dialect(connection.vendor)
        params = {
            "issue_id": self.issue.pk,
            "key": self.key,
            "limit": stop - start,
            "offset": start,
        }
        where = _narrowing(d, "v", params, environment_ids=self.environment_ids, keys=None)
        rows = _rows(
            'SELECT v."value", SUM(v."times_seen") AS total, MIN(v."first_seen") AS first_seen,'
            ' MAX(v."last_seen") AS last_seen'
            f' FROM "{IssueTagValue._meta.db_table}" v'
            f' WHERE v."issue_id" = %(issue_id)s AND v."key" = %(key)s{where}'
            f' GROUP BY v."value" ORDER BY {self.order} DESC, v."value"'
            " LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return [
            TagValueRow(self.key, value, int(total), _moment(first), _moment(last))
            for value, total, first, last in rows
        ]


def issue_tag_values(
    issue: Issue, key: str, *, environment_ids: list[int], sort: str | None
) -> IssueTagValues:
    return IssueTagValues(
        issue,
        key,
        environment_ids=environment_ids,
        order=VALUE_ORDERS.get(sort, DEFAULT_VALUE_ORDER),
    )


def issue_has_tag_key(issue: Issue, key: str) -> bool:
    """Whether any event of the issue, in any environment, carried the key (stored name)."""
    return IssueTagKey.objects.filter(issue_id=issue.pk, key=key).exists()


def issue_notes(issue: Issue):
    """The issue's notes, newest first, each with its author (one query a page)."""
    return (
        Activity.objects.filter(issue_id=issue.pk, type=ActivityType.NOTE)
        .select_related("user")
        .order_by("-datetime", "-id")
    )


def is_own_note(issue: Issue, note_id: int, user) -> bool:
    """Whether the note of this id is the user's, on the issue."""
    return Activity.objects.filter(
        pk=note_id, issue_id=issue.pk, type=ActivityType.NOTE, user_id=user.pk
    ).exists()


def emails_of(user_ids) -> dict[int, list[UserEmail]]:
    """The emails of the users, by user, in the order Sentry lists them (one query)."""
    user_ids = sorted(set(user_ids))
    emails: dict[int, list[UserEmail]] = {}
    if not user_ids:
        return emails
    for email in UserEmail.objects.filter(user_id__in=user_ids).order_by("user_id", "id"):
        emails.setdefault(email.user_id, []).append(email)
    return emails


def issue_hashes(issue: Issue):
    """The hashes that route events to the issue, newest first."""
    return (
        IssueHash.objects.filter(issue_id=issue.pk).order_by("-id").values_list("hash", flat=True)
    )


def latest_event(issue: Issue):
    """The issue's latest event as its list shows it, or None (one query)."""
    events = issue_events(
        issue, environments=[], shown=lambda event: event, shape="event", environment=False
    )[0:1]
    return events[0] if events else None

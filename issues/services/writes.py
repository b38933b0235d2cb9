"""The small writes of issue_update as plain SQL, sent together.

A PUT's writes are a few one-row statements on indexed keys (delete the snooze, set the
status, add an activity row, subscribe the actor). Through the ORM each costs more CPU to
compile than to run, and each is a round trip of its own; get_or_create and update_or_create
add a savepoint (two more round trips) each. Here each statement has a fixed text, made once
from the models' metadata; an insert that may meet an existing row is an upsert on the row's
unique key (no savepoint, no read first); and a Batch sends the statements it holds in one
round trip on PostgreSQL (Django's client-side binding cursor sends them as one simple
query), one by one elsewhere.

The statements run in the caller's transaction, in the order they were added. A Batch must
be flushed before anything reads or writes what its pending statements touch.
"""

# The SQL here is built from model metadata, never from input; values travel as parameters.
# ruff: noqa: S608

from datetime import datetime

from django.db import connection

from issues.models import Activity, Bookmark, Issue, IssueSeen, Resolution, Snooze, Subscription

try:
    from psycopg import ClientCursor
except ImportError:  # no psycopg 3: statements go one by one
    ClientCursor = None


def _client_side_binding(cursor) -> bool:
    """Whether the cursor binds parameters itself, so that one text may hold several
    statements (Django's default on psycopg 3; not with OPTIONS server_side_binding)."""
    return ClientCursor is not None and isinstance(cursor.cursor, ClientCursor)


class Batch:
    """Write statements held until flush(), then sent in the order they were added."""

    def __init__(self):
        self.statements: list[tuple[str, list]] = []

    def add(self, sql: str, params: list) -> None:
        self.statements.append((sql, params))

    def flush(self) -> None:
        statements, self.statements = self.statements, []
        if not statements:
            return
        with connection.cursor() as cursor:
            if len(statements) > 1 and _client_side_binding(cursor):
                cursor.execute(
                    "; ".join(sql for sql, _ in statements),
                    [value for _, params in statements for value in params],
                )
                return
            for sql, params in statements:
                cursor.execute(sql, params)


def _table(model) -> str:
    return f'"{model._meta.db_table}"'


def _column(model, name: str) -> str:
    return f'"{model._meta.get_field(name).column}"'


def _columns(model, names) -> str:
    return ", ".join(_column(model, name) for name in names)


def _insert(model, names, *, rows: int = 1) -> str:
    values = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * rows)
    return f"INSERT INTO {_table(model)} ({_columns(model, names)}) VALUES {values}"


def _moment(value: datetime | None):
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


# An issue's row in a one-to-one model that nothing refers to (so no cascade is missed).
_DELETE_OF_ISSUE = {
    model: f"DELETE FROM {_table(model)} WHERE {_column(model, 'issue')} = %s"
    for model in (Snooze, Resolution)
}


def delete_of_issue(batch: Batch, model, issue_id: int) -> None:
    """model.objects.filter(issue=issue).delete() for Snooze and Resolution."""
    batch.add(_DELETE_OF_ISSUE[model], [issue_id])


STATUS_FIELDS = ("status", "substatus", "resolved_at", "active_at")
_SAVE_STATUS = (
    f"UPDATE {_table(Issue)} SET "
    + ", ".join(f"{_column(Issue, name)} = %s" for name in STATUS_FIELDS)
    + f" WHERE {_column(Issue, 'id')} = %s"
)


def save_status(batch: Batch, issue: Issue) -> None:
    """issue.save(update_fields=STATUS_FIELDS), for a row the caller holds locked."""
    batch.add(
        _SAVE_STATUS,
        [
            int(issue.status),
            None if issue.substatus is None else str(issue.substatus),
            _moment(issue.resolved_at),
            _moment(issue.active_at),
            issue.pk,
        ],
    )


_SAVE_PRIORITY = (
    f"UPDATE {_table(Issue)} SET {_column(Issue, 'priority')} = %s,"
    f" {_column(Issue, 'priority_locked_at')} = %s WHERE {_column(Issue, 'id')} = %s"
)


def save_priority(batch: Batch, issue: Issue) -> None:
    """issue.save(update_fields=["priority", "priority_locked_at"]), for a locked row."""
    batch.add(_SAVE_PRIORITY, [int(issue.priority), _moment(issue.priority_locked_at), issue.pk])


_ACTIVITY_FIELDS = ("project", "issue", "type", "ident", "user", "datetime", "data")
_INSERT_ACTIVITY = _insert(Activity, _ACTIVITY_FIELDS)


def add_activity(
    batch: Batch, issue: Issue, user_id, type: int, *, now: datetime, data=None, ident=None
) -> None:
    """Activity.objects.create(...) of the issue's project."""
    batch.add(
        _INSERT_ACTIVITY,
        [
            issue.project_id,
            issue.pk,
            int(type),
            ident,
            user_id,
            _moment(now),
            Activity._meta.get_field("data").get_db_prep_value(data or {}, connection),
        ],
    )


_SUBSCRIPTION_FIELDS = ("issue", "user", "is_active", "reason", "date_added")
_ISSUE_AND_USER = f"({_column(Subscription, 'issue')}, {_column(Subscription, 'user')})"


def subscribe(batch: Batch, issue_id: int, user_ids, reason: int, *, now: datetime) -> None:
    """Subscribe users who have no subscription row yet, in the order of their ids; a row
    that exists, an explicit unsubscribe included, stays as it is."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return
    moment = _moment(now)
    batch.add(
        _insert(Subscription, _SUBSCRIPTION_FIELDS, rows=len(user_ids))
        + f" ON CONFLICT {_ISSUE_AND_USER} DO NOTHING",
        [v for user_id in user_ids for v in (issue_id, user_id, True, int(reason), moment)],
    )


_SET_SUBSCRIPTION = (
    _insert(Subscription, _SUBSCRIPTION_FIELDS)
    + f" ON CONFLICT {_ISSUE_AND_USER} DO UPDATE SET"
    + f" {_column(Subscription, 'is_active')} = excluded.{_column(Subscription, 'is_active')},"
    + f" {_column(Subscription, 'reason')} = excluded.{_column(Subscription, 'reason')}"
)


def set_subscription(
    batch: Batch, issue_id: int, user_id: int, *, is_active: bool, reason: int, now: datetime
) -> None:
    """Subscription.objects.update_or_create(issue, user, defaults={is_active, reason})."""
    batch.add(_SET_SUBSCRIPTION, [issue_id, user_id, is_active, int(reason), _moment(now)])


_BOOKMARK = (
    _insert(Bookmark, ("issue", "user", "date_added"))
    + f" ON CONFLICT ({_column(Bookmark, 'issue')}, {_column(Bookmark, 'user')}) DO NOTHING"
)
_UNBOOKMARK = (
    f"DELETE FROM {_table(Bookmark)}"
    f" WHERE {_column(Bookmark, 'issue')} = %s AND {_column(Bookmark, 'user')} = %s"
)


def bookmark(batch: Batch, issue_id: int, user_id: int, *, now: datetime) -> None:
    """Bookmark.objects.get_or_create(issue, user)."""
    batch.add(_BOOKMARK, [issue_id, user_id, _moment(now)])


def unbookmark(batch: Batch, issue_id: int, user_id: int) -> None:
    batch.add(_UNBOOKMARK, [issue_id, user_id])


_SEE = (
    _insert(IssueSeen, ("issue", "user", "last_seen"))
    + f" ON CONFLICT ({_column(IssueSeen, 'issue')}, {_column(IssueSeen, 'user')}) DO UPDATE"
    + f" SET {_column(IssueSeen, 'last_seen')} = excluded.{_column(IssueSeen, 'last_seen')}"
)
_UNSEE = (
    f"DELETE FROM {_table(IssueSeen)}"
    f" WHERE {_column(IssueSeen, 'issue')} = %s AND {_column(IssueSeen, 'user')} = %s"
)


def see(batch: Batch, issue_id: int, user_id: int, *, now: datetime) -> None:
    """IssueSeen.objects.update_or_create(issue, user, defaults={"last_seen": now})."""
    batch.add(_SEE, [issue_id, user_id, _moment(now)])


def unsee(batch: Batch, issue_id: int, user_id: int) -> None:
    batch.add(_UNSEE, [issue_id, user_id])


def _prepared(model, name: str, value):
    return model._meta.get_field(name).get_db_prep_value(value, connection)


_SNOOZE_FIELDS = ("until", "count", "window", "user_count", "user_window", "state", "actor")
_SNOOZE = (
    _insert(Snooze, ("issue", *_SNOOZE_FIELDS))
    + f" ON CONFLICT ({_column(Snooze, 'issue')}) DO UPDATE SET "
    + ", ".join(f"{_column(Snooze, n)} = excluded.{_column(Snooze, n)}" for n in _SNOOZE_FIELDS)
)


def snooze(batch: Batch, issue_id: int, **values) -> None:
    """Snooze.objects.update_or_create(issue, defaults=values), values naming every field
    but the issue (the actor by its id, as actor=)."""
    batch.add(_SNOOZE, [issue_id, *(_prepared(Snooze, n, values[n]) for n in _SNOOZE_FIELDS)])

"""Reads behind an issue's event routes and the short-id lookup. Each function answers one
question with a fixed number of queries."""

# The SQL here is built from declarations in the code, never from input; values travel as
# parameters.
# ruff: noqa: S608

import re
from dataclasses import dataclass, field

from django.db import connection

from accounts.models import UserEmail
from issues.models import Environment, Event, Issue, UserReport
from issues.shapes import RELEASE_WITH_PROJECTS, shown_rows
from issues_api.jsonrows import Dialect, Shape, build, loads, object_sql
from issues_api.statements import Statements, execute
from releases.models import ReleaseProject

# Sentry's "recommended" event picks the most helpful one (with a stacktrace, a replay...);
# this service has no such ranking and answers the latest event.
LATEST_ALIASES = ("latest", "recommended")
OLDEST = "oldest"
EVENT_ID = re.compile(r"[0-9a-f]{32}")


# The event detail's event: its environment and release, the release with its owner (and the
# owner's emails), last commit, last deploy and projects.
EVENT = Shape(related={"environment": Shape(), "release": RELEASE_WITH_PROJECTS})
_event_statements = Statements()


def _event_statement(*, by_id: bool, oldest: bool, number_of_environments: int) -> str:
    """One statement per form: the event as JSON (issues_api.jsonrows) with the event ids
    of its neighbours within the issue (by time, then id), narrowed by the environments."""
    vendor = connection.vendor
    # PostgreSQL takes any number of environments as one array parameter.
    forms = number_of_environments if vendor != "postgresql" else min(number_of_environments, 1)
    return _event_statements.get_or_build(
        (vendor, by_id, oldest, forms),
        lambda: _build_event_statement(
            Dialect(vendor),
            by_id=by_id,
            oldest=oldest,
            number_of_environments=number_of_environments,
        ),
    )


def _build_event_statement(
    d: Dialect, *, by_id: bool, oldest: bool, number_of_environments: int
) -> str:
    # On PostgreSQL the newest (or oldest) row within environments is the newest of each
    # environment's own newest row, which the (issue, environment, datetime, id) index gives
    # at once: read in time order and filtered instead, an environment that is rare among a
    # large issue's events walked all of them.
    per_environment = number_of_environments and d.postgresql

    def environments(alias: str) -> str:
        if not number_of_environments or per_environment:
            return ""
        return " AND " + d.any(f'{alias}."environment_id"', "environments", number_of_environments)

    def first(columns: str, where: str, *, descending: bool) -> str:
        """The first event of the issue (by time, then id) where `where` holds (SQL on the
        alias x), within the environments asked for; `columns` of the alias s."""
        direction = " DESC" if descending else ""
        order = f'ORDER BY {{a}}."datetime"{direction}, {{a}}."id"{direction} LIMIT 1'
        if not per_environment:
            return (
                f'SELECT {columns.format(a="x")} FROM "issues_event" x WHERE {where}'
                f"{environments('x')} {order.format(a='x')}"
            )
        return (
            f"SELECT {columns.format(a='s')} FROM unnest(%(environments)s::bigint[]) e(id)"
            f' CROSS JOIN LATERAL (SELECT * FROM "issues_event" x WHERE {where}'
            f' AND x."environment_id" = e.id {order.format(a="x")}) s {order.format(a="s")}'
        )

    def neighbour(comparison: str, descending: bool) -> str:
        # A row comparison, which the (issue, datetime) index bounds: with an OR of the two
        # conditions instead, the next event of an issue's latest one scanned all its events.
        return first(
            '{a}."event_id"',
            f'x."issue_id" = a."issue_id" AND (x."datetime", x."id") {comparison}'
            ' (a."datetime", a."id")',
            descending=descending,
        )

    neighbours = f"({neighbour('<', True)}), ({neighbour('>', False)})"
    # The event's user report (Sentry's: the one of its project and event id; reports of an
    # event are read through its issue's, which the issue's index finds).
    report = (
        f'SELECT {object_sql(d, UserReport, Shape(), "r")} FROM "issues_userreport" r'
        ' WHERE r."issue_id" = a."issue_id" AND r."project_id" = a."project_id"'
        ' AND r."event_id" = a."event_id" ORDER BY r."id" DESC LIMIT 1'
    )
    # The event's columns: its JSON, its neighbours' ids and its user report's JSON.
    columns = f"{object_sql(d, Event, EVENT, 'a')}, {neighbours}, ({report})"
    if by_id:
        # Environments narrow latest and oldest only, as in Sentry.
        return (
            f'SELECT {columns} FROM "issues_event" a WHERE a."issue_id" ='
            ' %(issue_id)s AND a."project_id" = %(project_id)s AND a."event_id" = %(event_id)s'
        )
    chosen = first("{a}.*", 'x."issue_id" = %(issue_id)s', descending=not oldest)
    return f"SELECT {columns} FROM ({chosen}) a"


def issue_event(
    issue: Issue, *, event_id: str, environments: list[Environment]
) -> tuple[Event, "EventParts"]:
    """One event of the issue, with what its document shows beyond it (its neighbours and
    its user report), in one statement.

    `event_id` is a 32-hex event id (dashes and case ignored), "latest", "oldest" or
    "recommended" (= latest here). Environments narrow latest/oldest and the neighbours, as
    in Sentry. Raises Event.DoesNotExist, also for an event of another issue.
    """
    by_id = event_id not in LATEST_ALIASES and event_id != OLDEST
    params = {"issue_id": issue.pk}
    if by_id:
        normalized = event_id.replace("-", "").lower()
        if EVENT_ID.fullmatch(normalized) is None:
            raise Event.DoesNotExist
        params |= {"project_id": issue.project_id, "event_id": normalized}
    if environments:
        params |= Dialect(connection.vendor).any_params(
            "environments", [environment.pk for environment in environments]
        )
    sql = _event_statement(
        by_id=by_id, oldest=event_id == OLDEST, number_of_environments=len(environments)
    )
    rows = execute(sql, params)
    if not rows:
        raise Event.DoesNotExist
    data, previous_event_id, next_event_id, report = rows[0]
    children: dict = {}
    event = build(Event, loads(data), EVENT, children)
    emails_by_user, release_projects = shown_rows(children)
    return event, EventParts(
        previous_event_id=previous_event_id,
        next_event_id=next_event_id,
        release_projects=release_projects,
        emails_by_user=emails_by_user,
        user_report=build(UserReport, loads(report), Shape(), {}) if report else None,
    )


@dataclass
class EventParts:
    """What the event detail shows beyond the event row."""

    previous_event_id: str | None = None
    next_event_id: str | None = None
    release_projects: list[ReleaseProject] = field(default_factory=list)
    emails_by_user: dict[int, list[UserEmail]] = field(default_factory=dict)
    # The event's user report, the newest if several.
    user_report: UserReport | None = None

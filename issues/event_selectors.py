"""Reads behind an issue's event routes and the short-id lookup. Each function answers one
question with a fixed number of queries."""

import re
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import UserEmail
from issues.models import Environment, Event, Issue
from issues.selectors import issue_by_id
from issues.short_ids import parse_qualified_short_id
from issues_api.api.numbers import MAX_BIGINT
from releases.models import ReleaseProject

# Sentry's "recommended" event picks the most helpful one (with a stacktrace, a replay...);
# this service has no such ranking and answers the latest event.
LATEST_ALIASES = ("latest", "recommended")
OLDEST = "oldest"
EVENT_ID = re.compile(r"[0-9a-f]{32}")

NEWEST_FIRST = ("-datetime", "-id")
OLDEST_FIRST = ("datetime", "id")


def issue_for_short_id(*, organization, short_id: str) -> Issue:
    """The issue a qualified short id ("PUMP-STATION-1") names in an organization, hidden or
    not; raises Issue.DoesNotExist, also for anything that is not a qualified short id."""
    parsed = parse_qualified_short_id(short_id)
    if parsed is None or parsed[1] > MAX_BIGINT:
        raise Issue.DoesNotExist
    slug, number = parsed
    issue_id = (
        Issue.objects.filter(
            project__organization=organization, project__slug=slug, short_id=number
        )
        .values_list("pk", flat=True)
        .first()
    )
    if issue_id is None:
        raise Issue.DoesNotExist
    return issue_by_id(issue_id)


def _events(issue_id: int, environments: list[Environment]):
    events = Event.objects.filter(issue_id=issue_id)
    if environments:
        events = events.filter(environment__in=environments)
    return events


def issue_events(issue: Issue, *, environments: list[Environment]):
    """The issue's events, newest first (by time, then id), with their environment."""
    return _events(issue.pk, environments).select_related("environment").order_by(*NEWEST_FIRST)


def issue_event(issue: Issue, *, event_id: str, environments: list[Environment]) -> Event:
    """One event of the issue, with what its document reads from related rows.

    `event_id` is a 32-hex event id (dashes and case ignored), "latest", "oldest" or
    "recommended" (= latest here). Environments narrow latest/oldest only, as in Sentry.
    Raises Event.DoesNotExist, also for an event of another issue.
    """
    related = (
        "environment",
        "release__owner",
        "release__last_commit__repository",
        "release__last_deploy",
    )
    if event_id in LATEST_ALIASES or event_id == OLDEST:
        order = OLDEST_FIRST if event_id == OLDEST else NEWEST_FIRST
        event = _events(issue.pk, environments).select_related(*related).order_by(*order).first()
        if event is None:
            raise Event.DoesNotExist
        return event
    normalized = event_id.replace("-", "").lower()
    if EVENT_ID.fullmatch(normalized) is None:
        raise Event.DoesNotExist
    return Event.objects.select_related(*related).get(
        project_id=issue.project_id, issue=issue, event_id=normalized
    )


@dataclass
class EventParts:
    """What the event detail shows beyond the event row."""

    previous_event_id: str | None = None
    next_event_id: str | None = None
    release_projects: list[ReleaseProject] = field(default_factory=list)
    emails_by_user: dict[int, list[UserEmail]] = field(default_factory=dict)


def event_parts(event: Event, *, environments: list[Environment]) -> EventParts:
    """The neighbours of the event within its issue (by time, then id; None at the ends),
    and its release's projects and owner emails: at most four queries."""
    events = _events(event.issue_id, environments)
    same_time = Q(datetime=event.datetime)
    earlier = events.filter(Q(datetime__lt=event.datetime) | (same_time & Q(id__lt=event.pk)))
    later = events.filter(Q(datetime__gt=event.datetime) | (same_time & Q(id__gt=event.pk)))
    parts = EventParts(
        previous_event_id=earlier.order_by(*NEWEST_FIRST)
        .values_list("event_id", flat=True)
        .first(),
        next_event_id=later.order_by(*OLDEST_FIRST).values_list("event_id", flat=True).first(),
    )
    release = event.release
    if release is not None:
        parts.release_projects = list(
            ReleaseProject.objects.filter(release=release)
            .select_related("project")
            .order_by("project_id")
        )
        if release.owner_id:
            parts.emails_by_user = {
                release.owner_id: list(
                    UserEmail.objects.filter(user_id=release.owner_id).order_by("id")
                )
            }
    return parts

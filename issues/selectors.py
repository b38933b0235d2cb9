"""Reads. Each function answers one question with a fixed number of queries. The issue
documents' parts are gathered by issues.gather, for one issue or a page."""

from datetime import datetime, timedelta

from django.db.models import QuerySet

from issues.models import HIDDEN_STATUSES, Environment, Issue


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


def snooze_is_valid(snooze, issue: Issue, *, now: datetime) -> bool:
    """Whether an ignored issue's snooze still holds (Sentry's GroupSnooze.is_valid, without
    the windowed forms, which record_event ends as events arrive)."""
    if snooze.until is not None and snooze.until <= now:
        return False
    count_reached = (
        snooze.count
        and not snooze.window
        and issue.times_seen - snooze.state.get("times_seen", 0) >= snooze.count
    )
    users_reached = (
        snooze.user_count
        and not snooze.user_window
        and issue.user_count - snooze.state.get("users_seen", 0) >= snooze.user_count
    )
    return not (count_reached or users_reached)


NEW_ISSUE_PERIOD = timedelta(days=7)


def issues_for_list(projects) -> QuerySet:
    """Visible issues of the projects (their documents' rows are gathered by page)."""
    return Issue.objects.filter(project__in=projects).exclude(status__in=HIDDEN_STATUSES)

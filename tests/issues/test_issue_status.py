"""issues.status: the status rules today's PUT and event tests do not already pin, through HTTP
where a request can reach them, as plain functions where they are pure (the typed changes the
validator makes, the snooze's own terms, what a reader is shown; these need no rows, but the
module's marker gives them the database all the same)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from issues.changes import Assignment, IssueChanges
from issues.models import (
    Activity,
    Issue,
    IssueStatus,
    IssueSubstatus,
    Resolution,
    Snooze,
)
from issues.status import Ignore, Resolve, Unresolve, shown
from issues.validators import IssueUpdateValidator
from releases.models import Commit, Release, ReleaseProject, Repository
from releases.services import release_set_commits
from tests.factories import make_event
from tests.helpers import get_issue, put_issue

pytestmark = pytest.mark.django_db

SHA = "c" * 40


def refreshed(issue) -> Issue:
    return Issue.objects.get(pk=issue.pk)


def last_activity(issue):
    row = Activity.objects.filter(issue=issue).order_by("id").last()
    return row.get_type_display(), row.data


def shipped_commit(project, version):
    """A release of the project and a commit it ships."""
    release = Release.objects.create(organization_id=project.organization_id, version=version)
    ReleaseProject.objects.create(release=release, project=project)
    repository = Repository.objects.create(organization_id=project.organization_id, name="r")
    (commit,) = release_set_commits(
        release=release,
        repository=repository,
        commits=[{"key": SHA, "message": "Fix it", "author_email": "dev@example.com"}],
    )
    return release, commit


# Resolve


def test_a_release_named_beside_a_commit_wins(api, issue, project):
    shipped_commit(project, "3.0.0")  # the commit is in another release
    other = Release.objects.create(organization_id=project.organization_id, version="2.0.0")
    ReleaseProject.objects.create(release=other, project=project)

    details = {"inRelease": "2.0.0", "inCommit": {"commit": SHA, "repository": "r"}}
    document = put_issue(api, issue, {"status": "resolved", "statusDetails": details})

    assert set(document["statusDetails"]) == {"inRelease", "actor"}
    assert document["statusDetails"]["inRelease"] == "2.0.0"
    resolution = Resolution.objects.get(issue=issue)
    assert (resolution.release_id, resolution.commit_id) == (other.pk, None)
    assert last_activity(issue) == ("set_resolved_in_release", {"version": "2.0.0"})


def test_every_resolve_stamps_the_time_it_was_resolved(api, issue):
    put_issue(api, issue, {"status": "resolved"})
    first = refreshed(issue).resolved_at
    put_issue(api, issue, {"status": "resolved"})
    assert refreshed(issue).resolved_at > first


# Ignore


def test_ignore_conditions_of_zero_ignore_forever_and_the_activity_keeps_them(api, issue):
    body = {"status": "ignored", "statusDetails": {"ignoreCount": 0, "ignoreDuration": 0}}
    document = put_issue(api, issue, body)

    assert document["substatus"] == "archived_forever"
    assert document["statusDetails"] == {}
    assert not Snooze.objects.filter(issue=issue).exists()
    _, data = last_activity(issue)
    assert (data["ignoreCount"], data["ignoreDuration"]) == (0, 0)


def test_ignoring_again_counts_from_the_events_seen_by_then(api, issue, project):
    put_issue(api, issue, {"status": "ignored", "ignoreCount": 3})
    make_event(project)
    assert get_issue(api, issue)["statusDetails"]["ignoreCount"] == 2

    document = put_issue(api, issue, {"status": "ignored", "ignoreCount": 3})

    assert document["statusDetails"]["ignoreCount"] == 3
    assert Snooze.objects.get(issue=issue).state == {"times_seen": 2}


def test_statusdetails_wins_over_the_top_level_ignore_forms(api, issue):
    body = {"status": "ignored", "ignoreCount": 7, "statusDetails": {"ignoreUserCount": 2}}
    document = put_issue(api, issue, body)

    assert document["statusDetails"]["ignoreUserCount"] == 2
    assert "ignoreCount" not in document["statusDetails"]
    snooze = Snooze.objects.get(issue=issue)
    assert (snooze.count, snooze.user_count) == (None, 2)


def test_an_expired_snooze_reads_unresolved_and_ongoing(api, issue):
    put_issue(api, issue, {"status": "ignored", "ignoreDuration": 30})
    Snooze.objects.filter(issue=issue).update(until=timezone.now() - timedelta(minutes=1))

    document = get_issue(api, issue)

    assert (document["status"], document["substatus"]) == ("unresolved", "ongoing")


# Unresolve and regression: the issue becomes active again, so it is unseen


def test_unresolving_makes_the_issue_unseen(api, issue):
    put_issue(api, issue, {"status": "resolved", "hasSeen": True})
    assert get_issue(api, issue)["hasSeen"] is True

    document = put_issue(api, issue, {"status": "unresolved"})

    assert document["hasSeen"] is False


def test_a_regression_makes_the_issue_unseen(api, issue, project):
    put_issue(api, issue, {"status": "resolved", "hasSeen": True})
    make_event(project)
    assert get_issue(api, issue)["hasSeen"] is False


def test_an_event_leaves_an_unresolved_issue_as_it_is(api, issue, project):
    before = refreshed(issue)
    make_event(project)
    after = refreshed(issue)
    assert (after.status, after.substatus, after.active_at) == (
        IssueStatus.UNRESOLVED,
        IssueSubstatus.NEW,
        before.active_at,
    )
    assert not Activity.objects.filter(issue=issue).exists()


# The validator speaks domain terms: the wire strings stop there


def changes_of(body, project=None) -> IssueChanges:
    validator = IssueUpdateValidator(data=body, context={"project": project, "scopes": frozenset()})
    assert validator.is_valid(), validator.errors
    return validator.validated_data


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "resolved"}, Resolve()),
        ({"status": "resolvedInNextRelease"}, Resolve(in_next_release=True)),
        ({"status": "unresolved", "ignoreCount": 3}, Unresolve()),
        ({"status": "muted"}, Ignore()),
        ({"status": "ignored", "snoozeDuration": 5}, Ignore(duration=5)),
        (
            {"status": "ignored", "ignoreDuration": 9, "snoozeDuration": 5},
            Ignore(duration=9),
        ),
        (
            {"status": "ignored", "statusDetails": {"ignoreCount": 4, "ignoreWindow": 60}},
            Ignore(count=4, window=60),
        ),
        ({"ignoreCount": 4}, None),
    ],
)
def test_the_validator_makes_a_status_change(body, status):
    assert changes_of(body) == IssueChanges(status=status)


@pytest.mark.parametrize("value", ["", None, 0])
def test_the_validator_makes_an_unassignment(value):
    assert changes_of({"assignedTo": value}) == IssueChanges(assignment=Assignment(None))


def test_the_validator_keeps_the_other_fields_and_leaves_out_absent_ones():
    body = {"hasSeen": "1", "isBookmarked": False, "isPublic": "true", "merge": True}
    assert changes_of(body) == IssueChanges(has_seen=True, is_bookmarked=False, is_public=True)


# The snooze's own terms and what a reader is shown, as plain functions


def counted(*, times_seen=10, user_count=4, **fields):
    return Issue(times_seen=times_seen, user_count=user_count, **fields)


@pytest.mark.parametrize(
    ("snooze", "valid"),
    [
        (Snooze(count=5, state={"times_seen": 6}), True),  # 4 of 5 more events so far
        (Snooze(count=4, state={"times_seen": 6}), False),
        (Snooze(count=1, window=60, state={}), True),  # windowed: events end it, not counters
        (Snooze(user_count=3, state={"users_seen": 2}), True),
        (Snooze(user_count=2, state={"users_seen": 2}), False),
        (Snooze(user_count=1, user_window=60, state={}), True),
    ],
)
def test_a_snooze_holds_until_its_counts_are_reached(snooze, valid):
    assert snooze.is_valid(counted(), now=timezone.now()) is valid


def test_a_snooze_holds_until_its_time():
    now = timezone.now()
    assert Snooze(until=now + timedelta(seconds=1), state={}).is_valid(counted(), now=now)
    assert not Snooze(until=now, state={}).is_valid(counted(), now=now)


def test_a_shown_snooze_counts_what_is_left_without_a_window_and_the_count_with_one():
    now = timezone.now()
    issue = counted(status=IssueStatus.IGNORED, substatus=IssueSubstatus.ARCHIVED_FOREVER)
    snooze = Snooze(count=5, user_count=3, user_window=60, state={"times_seen": 6})

    state = shown(issue, snooze=snooze, resolution=None, now=now)

    assert (state.status, state.substatus) == (IssueStatus.IGNORED, "archived_forever")
    assert (state.ignore_count, state.ignore_user_count) == (1, 3)


@pytest.mark.parametrize(
    "status",
    [IssueStatus.PENDING_DELETION, IssueStatus.DELETION_IN_PROGRESS, IssueStatus.PENDING_MERGE],
)
def test_a_substatus_is_shown_only_with_unresolved_and_ignored(status):
    issue = counted(status=status, substatus=IssueSubstatus.ONGOING)
    assert shown(issue, snooze=None, resolution=None, now=timezone.now()).substatus is None


@pytest.mark.parametrize(
    ("days", "substatus"), [(6, IssueSubstatus.NEW), (8, IssueSubstatus.ONGOING)]
)
def test_a_new_issue_is_shown_ongoing_after_a_week(days, substatus):
    now = timezone.now()
    issue = counted(substatus=IssueSubstatus.NEW, first_seen=now - timedelta(days=days))
    assert shown(issue, snooze=None, resolution=None, now=now).substatus == substatus


def test_a_resolution_in_a_release_shows_before_its_commit():
    release = Release(version="1.0")
    resolution = Resolution(
        release=release, commit=Commit(key=SHA), type=Resolution.Type.IN_RELEASE
    )
    issue = counted(status=IssueStatus.RESOLVED)

    state = shown(issue, snooze=None, resolution=resolution, now=timezone.now())

    assert (state.in_release, state.in_next_release, state.in_commit) == (release, False, None)

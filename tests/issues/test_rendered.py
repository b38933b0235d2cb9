"""The list items a process keeps by what they were rendered from (issues.rendered): an item
shown again is the one its rows, the requester, the project and the time give now."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import User
from issues.models import Assignee, Bookmark, Issue, IssueStatus, IssueSubstatus, Snooze
from issues.rendered import _documents
from tests.conftest import new_member
from tests.factories import UserFactory, make_event, make_issue
from tests.helpers import client_for, issue_url
from tests.issues.lists import org_url, project_url

pytestmark = pytest.mark.django_db


def listed(api, url, **params) -> dict:
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    [item] = response.json()
    return item


def later(moment):
    """The lists read the time as `moment`, and nothing else does (the requester's row,
    which authentication may touch, stays as it was)."""
    return mock.patch("issues.apis.timezone", mock.Mock(now=lambda: moment))


def test_a_listed_issue_shown_again_is_as_its_rows_are_now(api, project, user):
    issue = make_issue(project)
    first = listed(api, project_url(project))
    assert listed(api, project_url(project)) == first  # the same rows: the same item
    assert len(_documents) >= 1

    Issue.objects.filter(pk=issue.pk).update(times_seen=41)
    assert listed(api, project_url(project))["count"] == "41"

    Bookmark.objects.create(issue=issue, user=user)
    assert listed(api, project_url(project))["isBookmarked"] is True

    assignee = UserFactory()
    Assignee.objects.create(issue=issue, user=assignee)
    assert listed(api, project_url(project))["assignedTo"]["email"] == assignee.email
    # A row the issue's rows name (the assignee's user) is read with them.
    User.objects.filter(pk=assignee.pk).update(email="renamed@example.com")
    assert listed(api, project_url(project))["assignedTo"]["email"] == "renamed@example.com"


def test_a_listed_item_follows_the_project_and_the_requester(api, project, user):
    make_issue(project)
    listed(api, project_url(project))
    project.name = "Renamed"
    project.save(update_fields=["name"])
    assert listed(api, project_url(project))["project"]["name"] == "Renamed"

    user.workflow_notifications = user.Notifications.NO_CONVERSATIONS
    user.save(update_fields=["workflow_notifications"])
    item = listed(api, project_url(project))
    assert (item["isSubscribed"], item["subscriptionDetails"]) == (False, {"disabled": True})


def moments() -> tuple:
    """Two moments a minute apart in the same hour, so that the lists' stats buckets are the
    same at both."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    return hour + timedelta(minutes=30), hour + timedelta(minutes=31)


def test_a_listed_new_issue_turns_ongoing_with_time_alone(api, project):
    issue = make_issue(project)
    first, second = moments()
    # New until half a minute after `first`.
    week_before = first - timedelta(days=7) + timedelta(seconds=30)
    Issue.objects.filter(pk=issue.pk).update(substatus=IssueSubstatus.NEW, first_seen=week_before)
    url = org_url(project.organization)
    with later(first):
        item = listed(api, url, expand="inbox")
    assert (item["substatus"], item["inbox"]["reason"]) == ("new", 0)
    # A minute on, the same rows show another status: nothing but the time changed.
    with later(second):
        item = listed(api, url, expand="inbox")
    assert (item["substatus"], item["inbox"]) == ("ongoing", None)


def test_a_listed_snooze_ends_with_time_alone(api, project):
    issue = make_issue(project)
    first, second = moments()
    Issue.objects.filter(pk=issue.pk).update(status=IssueStatus.IGNORED)
    Snooze.objects.create(issue=issue, until=first + timedelta(seconds=30))
    url = project_url(project)
    with later(first):
        item = listed(api, url, query="")
    assert (item["status"], set(item["statusDetails"])) == ("ignored", {"ignoreUntil", "actor"})
    with later(second):
        item = listed(api, url, query="")
    assert (item["status"], item["statusDetails"]) == ("unresolved", {})


def test_a_direct_hit_adds_its_event_to_a_copy(api, project):
    event = make_event(project)
    url = project_url(project)
    hit = listed(api, url, query=event.event_id)
    assert hit["matchingEventId"] == event.event_id
    assert "matchingEventId" not in listed(api, url)


def test_the_issue_get_turns_ongoing_with_time_alone(api, project):
    issue = make_issue(project)
    first, second = moments()
    week_before = first - timedelta(days=7) + timedelta(seconds=30)
    Issue.objects.filter(pk=issue.pk).update(substatus=IssueSubstatus.NEW, first_seen=week_before)
    with later(first):
        assert api.get(issue_url(issue)).json()["substatus"] == "new"
    with later(second):
        assert api.get(issue_url(issue)).json()["substatus"] == "ongoing"


def test_the_issue_get_is_the_requesters_own(api, project, user, team):
    """Two members reading the same rows: each sees the document of its own bookmark."""
    issue = make_issue(project)
    other = new_member(project.organization, team)
    Bookmark.objects.create(issue=issue, user=other)
    assert api.get(issue_url(issue)).json()["isBookmarked"] is False
    assert client_for(other, ["event:read"]).get(issue_url(issue)).json()["isBookmarked"] is True
    assert api.get(issue_url(issue)).json()["isBookmarked"] is False

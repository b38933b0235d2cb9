"""A GET reads a fixed number of small queries, whatever the issue's size (no N+1)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from issues.models import (
    Activity,
    ActivityType,
    Assignee,
    Issue,
    IssueSeen,
    IssueStatus,
    Snooze,
    Subscription,
)
from tests.factories import UserFactory, make_event, make_issue, make_organization
from tests.helpers import client_for, issue_url, org_issue_url

pytestmark = pytest.mark.django_db

# token (with its user), its last-used time (written once a minute: these tokens are fresh),
# and one statement (issues.gather): the issue with its project, organization, share,
# assignee, snooze, resolution, releases, the users they name and their emails, the
# requester's membership, activity, seenBy, subscriptions, bookmark, user reports, tags and
# stats.
GET_QUERIES = 3
# The organization route finds the organization in the same statement.
ORG_ROUTE_QUERIES = GET_QUERIES
# + the environments, known only once the issue's organization is: the issue with the
# membership first, then the environments, then the parts counted in them.
ENVIRONMENT_QUERIES = GET_QUERIES + 2


def small_issue(project, user):
    issue = make_issue(project, release="1.0.0", tags={"a": "1"})
    Activity.objects.create(project=project, issue=issue, type=ActivityType.NOTE, user=user)
    IssueSeen.objects.create(issue=issue, user=user)
    Subscription.objects.create(issue=issue, user=user)
    return issue


def large_issue(project, user):
    now = timezone.now()
    for number in range(150):
        issue = make_event(
            project,
            message="the same problem",
            release=f"2.0.{number % 3}",
            environment=f"env-{number % 4}",
            user={"id": str(number)},
            tags={f"key_{number % 40}": str(number), "server_name": f"web{number}"},
            timestamp=(now - timedelta(hours=number * 5)).isoformat(),
        ).issue
    users = UserFactory.create_batch(30)
    for other in users:
        IssueSeen.objects.create(issue=issue, user=other)
        Subscription.objects.create(issue=issue, user=other)
    Activity.objects.bulk_create(
        Activity(
            project=project,
            issue=issue,
            type=ActivityType.NOTE,
            user=users[index % len(users)],
            data={"text": str(index)},
        )
        for index in range(250)
    )
    Assignee.objects.create(issue=issue, user=users[0])
    issue.status = IssueStatus.IGNORED
    issue.save()
    Snooze.objects.create(issue=issue, count=1000, state={"times_seen": 1}, actor=users[1])
    return issue


@pytest.fixture(scope="module")
def large(module_db):
    """The large issue, built once for the module (its 150 events take a while): the reads
    only read it. It is of an organization of its own, with a member to read it."""
    with module_db():
        organization = make_organization()
        return large_issue(organization.projects.get(), organization.members.get().user)


@pytest.fixture(params=["small", "large"])
def sized_issue(request, large, project, user):
    return small_issue(project, user) if request.param == "small" else large


def reader_of(issue):
    """A member of the issue's organization with a new token (its first use writes its
    last-used time, which the counts include)."""
    return client_for(issue.project.organization.members.earliest("pk").user)


def test_get_runs_a_fixed_number_of_queries(sized_issue, django_assert_num_queries):
    client = reader_of(sized_issue)
    with django_assert_num_queries(GET_QUERIES):
        response = client.get(issue_url(sized_issue))
    assert response.status_code == 200, response.content


def test_org_route_runs_a_fixed_number_of_queries(sized_issue, django_assert_num_queries):
    client = reader_of(sized_issue)
    organization = sized_issue.project.organization
    url = org_issue_url(organization.slug, sized_issue.qualified_short_id)
    with django_assert_num_queries(ORG_ROUTE_QUERIES):
        response = client.get(url)
    assert response.status_code == 200, response.content


def test_environment_filter_runs_a_fixed_number_of_queries(large, django_assert_num_queries):
    client = reader_of(large)
    with django_assert_num_queries(ENVIRONMENT_QUERIES):
        response = client.get(issue_url(large), {"environment": "env-1"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == str(150 // 4 + 1)


# PUT: the token and its last-used time, the issue with the membership (issues.gather); then
# BEGIN, the issue under its lock, the writes, COMMIT; then the document. PostgreSQL gets the
# writes in one round trip (issues.services.writes), SQLite one statement at a time.
PUT_QUERIES = 8
PUT_WRITES = {
    # snooze and resolution deletes, the status, the activity row, the subscription
    "resolved": 5,
    "unresolved": 5,
    # the bookmark and the subscription it implies
    "bookmark": 2,
    "unbookmark": 1,
}
PUT_BODIES = {
    "resolved": {"status": "resolved"},
    "unresolved": {"status": "unresolved"},
    "bookmark": {"isBookmarked": True},
    "unbookmark": {"isBookmarked": False},
}


def put_queries(name: str) -> int:
    if connection.vendor == "postgresql":
        return PUT_QUERIES
    return PUT_QUERIES - 1 + PUT_WRITES[name]


@pytest.mark.parametrize("name", list(PUT_BODIES))
def test_put_runs_a_fixed_number_of_queries(api, project, user, name, django_assert_num_queries):
    issue = small_issue(project, user)
    if name == "unresolved":
        Issue.objects.filter(pk=issue.pk).update(status=IssueStatus.RESOLVED)
    with django_assert_num_queries(put_queries(name)):
        response = api.put(f"/api/0/issues/{issue.pk}/", PUT_BODIES[name], format="json")
    assert response.status_code == 200, response.content

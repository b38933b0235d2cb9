"""DELETE on the issue routes, `manage.py run_deletions`, and concurrent PUTs (docs/behaviour.md:
Decision 9, §5).

DELETE hides the issue at once (202) and forgets its fingerprints; run_deletions removes it and
everything hanging off it once the grace period (ISSUES_API_DELETION_GRACE_SECONDS) has passed.
"""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import UserEmail
from issues import apis
from issues.models import (
    Bookmark,
    Event,
    Issue,
    IssueHash,
    IssueSeen,
    IssueStatus,
    IssueTombstone,
    Resolution,
    Subscription,
    UserReport,
)
from issues.services import issue_delete
from releases.models import Release
from tests.concurrency import run_together
from tests.factories import MemberFactory, UserFactory, make_event, make_issue
from tests.helpers import ROUTES, assert_gone, issue_url

pytestmark = pytest.mark.django_db


def delete(api, issue, route="issues"):
    response = api.delete(issue_url(issue, route))
    assert response.status_code == 202, response.content
    return response


def run_deletions(*args) -> str:
    out = StringIO()
    call_command("run_deletions", *args, stdout=out)
    return out.getvalue()


READ_MODELS = {
    "IssueUser",
    "IssueHourlyCount",
    "IssueDailyCount",
    "IssueHourlyTotal",
    "IssueDailyTotal",
    "IssueTagKey",
    "IssueTagValue",
}


def relations():
    """(model, field name) of every model with a relation to Issue.

    Issue._meta.related_objects leaves out relations declared with related_name="+" (the read
    models), so the hidden ones are asked for too.
    """
    found = [
        (field.related_model, field.field.name)
        for field in Issue._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete
    ]
    visible = {relation.related_model for relation in Issue._meta.related_objects}
    assert visible <= {model for model, _ in found}
    assert {model.__name__ for model, _ in found} >= READ_MODELS
    return found


def rows_per_model(issue_id: int) -> dict[str, int]:
    return {
        model.__name__: model.objects.filter(**{field: issue_id}).count()
        for model, field in relations()
    }


@pytest.fixture
def teammate(organization, team):
    user = UserFactory()
    MemberFactory(organization=organization, user=user, teams=[team])
    return user


def build_big_issue(api, project, teammate, *, message: str, events: int = 24) -> Issue:
    """An issue with rows in every model that hangs off it."""
    now = timezone.now()
    issue = None
    for number in range(events):
        payload = {
            "message": message,
            "timestamp": (now - timedelta(hours=number, minutes=5)).isoformat(),
            "environment": ("production", "staging", "")[number % 3],
            "user": {"id": f"user-{number % 5}"},
            "tags": {"server_name": f"web{number % 4}", "browser": f"b{number % 2}"},
        }
        if number % 2:
            payload["release"] = "2.0.0"
        issue = make_event(project, **payload).issue
    url = f"/api/0/issues/{issue.pk}/"
    for body in (
        {"assignedTo": teammate.pk},
        {"isBookmarked": True},
        {"hasSeen": True},
        {"isPublic": True},
        {"isSubscribed": True},
        {"status": "resolved"},
        {"status": "ignored", "ignoreDuration": 30},
    ):
        response = api.put(url, body, format="json")
        assert response.status_code == 200, response.content
    Bookmark.objects.create(issue=issue, user=teammate)
    IssueSeen.objects.create(issue=issue, user=teammate)
    Subscription.objects.update_or_create(issue=issue, user=teammate, defaults={"is_active": False})
    Resolution.objects.create(
        issue=issue, release=Release.objects.get(version="2.0.0"), type=Resolution.Type.IN_RELEASE
    )
    for number in range(4):
        UserReport.objects.create(
            project=project,
            issue=issue,
            event_id=issue.events.all()[number].event_id,
            name=f"Reporter {number}",
            email=f"reporter{number}@example.com",
            comments="It broke.",
        )
    return issue


# DELETE


@pytest.mark.parametrize("route", ROUTES)
def test_delete_returns_202_with_empty_body(api, issue, route):
    response = api.delete(issue_url(issue, route))

    assert response.status_code == 202, response.content
    assert response.content == b""


def test_delete_marks_pending_deletion_and_forgets_the_fingerprints(api, project):
    issue = make_issue(project, message="To delete")
    other = make_issue(project, message="To keep")
    before = timezone.now()

    delete(api, issue)

    issue.refresh_from_db()
    assert issue.status == IssueStatus.PENDING_DELETION
    assert before <= issue.deletion_requested_at <= timezone.now()
    assert not IssueHash.objects.filter(issue=issue).exists()
    # The rest stays until run_deletions, and other issues are untouched.
    assert Event.objects.filter(issue=issue).count() == 1
    assert IssueHash.objects.filter(issue=other).count() == 1
    assert Issue.objects.get(pk=other.pk).status == IssueStatus.UNRESOLVED


@pytest.mark.parametrize("status", ["resolved", "ignored"])
def test_delete_works_for_resolved_and_ignored_issues(api, issue, status):
    assert api.put(issue_url(issue), {"status": status}, format="json").status_code == 200

    delete(api, issue)

    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.PENDING_DELETION


@pytest.mark.parametrize("then_route", ROUTES)
@pytest.mark.parametrize("deleted_via", ROUTES)
def test_after_delete_get_put_delete_answer_404(api, issue, deleted_via, then_route):
    delete(api, issue, deleted_via)
    requested_at = Issue.objects.get(pk=issue.pk).deletion_requested_at

    assert_gone(api, issue_url(issue, then_route))
    fresh = Issue.objects.get(pk=issue.pk)
    assert fresh.status == IssueStatus.PENDING_DELETION
    assert fresh.deletion_requested_at == requested_at
    assert not IssueTombstone.objects.exists()


def test_after_delete_the_short_id_answers_404(api, issue):
    delete(api, issue)

    response = api.get(
        f"/api/0/organizations/{issue.project.organization.slug}/issues/{issue.qualified_short_id}/"
    )

    assert response.status_code == 404, response.content


def test_after_delete_a_new_event_opens_a_new_issue(api, project):
    issue = make_issue(project, message="Comes back")
    delete(api, issue)

    event = make_event(project, message="Comes back")

    assert event is not None
    new = event.issue
    assert new.pk != issue.pk
    assert new.short_id == issue.short_id + 1
    assert new.qualified_short_id != issue.qualified_short_id
    assert new.times_seen == 1
    assert IssueHash.objects.get(issue=new).hash
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.PENDING_DELETION
    assert Issue.objects.get(pk=issue.pk).times_seen == 1
    response = api.get(issue_url(new))
    assert response.status_code == 200, response.content
    assert response.json()["shortId"] == new.qualified_short_id
    assert response.json()["count"] == "1"


def test_put_that_loses_the_race_to_a_delete_does_not_bring_the_issue_back(api, issue, monkeypatch):
    """A DELETE committed between the PUT's lookup and its update (both pass get_issue) must
    not be undone: issue_update should re-check the status under its row lock. Expected: the
    issue stays pending deletion (and the PUT answers 404)."""
    original = apis.issue_update

    def delete_first(*, issue_id, **kwargs):
        issue_delete(issue_id=issue_id)
        return original(issue_id=issue_id, **kwargs)

    monkeypatch.setattr(apis, "issue_update", delete_first)

    response = api.put(issue_url(issue), {"status": "resolved"}, format="json")

    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.PENDING_DELETION
    assert response.status_code == 404, response.content


# run_deletions


@pytest.fixture
def one_hour_grace(settings):
    settings.ISSUES_API_DELETION_GRACE_SECONDS = 3600


def test_run_deletions_keeps_an_issue_within_the_grace_period(api, issue, one_hour_grace):
    delete(api, issue)
    Issue.objects.filter(pk=issue.pk).update(
        deletion_requested_at=timezone.now() - timedelta(minutes=59)
    )

    output = run_deletions()

    assert output.strip() == "Deleted 0 issue(s)."
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.PENDING_DELETION
    assert Event.objects.filter(issue=issue).exists()


def test_run_deletions_now_ignores_the_grace_period(api, issue, one_hour_grace):
    delete(api, issue)

    output = run_deletions("--now")

    assert output.strip() == "Deleted 1 issue(s)."
    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert not Event.objects.filter(issue_id=issue.pk).exists()


def test_run_deletions_with_zero_grace_removes_at_once(api, issue, settings):
    settings.ISSUES_API_DELETION_GRACE_SECONDS = 0
    delete(api, issue)

    output = run_deletions()

    assert output.strip() == "Deleted 1 issue(s)."
    assert not Issue.objects.filter(pk=issue.pk).exists()


def test_run_deletions_removes_an_issue_past_the_grace_period(api, project, one_hour_grace):
    old = make_issue(project, message="Old")
    young = make_issue(project, message="Young")
    delete(api, old)
    delete(api, young)
    Issue.objects.filter(pk=old.pk).update(
        deletion_requested_at=timezone.now() - timedelta(hours=2)
    )

    output = run_deletions()

    assert output.strip() == "Deleted 1 issue(s)."
    assert not Issue.objects.filter(pk=old.pk).exists()
    assert Issue.objects.get(pk=young.pk).status == IssueStatus.PENDING_DELETION


def test_run_deletions_reports_how_many(api, project, one_hour_grace):
    issues = [
        make_issue(project, message=f"Issue {number}", fingerprint=[str(number)])
        for number in range(3)
    ]
    for issue in issues:
        delete(api, issue)

    assert run_deletions("--now").strip() == "Deleted 3 issue(s)."
    assert run_deletions("--now").strip() == "Deleted 0 issue(s)."
    assert not Issue.objects.filter(pk__in=[issue.pk for issue in issues]).exists()


def test_run_deletions_resumes_an_interrupted_deletion(issue, one_hour_grace):
    Issue.objects.filter(pk=issue.pk).update(
        status=IssueStatus.DELETION_IN_PROGRESS,
        deletion_requested_at=timezone.now() - timedelta(hours=2),
    )

    assert run_deletions().strip() == "Deleted 1 issue(s)."
    assert not Issue.objects.filter(pk=issue.pk).exists()


@pytest.mark.parametrize(
    "status",
    [IssueStatus.UNRESOLVED, IssueStatus.RESOLVED, IssueStatus.IGNORED, IssueStatus.PENDING_MERGE],
)
def test_run_deletions_never_removes_an_issue_not_deleted(project, status, one_hour_grace):
    issue = make_issue(project)
    # Even with a stale request date, only the deletion statuses count.
    Issue.objects.filter(pk=issue.pk).update(
        status=status, deletion_requested_at=timezone.now() - timedelta(days=2)
    )
    before = rows_per_model(issue.pk)

    assert run_deletions("--now").strip() == "Deleted 0 issue(s)."

    assert Issue.objects.get(pk=issue.pk).status == status
    assert rows_per_model(issue.pk) == before


@pytest.mark.parametrize("batch_size", [None, "3", "1"])
def test_run_deletions_removes_everything_hanging_off_the_issue(
    api, project, user, teammate, batch_size, one_hour_grace
):
    big = build_big_issue(api, project, teammate, message="Big one")
    other = build_big_issue(api, project, teammate, message="Bystander", events=7)
    big_rows = rows_per_model(big.pk)
    other_rows = rows_per_model(other.pk)
    # The issues are built so that every model hanging off Issue has rows: the check is real.
    assert all(big_rows.values()), big_rows
    assert all(other_rows.values()), other_rows
    assert big_rows["Event"] == 24
    releases = Release.objects.count()
    users = {user.pk, teammate.pk}

    delete(api, big)
    args = ["--now"] + (["--batch-size", batch_size] if batch_size else [])
    output = run_deletions(*args)

    assert output.strip() == "Deleted 1 issue(s)."
    assert not Issue.objects.filter(pk=big.pk).exists()
    assert rows_per_model(big.pk) == dict.fromkeys(big_rows, 0)
    assert rows_per_model(other.pk) == other_rows
    assert Issue.objects.get(pk=other.pk).times_seen == 7
    # Nothing outside the issue goes with it.
    assert Release.objects.count() == releases
    assert (
        set(UserEmail.objects.filter(user_id__in=users).values_list("user_id", flat=True)) == users
    )
    response = api.get(issue_url(other))
    assert response.status_code == 200, response.content
    assert response.json()["count"] == "7"


def test_run_deletions_deletes_every_dependent_table_in_batches(
    api, project, teammate, one_hour_grace
):
    """--batch-size bounds every DELETE, the read models' too: each table hanging off the issue
    needs at least ceil(rows / batch size) DELETE statements."""
    big = build_big_issue(api, project, teammate, message="Big one")
    rows = {
        model._meta.db_table: model.objects.filter(**{field: big.pk}).count()
        for model, field in relations()
    }
    delete(api, big)
    rows["issues_issuehash"] = 0  # gone with the DELETE already

    with CaptureQueriesContext(connection) as queries:
        run_deletions("--now", "--batch-size", "3")

    deleted_tables = [
        query["sql"].split()[2].strip('"')
        for query in queries.captured_queries
        if query["sql"].startswith("DELETE FROM ")
    ]
    statements = {table: deleted_tables.count(table) for table in rows}
    too_few = {
        table: (statements[table], rows[table])
        for table in rows
        if statements[table] < -(-rows[table] // 3)
    }
    assert too_few == {}, "table: (DELETE statements, rows)"


def test_run_deletions_after_discard_keeps_the_tombstone(api, project, one_hour_grace):
    issue = make_issue(project, message="Discarded")
    assert api.put(issue_url(issue), {"discard": True}, format="json").status_code == 204
    tombstone = IssueTombstone.objects.get(previous_issue_id=issue.pk)

    assert run_deletions("--now").strip() == "Deleted 1 issue(s)."

    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert IssueTombstone.objects.filter(pk=tombstone.pk).exists()
    assert IssueHash.objects.filter(tombstone=tombstone).count() == 1
    assert make_event(project, message="Discarded") is None


# Concurrency (PostgreSQL): two PUTs on one issue at the same moment lose nothing


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency"
)


def put_together(token, url, bodies) -> list:
    """PUT every body at once from its own thread and client; return (status, body) pairs."""

    def put(body):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
        response = client.put(url, body, format="json")
        return response.status_code, response.content

    return run_together([lambda body=body: put(body) for body in bodies])


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookmark_and_status_are_both_applied(project, user, token):
    issue = make_issue(project)
    url = issue_url(issue)

    for round_number in range(6):
        bookmarked = round_number % 2 == 0
        status = "resolved" if bookmarked else "unresolved"

        results = put_together(token, url, [{"isBookmarked": bookmarked}, {"status": status}])

        for result in results:
            assert not isinstance(result, Exception), result
            assert result[0] == 200, result
        fresh = Issue.objects.get(pk=issue.pk)
        expected = IssueStatus.RESOLVED if bookmarked else IssueStatus.UNRESOLVED
        assert fresh.status == expected, round_number
        assert Bookmark.objects.filter(issue=issue, user=user).exists() is bookmarked
        assert Subscription.objects.filter(issue=issue, user=user).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_subscriptions_on_fresh_issues(project, user, token):
    """Bookmark and resolve both subscribe the user; on a fresh issue both try to create the
    subscription row at once."""
    for round_number in range(5):
        issue = make_issue(
            project, message=f"Fresh {round_number}", fingerprint=[str(round_number)]
        )
        url = issue_url(issue)

        results = put_together(
            token, url, [{"isBookmarked": True}, {"status": "resolved"}, {"hasSeen": True}]
        )

        for result in results:
            assert not isinstance(result, Exception), result
            assert result[0] == 200, result
        assert Issue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED
        assert Bookmark.objects.filter(issue=issue, user=user).count() == 1
        assert IssueSeen.objects.filter(issue=issue, user=user).count() == 1
        [subscription] = Subscription.objects.filter(issue=issue, user=user)
        assert subscription.is_active is True


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_assignments_leave_one_assignee(project, user, token, organization, team):
    """Two assignments at once: one assignee row, and one assigned activity per change."""
    other = MemberFactory(organization=organization, teams=[team]).user
    for round_number in range(5):
        issue = make_issue(
            project, message=f"Assign {round_number}", fingerprint=[str(round_number)]
        )
        url = issue_url(issue)

        results = put_together(token, url, [{"assignedTo": user.pk}, {"assignedTo": other.pk}])

        for result in results:
            assert not isinstance(result, Exception), result
            assert result[0] == 200, result
        issue.refresh_from_db()
        assert issue.assignee.user_id in (user.pk, other.pk)
        assert issue.activities.count() == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_delete_and_put_leave_the_issue_deleted(project, token):
    """DELETE and PUT at once: whichever goes first, the issue ends pending deletion (a PUT
    that looked the issue up before the DELETE committed must not bring it back)."""
    for round_number in range(20):
        issue = make_issue(project, message=f"Race {round_number}", fingerprint=[str(round_number)])
        url = issue_url(issue)
        barrier = threading.Barrier(2)
        results: dict = {}

        def worker(name, call, barrier=barrier, results=results):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
            try:
                barrier.wait(timeout=10)
                results[name] = call(client).status_code
            except Exception as error:  # reported by the assertion below
                results[name] = error
            finally:
                connection.close()

        threads = [
            threading.Thread(target=worker, args=("delete", lambda c, u=url: c.delete(u))),
            threading.Thread(
                target=worker,
                args=("put", lambda c, u=url: c.put(u, {"status": "resolved"}, format="json")),
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert results["delete"] == 202, results
        assert results["put"] in (200, 404), results
        assert Issue.objects.get(pk=issue.pk).status == IssueStatus.PENDING_DELETION, (
            round_number,
            results,
        )

"""issues.gather reads an issue document in one statement; these pin what that statement
must keep true beyond the document tests: prepared or not, it answers the same."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues.gather import _statements, gather_issues
from issues.lookups import issue_lookup

pytestmark = pytest.mark.django_db


def test_the_document_is_the_same_with_and_without_prepared_statements(api, issue, settings):
    settings.ISSUES_API_PREPARED_STATEMENTS = True
    prepared = api.get(f"/api/0/issues/{issue.pk}/").json()
    settings.ISSUES_API_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as queries:
        plain = api.get(f"/api/0/issues/{issue.pk}/").json()
    assert not any(query["sql"].startswith("EXECUTE") for query in queries)
    assert plain == prepared


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares")
def test_postgresql_runs_the_prepared_statement_unless_through_a_pooler(api, issue, settings):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/0/issues/{issue.pk}/").status_code == 200
    executed = sum(query["sql"].startswith("EXECUTE jsonrows_") for query in queries)
    # PgBouncer in transaction mode keeps no PREPARE between transactions (DATABASE_POOLER).
    assert executed == (0 if settings.DATABASE_POOLER else 2)


def test_the_statement_texts_kept_are_bounded(issue, user):
    from django.utils import timezone

    for number in range(_statements.limit + 10):
        # A different form each time, as SQLite's texts differ by the number of ids.
        gather_issues(user=user, ids=[issue.pk] * (number + 1), now=timezone.now())
        assert len(_statements) <= _statements.limit
    assert gather_issues(user=user, lookup=issue_lookup(str(issue.pk), None), now=timezone.now())


def test_stored_json_comes_back_exactly(api, issue):
    # The statement's JSON is decoded by orjson; stored JSON travels inside it as text and is
    # decoded as Django decodes it, so integers beyond 64 bits and fractions stay as they are.
    from issues.models import Activity, ActivityType

    metadata = {
        "value": "x",
        "big": 2**70,
        "negative": -(2**65),
        "fraction": 0.1,
        "large": 1e300,
        "digits": "12345678901234567890",
        "nested": [{"text": "\u2028 é ☃", "none": None, "yes": True}],
    }
    issue.metadata = metadata
    issue.save(update_fields=["metadata"])
    Activity.objects.create(
        project=issue.project, issue=issue, type=ActivityType.NOTE, data={"text": "n", "n": 2**80}
    )
    document = api.get(f"/api/0/issues/{issue.pk}/").json()
    # As Django reads the column (PostgreSQL's jsonb writes 1e300 out in full, an integer).
    assert document["metadata"] == type(issue).objects.get(pk=issue.pk).metadata
    assert {key: document["metadata"][key] for key in metadata if key != "large"} == {
        key: value for key, value in metadata.items() if key != "large"
    }
    assert document["activity"][0]["data"] == {"text": "n", "n": 2**80}


def test_shown_users_are_alike_everywhere_with_all_their_emails(api, issue, user):
    # Seen-by, participants and activity name their users by id, and the statement reads
    # each user once for all three: every place shows the same object, emails in id order.
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import UserEmail
    from issues.models import Activity, ActivityType, IssueSeen, Subscription
    from tests.factories import UserFactory

    other, silent = UserFactory(), UserFactory()
    second = UserEmail.objects.create(user=other, email="second@example.com", is_verified=False)
    now = timezone.now()
    for number, author in enumerate([other, None, silent, other]):
        Activity.objects.create(
            project=issue.project,
            issue=issue,
            type=ActivityType.NOTE,
            user=author,
            datetime=now - timedelta(minutes=10 - number),
            data={"text": f"note {number}"},
        )
    IssueSeen.objects.create(issue=issue, user=other, last_seen=now)
    IssueSeen.objects.create(issue=issue, user=user, last_seen=now - timedelta(minutes=1))
    Subscription.objects.create(issue=issue, user=other, is_active=True, reason=0)

    document = api.get(f"/api/0/issues/{issue.pk}/").json()

    shown = {seen["id"]: seen for seen in document["seenBy"]}
    assert list(shown) == [str(other.pk), str(user.pk)]
    other_shown = {key: value for key, value in shown[str(other.pk)].items() if key != "lastSeen"}
    assert other_shown["emails"] == [
        {
            "id": str(other.emails.order_by("id").first().pk),
            "email": other.email,
            "is_verified": True,
        },
        {"id": str(second.pk), "email": "second@example.com", "is_verified": False},
    ]
    assert document["participants"] == [other_shown]
    authors = [item["user"] for item in document["activity"]]
    assert authors[:4] == [other_shown, shown_user(silent), None, other_shown]
    assert authors[4] is None  # first_seen
    # The requester's own object carries its options, wherever it is shown.
    assert "options" in shown[str(user.pk)] and "options" not in other_shown


def shown_user(user) -> dict:
    from accounts.serializers import serialize_user

    return serialize_user(user, emails=list(user.emails.order_by("id")))

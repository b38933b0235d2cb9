"""bench/setup_data.py, on a small scale: the events it inserts by SQL leave the counters and
read models that record_event leaves, and it builds the documents `make bench` compares."""

import pytest
from django.db import connection
from django.utils import timezone

from bench import setup_data
from issues.models import (
    Activity,
    Event,
    Issue,
    IssueDailyCount,
    IssueDailyTotal,
    IssueEnvironment,
    IssueHourlyCount,
    IssueHourlyTotal,
    IssueSeen,
    IssueTagKey,
    IssueTagValue,
    IssueUser,
    Subscription,
)
from issues.services import record_event
from releases.models import Release

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the benchmark's bulk SQL is PostgreSQL's"
    ),
]

EVENTS = 40


def read_models(issue: Issue) -> dict:
    issue.refresh_from_db()
    return {
        "issue": (
            issue.times_seen,
            issue.user_count,
            issue.first_seen,
            issue.last_seen,
            issue.first_release_id,
            issue.last_release_id,
            issue.level,
            issue.culprit,
            issue.metadata,
        ),
        "environments": sorted(
            IssueEnvironment.objects.filter(issue=issue).values_list(
                "environment_id",
                "first_seen",
                "last_seen",
                "times_seen",
                "user_count",
                "first_release_id",
            )
        ),
        "users": sorted(
            IssueUser.objects.filter(issue=issue).values_list("environment_id", "user_key")
        ),
        "hours": sorted(
            IssueHourlyCount.objects.filter(issue=issue).values_list(
                "environment_id", "hour", "count"
            )
        ),
        "days": sorted(
            IssueDailyCount.objects.filter(issue=issue).values_list(
                "environment_id", "day", "count"
            )
        ),
        "hour_totals": sorted(
            IssueHourlyTotal.objects.filter(issue=issue).values_list("hour", "count")
        ),
        "day_totals": sorted(
            IssueDailyTotal.objects.filter(issue=issue).values_list("day", "count")
        ),
        "tag_keys": sorted(
            IssueTagKey.objects.filter(issue=issue).values_list(
                "environment_id", "key", "times_seen"
            )
        ),
        "tag_values": sorted(
            IssueTagValue.objects.filter(issue=issue).values_list(
                "environment_id", "key", "value", "times_seen", "first_seen", "last_seen"
            )
        ),
    }


def events(issue: Issue) -> list:
    rows = Event.objects.filter(issue=issue).order_by("id")
    return [
        (
            row.datetime,
            row.received,
            row.environment_id,
            row.release_id,
            row.platform,
            row.message,
            row.user_key,
            row.tags,
            {
                key: value
                for key, value in row.data.items()
                if key not in ("event_id", "fingerprint")
            },
        )
        for row in rows
    ]


def test_bulk_inserted_events_leave_what_record_event_leaves(project):
    start = timezone.now() - setup_data.VOLUME_SPAN

    def payload(number, fingerprint):
        return setup_data.volume_payload(number, total=EVENTS, start=start, fingerprint=fingerprint)

    for number in range(EVENTS):
        recorded = record_event(project=project, payload=payload(number, "recorded")).issue
    releases_after_record_event = sorted(
        Release.objects.values_list("version", "first_event", "last_event")
    )
    bulk = record_event(project=project, payload=payload(0, "bulk")).issue
    inserted = setup_data.bulk_insert_volume_events(
        bulk, fingerprint="bulk", first=1, total=EVENTS, start=start
    )
    setup_data.rebuild_read_models(bulk.pk)

    assert inserted == EVENTS - 1
    assert events(bulk) == events(recorded)
    assert read_models(bulk) == read_models(recorded)
    assert sorted(Release.objects.values_list("version", "first_event", "last_event")) == (
        releases_after_record_event
    )
    assert Event.objects.get(issue=bulk, event_id=setup_data.event_id("bulk", 7)).data == (
        payload(7, "bulk")
    )


def test_the_documents_it_builds(api_client):
    data = setup_data.build(events=EVENTS, filler=20, vacuum=False)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {data.token}")

    def get(path):
        response = api_client.get(path)
        assert response.status_code == 200, response.content
        return response.json()

    document = get(f"/api/0/issues/{data.document}/")
    assert (len(document["activity"]), len(document["seenBy"]), len(document["participants"])) == (
        100,
        200,
        50,
    )
    volume, single = get(f"/api/0/issues/{data.volume}/"), get(f"/api/0/issues/{data.single}/")
    assert (volume["count"], single["count"]) == (str(EVENTS), "1")
    for issue in (volume, single):
        # 10 notes and the first_seen entry.
        assert (len(issue["activity"]), len(issue["seenBy"]), len(issue["participants"])) == (
            11,
            10,
            5,
        )
        assert issue["firstRelease"] is not None and issue["lastRelease"] is not None
    assert [tag["key"] for tag in volume["tags"]] == [tag["key"] for tag in single["tags"]]
    assert len(volume["tags"]) == len(setup_data.VOLUME_TAGS_SQL)

    issues = get(f"/api/0/projects/{data.organization}/{data.project}/issues/?limit=25")
    assert len(issues) == 25
    assert all(len(issue["stats"]["24h"]) == 25 for issue in issues)
    assert get(f"/api/0/organizations/{data.organization}/issues/{data.reference_short_id}/")[
        "id"
    ] == str(data.reference)
    assert data.volume_events == EVENTS
    assert Activity.objects.filter(issue_id=data.write).count() == 0
    assert IssueSeen.objects.filter(issue_id=data.document).count() == 200
    assert Subscription.objects.filter(issue_id=data.document).count() == 50


def test_the_bulk_load_leaves_the_partitioned_events_table_as_the_migrations_made_it(
    project, monkeypatch
):
    """Its indexes and constraints dropped and made again: on every partition, the events
    in partitions of their weeks (not the default one)."""

    def shape():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, count(x.indexrelid) FILTER (WHERE x.indisvalid),"
                " (SELECT count(*) FROM pg_constraint WHERE conrelid = c.oid)"
                " FROM pg_class c LEFT JOIN pg_index x ON x.indrelid = c.oid"
                " WHERE c.relname = 'issues_event' OR c.oid IN (SELECT inhrelid FROM"
                " pg_inherits WHERE inhparent = 'issues_event'::regclass) GROUP BY c.oid, c.relname"
            )
            return {name: rest for name, *rest in cursor.fetchall()}

    start = timezone.now() - setup_data.VOLUME_SPAN
    bulk = record_event(
        project=project,
        payload=setup_data.volume_payload(0, total=EVENTS, start=start, fingerprint="bulk"),
    ).issue
    before = shape()
    monkeypatch.setattr(setup_data, "BULK_LOAD_THRESHOLD", 1)

    setup_data.bulk_insert_volume_events(
        bulk, fingerprint="bulk", first=1, total=EVENTS, start=start
    )

    after = shape()
    assert {name: after[name] for name in before} == before
    assert len({tuple(value) for name, value in after.items() if name != "issues_event"}) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM issues_event_default")
        assert cursor.fetchone() == (0,)
    assert Event.objects.filter(issue=bulk).count() == EVENTS

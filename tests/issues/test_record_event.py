"""record_event: grouping, counters and read models, called directly as a service."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from issues.models import (
    Environment,
    Event,
    Issue,
    IssueDailyCount,
    IssueDailyTotal,
    IssueEnvironment,
    IssueHash,
    IssueHourlyCount,
    IssueHourlyTotal,
    IssueLevel,
    IssueTagKey,
    IssueTagValue,
    IssueUser,
)
from issues.services import record_event
from releases.models import Release, ReleaseProject
from tests.factories import EventPayloadFactory, ProjectFactory, make_event
from tests.issues.payloads import (
    BAD_EVENT_IDS,
    BAD_TIMESTAMPS,
    MALFORMED_INTERFACES,
    OUT_OF_RANGE_TIMESTAMPS,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 6, 12, 30, 15, 123456, tzinfo=UTC)


def at(moment: datetime) -> str:
    return moment.isoformat()


def env_stats(issue, name) -> IssueEnvironment:
    return IssueEnvironment.objects.get(issue=issue, environment__name=name)


def tag_key_counts(issue) -> dict[tuple[str, str], int]:
    return {
        (row.environment.name, row.key): row.times_seen
        for row in IssueTagKey.objects.filter(issue=issue).select_related("environment")
    }


def tag_value_counts(issue) -> dict[tuple[str, str, str], int]:
    return {
        (row.environment.name, row.key, row.value): row.times_seen
        for row in IssueTagValue.objects.filter(issue=issue).select_related("environment")
    }


# Grouping


def test_same_message_goes_to_the_same_issue_and_counts(project):
    first = make_event(project, message="Boom", timestamp=at(T0))
    second = make_event(project, message="Boom", timestamp=at(T0 + timedelta(minutes=1)))

    assert first.issue_id == second.issue_id
    issue = Issue.objects.get(pk=first.issue_id)
    assert issue.times_seen == 2
    assert Event.objects.filter(issue=issue).count() == 2
    assert IssueHash.objects.filter(issue=issue).count() == 1
    assert env_stats(issue, "production").times_seen == 2


def test_times_seen_counts_every_event(project):
    events = [make_event(project, message="Boom") for _ in range(5)]

    issue = Issue.objects.get(pk=events[0].issue_id)
    assert {event.issue_id for event in events} == {issue.pk}
    assert issue.times_seen == 5


def test_different_message_creates_a_new_issue_with_the_next_short_id(project):
    first = make_event(project, message="First failure").issue
    second = make_event(project, message="Second failure").issue
    third = make_event(project, message="Third failure").issue
    again = make_event(project, message="Second failure").issue

    assert len({first.pk, second.pk, third.pk}) == 3
    assert (first.short_id, second.short_id, third.short_id) == (1, 2, 3)
    assert again.pk == second.pk
    project.refresh_from_db()
    assert project.last_short_id == 3
    assert Issue.objects.get(pk=second.pk).times_seen == 2


def test_short_ids_are_counted_per_project(project, organization):
    other = ProjectFactory(organization=organization)

    a1 = make_event(project, message="A").issue
    b1 = make_event(other, message="A").issue
    a2 = make_event(project, message="B").issue
    b2 = make_event(other, message="B").issue

    assert a1.pk != b1.pk
    assert (a1.short_id, a2.short_id) == (1, 2)
    assert (b1.short_id, b2.short_id) == (1, 2)
    assert a1.qualified_short_id == f"{project.slug.upper()}-1"
    assert b2.qualified_short_id == f"{other.slug.upper()}-2"


def test_same_message_in_another_project_is_another_issue(project, organization):
    other = ProjectFactory(organization=organization)

    here = make_event(project, message="Boom").issue
    there = make_event(other, message="Boom").issue

    assert here.pk != there.pk
    assert here.project_id == project.pk
    assert there.project_id == other.pk


def test_fingerprint_groups_differently_messaged_events_together(project):
    first = make_event(project, message="Timeout after 3s", fingerprint=["timeouts"])
    second = make_event(project, message="Timeout after 9s", fingerprint=["timeouts"])
    unfingerprinted = make_event(project, message="Timeout after 9s")

    assert first.issue_id == second.issue_id
    assert unfingerprinted.issue_id != first.issue_id
    assert Issue.objects.get(pk=first.issue_id).times_seen == 2


def test_fingerprint_with_default_keeps_messages_apart(project):
    first = make_event(project, message="A", fingerprint=["{{ default }}", "db"])
    second = make_event(project, message="B", fingerprint=["{{ default }}", "db"])

    assert first.issue_id != second.issue_id


# Duplicate events


def test_duplicate_event_id_is_not_counted_twice(project):
    event_id = uuid.uuid4().hex
    first = make_event(project, event_id=event_id, timestamp=at(T0), user={"id": "1"})
    second = make_event(
        project, event_id=event_id, timestamp=at(T0 + timedelta(hours=2)), user={"id": "2"}
    )

    assert second.pk == first.pk
    issue = Issue.objects.get(pk=first.issue_id)
    assert issue.times_seen == 1
    assert issue.user_count == 1
    assert issue.last_seen == T0.replace(microsecond=0)
    assert Event.objects.filter(project=project).count() == 1
    assert env_stats(issue, "production").times_seen == 1
    assert sum(IssueHourlyCount.objects.filter(issue=issue).values_list("count", flat=True)) == 1
    assert set(tag_key_counts(issue).values()) == {1}


def test_duplicate_event_id_in_another_notation_is_not_counted_twice(project):
    event_id = uuid.uuid4()
    make_event(project, event_id=event_id.hex)
    duplicate = make_event(project, event_id=str(event_id).upper())

    assert Event.objects.filter(project=project).count() == 1
    assert Issue.objects.get(pk=duplicate.issue_id).times_seen == 1


def test_same_event_id_in_another_project_is_a_separate_event(project, organization):
    other = ProjectFactory(organization=organization)
    event_id = uuid.uuid4().hex

    make_event(project, event_id=event_id)
    make_event(other, event_id=event_id)

    assert Event.objects.filter(event_id=event_id).count() == 2


# first_seen / last_seen


def test_first_seen_keeps_microseconds_and_last_seen_is_second_precision(project):
    issue = make_event(project, timestamp=at(T0)).issue

    issue.refresh_from_db()
    assert issue.first_seen == T0
    assert issue.last_seen == T0.replace(microsecond=0)
    stats = env_stats(issue, "production")
    assert stats.first_seen == T0
    assert stats.last_seen == T0.replace(microsecond=0)


def test_first_seen_is_the_min_and_last_seen_the_max_when_an_old_event_arrives_late(project):
    newer = T0 + timedelta(hours=1, microseconds=530_000)
    older = T0 - timedelta(minutes=30, microseconds=100_000)

    make_event(project, timestamp=at(T0), level="error")
    make_event(project, timestamp=at(newer), level="error")
    issue = make_event(project, timestamp=at(older), level="warning").issue

    issue.refresh_from_db()
    assert issue.times_seen == 3
    assert issue.first_seen == older
    assert issue.first_seen.microsecond == older.microsecond
    assert issue.last_seen == newer.replace(microsecond=0)
    # The late, older event does not describe the issue.
    assert issue.level == IssueLevel.ERROR
    stats = env_stats(issue, "production")
    assert stats.first_seen == older
    assert stats.last_seen == newer.replace(microsecond=0)


def test_newest_event_describes_the_issue(project):
    make_event(project, timestamp=at(T0), fingerprint=["g"], level="warning", culprit="old")
    issue = make_event(
        project,
        timestamp=at(T0 + timedelta(seconds=5)),
        fingerprint=["g"],
        level="fatal",
        culprit="new",
        message="Newer title",
    ).issue

    issue.refresh_from_db()
    assert issue.level == IssueLevel.FATAL
    assert issue.culprit == "new"
    assert issue.metadata == {"title": "Newer title"}


def test_timestamp_as_unix_number_is_accepted(project):
    moment = T0.replace(microsecond=500_000)

    event = make_event(project, timestamp=moment.timestamp())

    event.refresh_from_db()
    assert event.datetime == moment


# Users


def test_user_count_counts_distinct_users_across_environments(project):
    make_event(project, user={"id": "alice"}, environment="production")
    make_event(project, user={"id": "alice"}, environment="staging")
    make_event(project, user={"id": "alice"}, environment="production")
    make_event(project, user={"id": "bob"}, environment="production")
    issue = make_event(project, user=None, environment="staging").issue

    issue.refresh_from_db()
    assert issue.times_seen == 5
    assert issue.user_count == 2
    assert env_stats(issue, "production").user_count == 2
    assert env_stats(issue, "staging").user_count == 1
    assert env_stats(issue, "production").times_seen == 3
    assert env_stats(issue, "staging").times_seen == 2
    assert sorted(
        IssueUser.objects.filter(issue=issue).values_list("environment__name", "user_key")
    ) == [("production", "id:alice"), ("production", "id:bob"), ("staging", "id:alice")]


@pytest.mark.parametrize(
    ("user", "key"),
    [
        ({"id": 7, "username": "u", "email": "e@example.com", "ip_address": "10.0.0.1"}, "id:7"),
        ({"username": "u", "email": "e@example.com", "ip_address": "10.0.0.1"}, "username:u"),
        ({"email": "e@example.com", "ip_address": "10.0.0.1"}, "email:e@example.com"),
        ({"ip_address": "10.0.0.1"}, "ip:10.0.0.1"),
        ({}, None),
        (None, None),
    ],
)
def test_user_key_is_the_first_of_id_username_email_ip(project, user, key):
    event = make_event(project, user=user)

    assert event.user_key == key
    assert dict(map(tuple, event.tags)).get("sentry:user") == key
    assert Issue.objects.get(pk=event.issue_id).user_count == (1 if key else 0)


# Tags


def test_tag_keys_and_values_are_counted_per_environment(project):
    make_event(project, environment="production", tags={"server_name": "web01"}, user=None)
    make_event(project, environment="production", tags={"server_name": "web02"}, user=None)
    make_event(project, environment="production", tags={"server_name": "web01"}, user=None)
    issue = make_event(project, environment="staging", tags={"server_name": "web01"}).issue

    keys = tag_key_counts(issue)
    values = tag_value_counts(issue)
    assert keys[("production", "server_name")] == 3
    assert keys[("staging", "server_name")] == 1
    assert keys[("production", "level")] == 3
    assert keys[("production", "environment")] == 3
    assert keys[("staging", "sentry:user")] == 1
    assert ("production", "sentry:user") not in keys
    assert values[("production", "server_name", "web01")] == 2
    assert values[("production", "server_name", "web02")] == 1
    assert values[("staging", "server_name", "web01")] == 1
    assert values[("production", "level", "error")] == 3


def test_tag_value_first_and_last_seen_are_second_precision_min_and_max(project):
    later = T0 + timedelta(minutes=10, microseconds=1)
    earlier = T0 - timedelta(minutes=10)
    make_event(project, timestamp=at(T0), tags={"server_name": "web01"})
    make_event(project, timestamp=at(later), tags={"server_name": "web01"})
    issue = make_event(project, timestamp=at(earlier), tags={"server_name": "web01"}).issue

    row = IssueTagValue.objects.get(issue=issue, key="server_name", value="web01")
    assert row.times_seen == 3
    assert row.first_seen == earlier.replace(microsecond=0)
    assert row.last_seen == later.replace(microsecond=0)


def test_derived_tags_are_added(project):
    event = make_event(
        project,
        level="warning",
        environment="production",
        release="1.2.3",
        user={"id": "42"},
        server_name="web07",
        request={"url": "http://example.com/foo", "method": "GET"},
        contexts={
            "browser": {"name": "Chrome", "version": "28.0.1500"},
            "client_os": {"name": "Windows", "version": "8"},
            "runtime": {"name": "CPython"},
        },
        tags={"custom": "yes"},
    )

    expected = {
        "level": "warning",
        "environment": "production",
        "sentry:release": "1.2.3",
        "sentry:user": "id:42",
        "url": "http://example.com/foo",
        "server_name": "web07",
        "browser": "Chrome 28.0.1500",
        "browser.name": "Chrome",
        "client_os": "Windows 8",
        "client_os.name": "Windows",
        "runtime": "CPython",
        "runtime.name": "CPython",
        "custom": "yes",
    }
    assert dict(map(tuple, event.tags)) == expected
    assert [key for key, _ in event.tags] == sorted(expected)
    keys = tag_key_counts(event.issue)
    assert {key for _, key in keys} == set(expected)
    values = tag_value_counts(event.issue)
    assert {(key, value) for (_, key, value) in values} == set(expected.items())


def test_explicit_tags_win_over_derived_context_tags(project):
    event = make_event(
        project,
        server_name="from-payload",
        request={"url": "http://example.com/derived"},
        tags={"server_name": "from-tags", "url": "http://example.com/tag"},
    )

    tags = dict(map(tuple, event.tags))
    assert tags["server_name"] == "from-tags"
    assert tags["url"] == "http://example.com/tag"


def test_event_without_environment_has_no_environment_tag(project):
    event = make_event(project, environment=None)

    assert "environment" not in dict(map(tuple, event.tags))
    assert event.environment.name == ""
    assert env_stats(event.issue, "").times_seen == 1


def test_environments_are_created_once_per_organization(project, organization):
    other = ProjectFactory(organization=organization)

    make_event(project, environment="production")
    make_event(other, environment="production", message="other")
    make_event(project, environment="staging")

    assert sorted(
        Environment.objects.filter(organization=organization).values_list("name", flat=True)
    ) == ["production", "staging"]


# Hourly counts


def test_hourly_counts_are_bucketed_per_utc_hour_and_environment(project):
    hour = T0.replace(minute=0, second=0, microsecond=0)
    make_event(project, timestamp=at(hour))
    make_event(project, timestamp=at(hour + timedelta(minutes=59, seconds=59)))
    make_event(project, timestamp=at(hour + timedelta(hours=1)))
    make_event(project, timestamp=at(hour), environment="staging")
    issue = make_event(project, timestamp=at(T0)).issue

    counts = {
        (row.environment.name, row.hour): row.count
        for row in IssueHourlyCount.objects.filter(issue=issue).select_related("environment")
    }
    assert counts == {
        ("production", hour): 3,
        ("production", hour + timedelta(hours=1)): 1,
        ("staging", hour): 1,
    }


def test_totals_count_every_environment_once_per_hour_and_day(project):
    """The totals (IssueHourlyTotal, IssueDailyTotal) hold one row a bucket, the sum of the
    per-environment rows of that bucket."""
    hour = T0.replace(minute=0, second=0, microsecond=0)
    make_event(project, timestamp=at(hour))
    make_event(project, timestamp=at(hour), environment="staging")
    make_event(project, timestamp=at(hour + timedelta(minutes=30)), environment="dev")
    make_event(project, timestamp=at(hour + timedelta(hours=1)), environment="staging")
    issue = make_event(project, timestamp=at(hour + timedelta(days=1))).issue

    hours = dict(IssueHourlyTotal.objects.filter(issue=issue).values_list("hour", "count"))
    assert hours == {hour: 3, hour + timedelta(hours=1): 1, hour + timedelta(days=1): 1}
    day = hour.replace(hour=0)
    days = dict(IssueDailyTotal.objects.filter(issue=issue).values_list("day", "count"))
    assert days == {day: 4, day + timedelta(days=1): 1}  # T0 is at 12:30
    for model, per_environment in (
        (IssueHourlyTotal, IssueHourlyCount),
        (IssueDailyTotal, IssueDailyCount),
    ):
        assert sum(model.objects.values_list("count", flat=True)) == sum(
            per_environment.objects.values_list("count", flat=True)
        )


def test_hourly_count_uses_utc_for_offset_timestamps(project):
    issue = make_event(project, timestamp="2024-05-06T14:30:00+02:00").issue

    row = IssueHourlyCount.objects.get(issue=issue)
    assert row.hour == datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


# Releases


def test_release_is_created_with_its_project(project):
    event = make_event(project, release="2.0.0", timestamp=at(T0))

    release = Release.objects.get(organization=project.organization, version="2.0.0")
    assert event.release_id == release.pk
    assert ReleaseProject.objects.filter(release=release, project=project).count() == 1
    issue = Issue.objects.get(pk=event.issue_id)
    assert issue.first_release_id == release.pk
    assert issue.last_release_id == release.pk
    assert env_stats(issue, "production").first_release_id == release.pk


def test_release_first_and_last_event_are_second_precision_min_and_max(project):
    newer = T0 + timedelta(hours=2, microseconds=999_999)
    older = T0 - timedelta(days=1, microseconds=1)
    make_event(project, release="2.0.0", timestamp=at(T0))
    make_event(project, release="2.0.0", timestamp=at(newer))
    make_event(project, release="2.0.0", timestamp=at(older))

    release = Release.objects.get(version="2.0.0")
    assert release.first_event == older.replace(microsecond=0)
    assert release.last_event == newer.replace(microsecond=0)


def test_release_new_groups_counts_each_new_issue_once(project):
    make_event(project, release="2.0.0", message="A")
    make_event(project, release="2.0.0", message="A")
    make_event(project, release="2.0.0", message="A")
    make_event(project, release="2.0.0", message="B")
    make_event(project, message="C")

    release_project = ReleaseProject.objects.get(release__version="2.0.0", project=project)
    assert release_project.new_groups == 2


def test_release_new_groups_is_not_counted_for_an_existing_issue_in_a_new_release(project):
    make_event(project, release="1.0.0", message="A", timestamp=at(T0))
    issue = make_event(
        project, release="1.1.0", message="A", timestamp=at(T0 + timedelta(minutes=1))
    ).issue

    issue.refresh_from_db()
    assert ReleaseProject.objects.get(release__version="1.0.0").new_groups == 1
    assert ReleaseProject.objects.get(release__version="1.1.0").new_groups == 0
    assert issue.first_release.version == "1.0.0"
    assert issue.last_release.version == "1.1.0"


def test_release_is_shared_by_projects_of_the_organization(project, organization):
    other = ProjectFactory(organization=organization)

    make_event(project, release="3.0.0", message="A")
    make_event(other, release="3.0.0", message="A")

    release = Release.objects.get(organization=organization, version="3.0.0")
    assert sorted(
        ReleaseProject.objects.filter(release=release).values_list("project_id", "new_groups")
    ) == sorted([(project.pk, 1), (other.pk, 1)])


def test_release_of_maximum_length_is_recorded(project):
    version = "v" * 250

    event = make_event(project, release=version)

    assert Release.objects.get(organization=project.organization, version=version)
    assert event.release.version == version
    assert Issue.objects.get(pk=event.issue_id).first_release_id == event.release_id
    # Tag values hold at most 200 characters (varchar(200), enforced by PostgreSQL).
    tag = IssueTagValue.objects.get(issue_id=event.issue_id, key="sentry:release")
    assert version.startswith(tag.value)
    assert len(tag.value) <= 200


def test_event_without_release_creates_no_release(project):
    issue = make_event(project).issue

    assert not Release.objects.exists()
    assert issue.first_release_id is None


# Exceptions


EXCEPTION = {
    "values": [
        {
            "type": "KeyError",
            "value": "'inner'",
            "stacktrace": {"frames": [{"filename": "x.py", "function": "f", "in_app": True}]},
        },
        {
            "type": "ValueError",
            "value": "bad input",
            "mechanism": {"type": "generic", "handled": True},
            "stacktrace": {
                "frames": [
                    {"filename": "lib/a.py", "function": "outer", "module": "lib.a"},
                    {
                        "filename": "myapp/handlers.py",
                        "function": "handle",
                        "module": "myapp.handlers",
                        "in_app": True,
                    },
                    {
                        "filename": "lib/b.py",
                        "function": "inner",
                        "module": "lib.b",
                        "in_app": False,
                    },
                ]
            },
        },
    ]
}


def test_exception_event_is_an_error_with_metadata_title_and_culprit(project):
    event = make_event(project, message="", culprit=None, exception=EXCEPTION)

    issue = Issue.objects.get(pk=event.issue_id)
    assert issue.type == "error"
    assert issue.metadata == {
        "type": "ValueError",
        "value": "bad input",
        "filename": "myapp/handlers.py",
        "function": "handle",
    }
    assert issue.title == "ValueError: bad input"
    assert issue.culprit == "myapp.handlers in handle"
    assert issue.is_unhandled is False


def test_exception_as_a_list_of_values_is_accepted(project):
    event = make_event(project, culprit=None, exception=EXCEPTION["values"])

    issue = Issue.objects.get(pk=event.issue_id)
    assert issue.type == "error"
    assert issue.title == "ValueError: bad input"


def test_exception_culprit_from_payload_wins(project):
    event = make_event(project, culprit="explicit.module in view", exception=EXCEPTION)

    assert Issue.objects.get(pk=event.issue_id).culprit == "explicit.module in view"


def test_exception_without_in_app_frames_uses_the_last_frame(project):
    exception = {
        "values": [
            {
                "type": "OSError",
                "value": "disk full",
                "stacktrace": {
                    "frames": [
                        {"filename": "a.py", "function": "first"},
                        {"filename": "b.py", "function": "last"},
                    ]
                },
            }
        ]
    }

    issue = make_event(project, culprit=None, exception=exception).issue

    assert issue.metadata == {
        "type": "OSError",
        "value": "disk full",
        "filename": "b.py",
        "function": "last",
    }
    assert issue.culprit == "b.py in last"


def test_unhandled_exception_marks_the_issue_unhandled(project):
    exception = {"values": [{"type": "RuntimeError", "mechanism": {"handled": False}}]}

    issue = make_event(project, exception=exception).issue

    assert issue.is_unhandled is True
    assert issue.title == "RuntimeError"


def test_message_event_is_default_type_titled_by_its_first_line(project):
    issue = make_event(project, message="First line\nsecond line").issue

    assert issue.type == "default"
    assert issue.metadata == {"title": "First line"}
    assert issue.title == "First line"


# Invalid payloads


def _row_counts(project):
    project.refresh_from_db()
    return {
        "events": Event.objects.count(),
        "issues": Issue.objects.count(),
        "hashes": IssueHash.objects.count(),
        "environments": Environment.objects.count(),
        "releases": Release.objects.count(),
        "release_projects": ReleaseProject.objects.count(),
        "environment_stats": IssueEnvironment.objects.count(),
        "users": IssueUser.objects.count(),
        "hourly": IssueHourlyCount.objects.count(),
        "hourly_totals": IssueHourlyTotal.objects.count(),
        "daily_totals": IssueDailyTotal.objects.count(),
        "tag_keys": IssueTagKey.objects.count(),
        "tag_values": IssueTagValue.objects.count(),
        "last_short_id": project.last_short_id,
    }


@pytest.mark.parametrize("payload", [None, [], "event", 42, [("message", "x")]])
def test_non_dict_payload_raises_value_error_and_writes_nothing(project, payload):
    make_event(project)
    before = _row_counts(project)

    with pytest.raises(ValueError):
        record_event(project=project, payload=payload)

    assert _row_counts(project) == before


# Fields record_event refuses, each beside a new release, environment and message, so that a
# write it began would show in the counts.
MALFORMED_FIELDS = [
    *(pytest.param({"event_id": value}, id=f"event_id={value!r}") for value in BAD_EVENT_IDS),
    *(
        pytest.param({"timestamp": value}, id=f"timestamp={value!r}")
        for value in BAD_TIMESTAMPS + OUT_OF_RANGE_TIMESTAMPS
    ),
    *(pytest.param(fields, id=label) for label, fields in MALFORMED_INTERFACES.items()),
]


@pytest.mark.parametrize("fields", MALFORMED_FIELDS)
def test_malformed_payload_raises_value_error_and_writes_nothing(project, fields):
    make_event(project)
    before = _row_counts(project)
    payload = {"release": "9.9.9", "environment": "new", "message": "new", **fields}

    with pytest.raises(ValueError):
        record_event(project=project, payload=EventPayloadFactory(**payload))

    assert _row_counts(project) == before

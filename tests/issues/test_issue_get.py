"""GET /api/0/issues/{id}/: every value computed from the data, as docs/behaviour.md §2 says."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from issues.models import (
    Activity,
    ActivityType,
    Assignee,
    Bookmark,
    IssueSeen,
    IssueStatus,
    Resolution,
    Share,
    Snooze,
    Subscription,
    SubscriptionReason,
    UserReport,
)
from tests.conftest import new_member
from tests.factories import ReleaseFactory, TeamFactory, UserFactory, make_event, make_issue
from tests.helpers import DATETIME, NOT_FOUND, assert_error, client_for, issue_url

pytestmark = pytest.mark.django_db


def get(api, issue, **params):
    response = api.get(issue_url(issue), params)
    assert response.status_code == 200, response.content
    return response.json()


def hours_ago(hours, minutes=0):
    return timezone.now() - timedelta(hours=hours, minutes=minutes)


def test_count_and_user_count_come_from_the_events(api, project):
    for user_id in ("1", "2", "2"):
        issue = make_issue(project, user={"id": user_id})
    document = get(api, issue)
    assert document["count"] == "3"
    assert document["userCount"] == 2


def test_first_seen_keeps_microseconds_and_last_seen_has_second_precision(api, project):
    first = datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC)
    last = datetime(2026, 11, 21, 11, 30, 15, 987654, tzinfo=UTC)
    make_event(project, timestamp=first.isoformat())
    issue = make_issue(project, timestamp=last.isoformat())
    document = get(api, issue)
    assert document["firstSeen"] == "2026-11-20T10:00:00.123456Z"
    assert document["lastSeen"] == "2026-11-21T11:30:15Z"


def test_every_datetime_is_utc_with_a_trailing_z(api, project, user):
    issue = make_issue(project)
    Activity.objects.create(
        project=project, issue=issue, type=ActivityType.NOTE, user=user, data={"text": "hi"}
    )
    IssueSeen.objects.create(issue=issue, user=user)
    document = get(api, issue)
    values = [document["firstSeen"], document["lastSeen"]]
    values += [item["dateCreated"] for item in document["activity"]]
    values += [document["seenBy"][0]["lastSeen"], document["seenBy"][0]["dateJoined"]]
    for value in values:
        assert DATETIME.match(value), value


def test_short_id_is_the_project_slug_and_base32_counter(api, project):
    for number in range(1, 34):
        issue = make_issue(project, message=f"distinct problem {number}", fingerprint=[str(number)])
    document = get(api, issue)
    assert document["shortId"] == f"{project.slug.upper()}-11"  # 33 in Crockford base32
    first = project.issues.get(short_id=1)
    assert get(api, first)["shortId"] == f"{project.slug.upper()}-1"
    tenth = project.issues.get(short_id=32)
    assert get(api, tenth)["shortId"] == f"{project.slug.upper()}-10"


def test_permalink_uses_the_configured_url_prefix(api, issue, settings):
    settings.ISSUES_API_URL_PREFIX = "https://errors.example.org"
    document = get(api, issue)
    slug = issue.project.organization.slug
    assert document["permalink"] == (
        f"https://errors.example.org/organizations/{slug}/issues/{issue.pk}/"
    )


def test_permalink_defaults_to_the_request_host(api, issue, settings):
    settings.ISSUES_API_URL_PREFIX = ""
    document = get(api, issue)
    assert document["permalink"].startswith("http://testserver/organizations/")


def test_error_events_give_error_type_metadata_and_title(api, project):
    issue = make_issue(
        project,
        message="",
        culprit=None,
        exception={
            "values": [
                {
                    "type": "ZeroDivisionError",
                    "value": "division by zero",
                    "mechanism": {"type": "generic", "handled": False},
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "app/views.py",
                                "module": "app.views",
                                "function": "divide",
                                "in_app": True,
                            }
                        ]
                    },
                }
            ]
        },
    )
    document = get(api, issue)
    assert document["type"] == "error"
    assert document["title"] == "ZeroDivisionError: division by zero"
    assert document["metadata"] == {
        "type": "ZeroDivisionError",
        "value": "division by zero",
        "filename": "app/views.py",
        "function": "divide",
    }
    assert document["culprit"] == "app.views in divide"
    assert document["isUnhandled"] is True


def test_level_logger_and_platform(api, project):
    issue = make_issue(project, level="warning", logger="django.request", platform="python")
    document = get(api, issue)
    assert document["level"] == "warning"
    assert document["logger"] == "django.request"
    assert document["platform"] == "python"
    assert document["priority"] == "medium"
    assert document["substatus"] == "new"


def test_activity_is_newest_first_with_first_seen_last(api, project, user):
    issue = make_issue(project)
    older = Activity.objects.create(
        project=project,
        issue=issue,
        type=ActivityType.SET_RESOLVED,
        user=user,
        datetime=timezone.now() - timedelta(minutes=2),
    )
    newer = Activity.objects.create(
        project=project,
        issue=issue,
        type=ActivityType.ASSIGNED,
        user=user,
        data={"assignee": str(user.pk), "assigneeEmail": user.email, "assigneeType": "user"},
    )
    activity = get(api, issue)["activity"]
    assert [item["id"] for item in activity] == [str(newer.pk), str(older.pk), "0"]
    assert activity[0]["type"] == "assigned"
    assert activity[0]["data"]["assignee"] == str(user.pk)
    assert activity[0]["user"]["email"] == user.email
    assert activity[-1] == {
        "id": "0",
        "user": None,
        "type": "first_seen",
        "data": {},
        "dateCreated": get(api, issue)["firstSeen"],
    }


def test_activity_drops_repeated_rows_but_keeps_every_note(api, project, user):
    issue = make_issue(project)
    for minutes in (3, 2, 1):
        Activity.objects.create(
            project=project,
            issue=issue,
            type=ActivityType.SET_RESOLVED,
            user=user,
            datetime=timezone.now() - timedelta(minutes=minutes),
        )
        Activity.objects.create(
            project=project,
            issue=issue,
            type=ActivityType.NOTE,
            user=user,
            data={"text": f"note {minutes}", "mentions": ["x"]},
            datetime=timezone.now() - timedelta(minutes=minutes),
        )
    activity = get(api, issue)["activity"]
    types = [item["type"] for item in activity]
    assert types.count("set_resolved") == 1
    assert types.count("note") == 3
    assert all("mentions" not in item["data"] for item in activity)


def test_activity_stops_at_100_and_then_hides_first_seen(api, project, user):
    issue = make_issue(project)
    Activity.objects.bulk_create(
        Activity(
            project=project,
            issue=issue,
            type=ActivityType.NOTE,
            user=user,
            data={"text": str(number)},
            datetime=timezone.now() - timedelta(seconds=number),
        )
        for number in range(150)
    )
    activity = get(api, issue)["activity"]
    assert len(activity) == 100
    assert "first_seen" not in [item["type"] for item in activity]


def test_seen_by_lists_full_users_with_last_seen_newest_first(api, project, user):
    issue = make_issue(project)
    other = UserFactory()
    IssueSeen.objects.create(issue=issue, user=other, last_seen=timezone.now() - timedelta(1))
    IssueSeen.objects.create(issue=issue, user=user, last_seen=timezone.now())
    seen_by = get(api, issue)["seenBy"]
    assert [item["id"] for item in seen_by] == [str(user.pk), str(other.pk)]
    assert seen_by[1]["email"] == other.email
    assert seen_by[1]["emails"] == [
        {"id": str(other.emails.get().pk), "email": other.email, "is_verified": True}
    ]
    assert "lastSeen" in seen_by[1]


def test_only_the_requesters_own_user_object_has_identities_options_and_flags(api, project, user):
    issue = make_issue(project)
    other = UserFactory()
    IssueSeen.objects.create(issue=issue, user=user)
    IssueSeen.objects.create(issue=issue, user=other)
    by_id = {item["id"]: item for item in get(api, issue)["seenBy"]}
    own, theirs = by_id[str(user.pk)], by_id[str(other.pk)]
    assert own["identities"] == []
    assert own["options"] == {
        "language": "en",
        "stacktraceOrder": -1,
        "timezone": "UTC",
        "clock24Hours": False,
    }
    assert own["flags"] == {"newsletter_consent_prompt": False}
    for key in ("identities", "options", "flags"):
        assert key not in theirs


def test_participants_are_users_with_an_active_subscription(api, project, user):
    issue = make_issue(project)
    subscribed, unsubscribed = UserFactory(), UserFactory()
    Subscription.objects.create(issue=issue, user=subscribed, is_active=True)
    Subscription.objects.create(issue=issue, user=unsubscribed, is_active=False)
    participants = get(api, issue)["participants"]
    assert [item["email"] for item in participants] == [subscribed.email]
    assert participants[0]["avatar"] == {"avatarType": "letter_avatar", "avatarUuid": None}


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        (SubscriptionReason.COMMENT, "commented"),
        (SubscriptionReason.ASSIGNED, "assigned"),
        (SubscriptionReason.BOOKMARK, "bookmarked"),
        (SubscriptionReason.STATUS_CHANGE, "changed_status"),
        (SubscriptionReason.MENTIONED, "mentioned"),
        (SubscriptionReason.UNKNOWN, "unknown"),
    ],
)
def test_subscription_details_give_the_reason(api, issue, user, reason, label):
    Subscription.objects.create(issue=issue, user=user, is_active=True, reason=reason)
    document = get(api, issue)
    assert document["isSubscribed"] is True
    assert document["subscriptionDetails"] == {"reason": label}


def test_subscription_follows_the_users_notification_option(api, issue, user):
    document = get(api, issue)
    assert (document["isSubscribed"], document["subscriptionDetails"]) == (False, None)
    user.workflow_notifications = "all_conversations"
    user.save()
    document = get(api, issue)
    assert (document["isSubscribed"], document["subscriptionDetails"]) == (True, None)
    user.workflow_notifications = "no_conversations"
    user.save()
    Subscription.objects.create(issue=issue, user=user, is_active=True)
    document = get(api, issue)
    assert (document["isSubscribed"], document["subscriptionDetails"]) == (
        False,
        {"disabled": True},
    )


def test_bookmark_share_and_has_seen_are_the_requesters(api, issue, user):
    document = get(api, issue)
    assert (document["isBookmarked"], document["isPublic"], document["shareId"]) == (
        False,
        False,
        None,
    )
    assert document["hasSeen"] is False
    Bookmark.objects.create(issue=issue, user=user)
    Bookmark.objects.create(issue=issue, user=UserFactory())
    Share.objects.create(issue=issue, uuid="a" * 32)
    IssueSeen.objects.create(issue=issue, user=user, last_seen=timezone.now())
    document = get(api, issue)
    assert document["isBookmarked"] is True
    assert document["isPublic"] is True
    assert document["shareId"] == "a" * 32
    assert document["hasSeen"] is True


def test_assigned_to_a_user_or_a_team(api, issue, user, organization):
    assignee = Assignee.objects.create(issue=issue, user=user)
    assert get(api, issue)["assignedTo"] == {
        "type": "user",
        "id": str(user.pk),
        "name": user.name,
        "email": user.email,
    }
    team = TeamFactory(organization=organization)
    assignee.user, assignee.team = None, team
    assignee.save()
    assert get(api, issue)["assignedTo"] == {"type": "team", "id": str(team.pk), "name": team.slug}


def test_ignored_issue_shows_its_snooze(api, issue, user):
    until = timezone.now() + timedelta(minutes=30)
    issue.status = IssueStatus.IGNORED
    issue.save()
    Snooze.objects.create(issue=issue, until=until, actor=user)
    document = get(api, issue)
    assert document["status"] == "ignored"
    assert document["statusDetails"]["ignoreUntil"] == until.isoformat().replace("+00:00", "Z")
    assert document["statusDetails"]["actor"]["id"] == str(user.pk)


def test_ignored_issue_with_count_snooze_shows_remaining_count(api, project):
    issue = make_issue(project)
    issue.status = IssueStatus.IGNORED
    issue.save()
    Snooze.objects.create(issue=issue, count=10, state={"times_seen": 1})
    make_event(project)  # now 2 events, 1 after snoozing
    document = get(api, issue)
    assert document["statusDetails"]["ignoreCount"] == 9
    assert document["statusDetails"]["actor"] is None


def test_expired_snooze_reads_as_unresolved(api, issue):
    issue.status = IssueStatus.IGNORED
    issue.save()
    Snooze.objects.create(issue=issue, until=timezone.now() - timedelta(minutes=1))
    document = get(api, issue)
    assert document["status"] == "unresolved"
    assert document["statusDetails"] == {}


def test_resolved_issue_shows_its_release_resolution(api, issue, user, organization):
    release = ReleaseFactory(organization=organization, version="2.0.0")
    issue.status = IssueStatus.RESOLVED
    issue.save()
    assert get(api, issue)["statusDetails"] == {}
    resolution = Resolution.objects.create(
        issue=issue, release=release, type=Resolution.Type.IN_RELEASE, actor=user
    )
    details = get(api, issue)["statusDetails"]
    assert details["inRelease"] == "2.0.0"
    assert details["actor"]["email"] == user.email
    resolution.type = Resolution.Type.IN_NEXT_RELEASE
    resolution.save()
    details = get(api, issue)["statusDetails"]
    assert details["inNextRelease"] is True
    assert get(api, issue)["status"] == "resolved"
    assert get(api, issue)["substatus"] is None


def test_tags_are_labelled_and_sorted_by_name(api, project):
    issue = make_issue(
        project,
        tags={"server_name": "web01", "os": "Linux", "custom_key": "x"},
        request={"url": "http://example.com/"},
        release="1.0.0",
    )
    make_event(project, tags={"server_name": "web02"}, environment="staging")
    tags = get(api, issue)["tags"]
    assert tags == sorted(tags, key=lambda tag: tag["name"])
    by_key = {tag["key"]: tag for tag in tags}
    assert by_key["server_name"] == {"key": "server_name", "name": "Server", "totalValues": 2}
    assert by_key["os"]["name"] == "OS"
    assert by_key["url"]["name"] == "URL"
    assert by_key["custom_key"] == {"key": "custom_key", "name": "Custom Key", "totalValues": 1}
    assert by_key["release"] == {"key": "release", "name": "Release", "totalValues": 1}
    assert by_key["user"]["name"] == "User"
    assert by_key["environment"]["totalValues"] == 2
    assert by_key["level"]["totalValues"] == 2


def test_stats_count_recent_events_in_utc_buckets(api, project):
    now = timezone.now()
    make_event(project, timestamp=(now - timedelta(hours=2)).isoformat())
    make_event(project, timestamp=(now - timedelta(hours=2)).isoformat())
    make_event(project, timestamp=(now - timedelta(days=3)).isoformat())
    issue = make_issue(project, timestamp=(now - timedelta(days=40)).isoformat())
    stats = get(api, issue)["stats"]
    assert len(stats["24h"]) == 25
    assert len(stats["30d"]) == 31
    assert all(bucket[0] % 3600 == 0 for bucket in stats["24h"])
    assert all(bucket[0] % 86400 == 0 for bucket in stats["30d"])
    assert [b[0] for b in stats["24h"]] == sorted(b[0] for b in stats["24h"])
    two_hours_ago = int((now - timedelta(hours=2)).timestamp()) // 3600 * 3600
    assert dict(stats["24h"])[two_hours_ago] == 2
    assert sum(count for _, count in stats["24h"]) == 2
    assert sum(count for _, count in stats["30d"]) == 3  # the 40-day-old event is outside


def test_environment_filters_counts_seen_stats_and_tags(api, project):
    early = timezone.now() - timedelta(hours=5)
    make_event(project, environment="production", user={"id": "a"}, timestamp=early.isoformat())
    make_event(project, environment="production", user={"id": "b"})
    issue = make_issue(
        project,
        environment="staging",
        user={"id": "a"},
        tags={"only_staging": "yes"},
        timestamp=(timezone.now() - timedelta(hours=1)).isoformat(),
    )

    everything = get(api, issue)
    assert (everything["count"], everything["userCount"]) == ("3", 2)
    # Without ?environment= the stats are the all-environment totals.
    assert sum(count for _, count in everything["stats"]["24h"]) == 3
    assert sum(count for _, count in everything["stats"]["30d"]) == 3

    production = get(api, issue, environment="production")
    assert (production["count"], production["userCount"]) == ("2", 2)
    assert production["firstSeen"] == early.isoformat().replace("+00:00", "Z")
    assert sum(count for _, count in production["stats"]["24h"]) == 2
    assert "only_staging" not in {tag["key"] for tag in production["tags"]}

    staging = get(api, issue, environment="staging")
    assert (staging["count"], staging["userCount"]) == ("1", 1)
    assert sum(count for _, count in staging["stats"]["24h"]) == 1
    assert {tag["key"] for tag in staging["tags"]} >= {"only_staging"}

    both = api.get(f"/api/0/issues/{issue.pk}/?environment=production&environment=staging")
    assert (both.json()["count"], both.json()["userCount"]) == ("3", 2)

    def seen(stats):
        return {period: {at: n for at, n in series if n} for period, series in stats.items()}

    # Every environment named sums the per-environment counts to the totals.
    assert seen(both.json()["stats"]) == seen(everything["stats"])


def test_unknown_environment_answers_404(api, issue):
    response = api.get(issue_url(issue), {"environment": "nowhere"})
    assert_error(response, 404, NOT_FOUND)


def test_environment_of_another_organization_is_unknown(api, issue, other_organization):
    make_event(other_organization.projects.get(), environment="elsewhere")
    assert other_organization.pk != issue.project.organization_id
    response = api.get(issue_url(issue), {"environment": "elsewhere"})
    assert_error(response, 404, NOT_FOUND)


def test_releases_are_the_first_and_last_seen(api, project, user):
    old = make_event(project, release="1.0.0").release
    type(old).objects.filter(pk=old.pk).update(owner=user)
    issue = make_issue(project, release="1.1.0")
    document = get(api, issue)
    first, last = document["firstRelease"], document["lastRelease"]
    assert first["version"] == "1.0.0"
    assert last["version"] == "1.1.0"
    assert first["owner"]["email"] == user.email
    assert first["newGroups"] == 1
    assert last["newGroups"] == 0
    assert first["projects"] == [{"name": project.name, "slug": project.slug}]
    assert first["versionInfo"] == {
        "buildHash": None,
        "description": "1.0.0",
        "package": None,
        "version": {
            "raw": "1.0.0",
            "major": 1,
            "minor": 0,
            "patch": 0,
            "revision": 0,
            "pre": None,
            "buildCode": None,
            "components": 3,
        },
    }
    assert DATETIME.match(first["firstEvent"]) and first["firstEvent"].count(".") == 0


def test_no_release_gives_null_releases(api, issue):
    document = get(api, issue)
    assert document["firstRelease"] is None
    assert document["lastRelease"] is None


def test_release_commit_and_deploy_facts(api, project, organization):
    from releases.models import Repository
    from releases.services import release_record_deploy, release_set_commits

    issue = make_issue(project, release="app@2.1.0+42")
    release = issue.first_release
    repository = Repository.objects.create(organization=organization, name="acme/app")
    release_set_commits(
        release=release,
        repository=repository,
        commits=[
            {"key": "b" * 40, "message": "Fix", "author_name": "Ada", "author_email": "a@x.io"},
            {"key": "a" * 40, "message": "Add", "author_name": "Ada", "author_email": "a@x.io"},
        ],
    )
    release_record_deploy(release=release, environment_name="production", name="deploy 1")
    first = get(api, issue)["firstRelease"]
    assert first["commitCount"] == 2
    assert first["lastCommit"]["id"] == "b" * 40
    assert first["authors"] == [{"name": "Ada", "email": "a@x.io"}]
    assert first["deployCount"] == 1
    assert first["lastDeploy"]["environment"] == "production"
    assert first["versionInfo"]["package"] == "app"
    assert first["versionInfo"]["description"] == "2.1.0 (42)"


def test_user_report_count_is_filtered_by_environment(api, project):
    issue = make_issue(project, environment="production")
    event = issue.events.get()
    UserReport.objects.create(
        project=project,
        issue=issue,
        environment=event.environment,
        event_id=event.event_id,
        name="Ann",
        email="ann@example.com",
        comments="It broke",
    )
    assert get(api, issue)["userReportCount"] == 1
    make_event(project, environment="staging")
    assert get(api, issue, environment="staging")["userReportCount"] == 0


def test_options_preflight_is_answered_without_credentials(api_client, issue):
    response = api_client.options(
        f"/api/0/issues/{issue.pk}/",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "Authorization" in response["Access-Control-Allow-Headers"]


def test_head_is_served_like_get(api, issue):
    response = api.head(f"/api/0/issues/{issue.pk}/")
    assert response.status_code == 200
    assert response.content == b""


def test_error_responses_carry_the_same_headers(api, api_client):
    for response in (api.get("/api/0/issues/999999/"), api_client.get("/api/0/issues/1/")):
        assert response["Content-Type"] == "application/json"
        assert response["X-Frame-Options"] == "deny"
        assert response["Access-Control-Allow-Origin"] == "*"


def test_a_user_shown_again_shows_its_row_and_emails_as_they_are_now(api, project, team):
    """The serialized users a process keeps (issues.serializers.DocumentUsers) are keyed by
    what the user's row and emails hold, and by whether the requester is that user: a change
    shows in the next GET, in every place the user appears."""
    issue = make_issue(project)
    other = new_member(project.organization, team)
    User.objects.filter(pk=other.pk).update(name="Ada")
    IssueSeen.objects.create(issue=issue, user=other)
    Subscription.objects.create(issue=issue, user=other, is_active=True)

    def shown():
        document = get(api, issue)
        [seen] = [item for item in document["seenBy"] if item["id"] == str(other.pk)]
        [participant] = document["participants"]
        return seen, participant

    first, _ = shown()
    assert first["name"] == "Ada"
    User.objects.filter(pk=other.pk).update(name="Grace", has_2fa=True)
    seen, participant = shown()
    assert (seen["name"], seen["has2fa"]) == (participant["name"], participant["has2fa"])
    assert (seen["name"], seen["has2fa"]) == ("Grace", True)

    other.emails.create(email="grace@example.com", is_verified=False)
    seen, participant = shown()
    assert [email["email"] for email in seen["emails"]] == [other.email, "grace@example.com"]
    assert participant["emails"] == seen["emails"]

    # The same row, asked by that user: its own options this time, and not for the others.
    own = {item["id"]: item for item in get(client_for(other), issue)["seenBy"]}
    assert "options" in own[str(other.pk)]
    assert "options" not in shown()[0]


def test_the_people_of_a_document_shown_again_are_as_they_are_now(api, project, team):
    """A process keeps the seenBy, participants and activity it made, by the text of the rows
    they were made of (issues.gather._people_of): a seen time, a subscription or a note that
    changes shows in the next GET."""
    issue = make_issue(project)
    other = new_member(project.organization, team)
    seen = IssueSeen.objects.create(issue=issue, user=other)
    subscription = Subscription.objects.create(issue=issue, user=other, is_active=True)
    first = get(api, issue)
    assert get(api, issue) == first  # the same rows: the same document

    later = timezone.now() + timedelta(minutes=5)
    IssueSeen.objects.filter(pk=seen.pk).update(last_seen=later)
    assert get(api, issue)["seenBy"][0]["lastSeen"] == later.isoformat().replace("+00:00", "Z")

    Subscription.objects.filter(pk=subscription.pk).update(is_active=False)
    assert get(api, issue)["participants"] == []

    Activity.objects.create(
        project=project, issue=issue, type=ActivityType.NOTE, user=other, data={"text": "hi"}
    )
    notes = [item for item in get(api, issue)["activity"] if item["type"] == "note"]
    assert [(note["data"], note["user"]["id"]) for note in notes] == [
        ({"text": "hi"}, str(other.pk))
    ]

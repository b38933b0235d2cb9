"""PUT on the issue routes, field by field, over HTTP (docs/behaviour.md §3.2, §3.4-3.7, §4.2).

assignedTo in every form, the boolean flags in DRF's forms, isPublic (docs/behaviour.md,
Decision 3), discard (Decision 8), and the scopes and precedence of PUT and DELETE on all three
routes.
"""

import re

import pytest
from django.utils import timezone

from accounts.models import UserEmail
from issues.models import (
    Activity,
    ActivityType,
    Assignee,
    Bookmark,
    Issue,
    IssueHash,
    IssuePriority,
    IssueSeen,
    IssueStatus,
    IssueTombstone,
    Share,
    Subscription,
    SubscriptionReason,
)
from tests.factories import (
    MemberFactory,
    TeamFactory,
    UserFactory,
    make_event,
    make_issue,
)
from tests.helpers import (
    INVALID_TOKEN,
    NOT_FOUND,
    NOT_PROVIDED,
    PERMISSION_DENIED,
    ROUTES,
    assert_error,
    assert_gone,
    client_for,
    issue_url,
    route_url,
    send,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]

UNKNOWN_ACTOR = "Unknown actor input"
NON_TEAM_MEMBER = "Cannot assign to non-team member"
TEAM_WITHOUT_ACCESS = "Cannot assign to a team without access to the project"
NO_DISCARD_PERMISSION = "You do not have permission to discard events"
DISCARD_ALONE = "Other attributes cannot be updated when discarding"

BEYOND_BIGINT = 2**63
SHARE_ID = re.compile(r"^[0-9a-f]{32}$")

TRUE_FORMS = [True, "1", 1, "true"]
FALSE_FORMS = [False, "0", 0, "false"]


def put(client, issue, body, route="issues"):
    return client.put(issue_url(issue, route), body, format="json")


def put_ok(client, issue, body, route="issues") -> dict:
    response = put(client, issue, body, route)
    assert response.status_code == 200, response.content
    return response.json()


def activities(issue, type=None):
    rows = Activity.objects.filter(issue=issue)
    if type is not None:
        rows = rows.filter(type=type)
    return list(rows.order_by("id"))


def snapshot(issue) -> dict:
    """What a PUT could change, to show that a refused one changed nothing."""
    fresh = Issue.objects.get(pk=issue.pk)
    return {
        "status": fresh.status,
        "substatus": fresh.substatus,
        "deletion_requested_at": fresh.deletion_requested_at,
        "assignee": list(Assignee.objects.filter(issue=issue).values_list("user_id", "team_id")),
        "activity": list(Activity.objects.filter(issue=issue).values_list("id", flat=True)),
        "seen": list(IssueSeen.objects.filter(issue=issue).values_list("user_id", "last_seen")),
        "bookmarks": list(Bookmark.objects.filter(issue=issue).values_list("user_id", flat=True)),
        "subscriptions": list(
            Subscription.objects.filter(issue=issue).values_list("user_id", "is_active", "reason")
        ),
        "share": list(Share.objects.filter(issue=issue).values_list("uuid", flat=True)),
        "hashes": list(IssueHash.objects.filter(issue=issue).values_list("hash", flat=True)),
        "tombstones": IssueTombstone.objects.filter(previous_issue_id=issue.pk).count(),
    }


@pytest.fixture
def teammate(organization, team):
    """Another member on the project's team, with a username distinct from the email and a
    verified secondary address."""
    user = UserFactory(username="jane.doe", email="jane@example.com", name="Jane Doe")
    UserEmail.objects.create(user=user, email="jane.alt@example.org", is_verified=True)
    MemberFactory(organization=organization, user=user, teams=[team])
    return user


@pytest.fixture
def loner(organization):
    """A member of the organization on no team."""
    return MemberFactory(organization=organization, teams=[]).user


# assignedTo: users


USER_FORMS = {
    "int id": lambda user: user.pk,
    "string id": lambda user: str(user.pk),
    "user:id": lambda user: f"user:{user.pk}",
    "username": lambda user: user.username,
    "username in other case": lambda user: user.username.upper(),
    "primary email": lambda user: user.email,
    "primary email in other case": lambda user: "JANE@Example.COM",
    "verified secondary email": lambda user: "jane.alt@example.org",
    "verified secondary email in other case": lambda user: "Jane.Alt@EXAMPLE.org",
}


@pytest.mark.parametrize("form", list(USER_FORMS))
def test_assign_user_in_every_form(api, issue, user, teammate, form):
    document = put_ok(api, issue, {"assignedTo": USER_FORMS[form](teammate)})

    assert document["assignedTo"] == {
        "type": "user",
        "id": str(teammate.pk),
        "name": "Jane Doe",
        "email": "jane@example.com",
    }
    assignee = Assignee.objects.get(issue=issue)
    assert (assignee.user_id, assignee.team_id) == (teammate.pk, None)
    [activity] = activities(issue)
    assert activity.type == ActivityType.ASSIGNED
    assert activity.user_id == user.pk
    assert activity.data == {
        "assignee": str(teammate.pk),
        "assigneeEmail": "jane@example.com",
        "assigneeType": "user",
    }
    subscription = Subscription.objects.get(issue=issue, user=teammate)
    assert subscription.is_active is True
    assert subscription.reason == SubscriptionReason.ASSIGNED
    # The acting user is not subscribed by assigning someone else.
    assert not Subscription.objects.filter(issue=issue, user=user).exists()


def test_assign_self_subscribes_self_as_assigned(api, issue, user):
    document = put_ok(api, issue, {"assignedTo": f"user:{user.pk}"})

    assert document["assignedTo"]["id"] == str(user.pk)
    assert document["isSubscribed"] is True
    assert document["subscriptionDetails"] == {"reason": "assigned"}
    assert Subscription.objects.get(issue=issue, user=user).reason == SubscriptionReason.ASSIGNED


def test_assign_user_without_name_shows_email_as_name(api, issue, organization, team):
    user = UserFactory(name="")
    MemberFactory(organization=organization, user=user, teams=[team])

    document = put_ok(api, issue, {"assignedTo": user.pk})

    assert document["assignedTo"]["name"] == user.email


def test_assign_unverified_secondary_email_is_unknown(api, issue, teammate):
    UserEmail.objects.create(user=teammate, email="jane.unverified@example.org")

    response = put(api, issue, {"assignedTo": "jane.unverified@example.org"})

    assert response.status_code == 400, response.content
    assert response.json() == {"assignedTo": [UNKNOWN_ACTOR]}


# assignedTo: teams


def test_assign_team(api, issue, user, team, teammate, organization):
    elsewhere = MemberFactory(
        organization=organization, teams=[TeamFactory(organization=organization)]
    )

    document = put_ok(api, issue, {"assignedTo": f"team:{team.pk}"})

    assert document["assignedTo"] == {"type": "team", "id": str(team.pk), "name": team.slug}
    assignee = Assignee.objects.get(issue=issue)
    assert (assignee.user_id, assignee.team_id) == (None, team.pk)
    [activity] = activities(issue)
    assert activity.type == ActivityType.ASSIGNED
    assert activity.user_id == user.pk
    assert activity.data == {
        "assignee": str(team.pk),
        "assigneeEmail": None,
        "assigneeType": "team",
    }
    # Every member of the team is subscribed, nobody else.
    subscribed = {
        row.user_id: row.reason for row in Subscription.objects.filter(issue=issue, is_active=True)
    }
    assert subscribed == {
        user.pk: SubscriptionReason.ASSIGNED,
        teammate.pk: SubscriptionReason.ASSIGNED,
    }
    assert elsewhere.user_id not in subscribed
    assert document["isSubscribed"] is True
    assert document["subscriptionDetails"] == {"reason": "assigned"}


def test_assign_team_keeps_an_existing_subscription_reason(api, issue, user, team):
    put_ok(api, issue, {"isBookmarked": True})

    put_ok(api, issue, {"assignedTo": f"team:{team.pk}"})

    assert Subscription.objects.get(issue=issue, user=user).reason == SubscriptionReason.BOOKMARK


@pytest.mark.parametrize("target", ["user", "team"], ids=["same user again", "same team again"])
def test_reassigning_the_same_owner_writes_no_activity(api, issue, team, teammate, target):
    value = teammate.pk if target == "user" else f"team:{team.pk}"
    put_ok(api, issue, {"assignedTo": value})

    document = put_ok(api, issue, {"assignedTo": value})

    assert document["assignedTo"]["type"] == target
    assert len(activities(issue, ActivityType.ASSIGNED)) == 1
    assert Assignee.objects.filter(issue=issue).count() == 1


def test_reassigning_the_same_user_in_another_form_writes_no_activity(api, issue, teammate):
    put_ok(api, issue, {"assignedTo": teammate.pk})
    put_ok(api, issue, {"assignedTo": "JANE@example.com"})
    put_ok(api, issue, {"assignedTo": f"user:{teammate.pk}"})

    assert len(activities(issue)) == 1


def test_reassigning_from_user_to_team_replaces_the_assignee(api, issue, team, teammate):
    put_ok(api, issue, {"assignedTo": teammate.pk})

    document = put_ok(api, issue, {"assignedTo": f"team:{team.pk}"})

    assert document["assignedTo"]["type"] == "team"
    assignee = Assignee.objects.get(issue=issue)
    assert (assignee.user_id, assignee.team_id) == (None, team.pk)
    assert [row.data["assigneeType"] for row in activities(issue)] == ["user", "team"]


@pytest.mark.parametrize("value", ["", None, 0], ids=["empty string", "null", "zero"])
def test_assign_then_unassign_leaves_two_activity_rows(api, issue, user, teammate, value):
    put_ok(api, issue, {"assignedTo": teammate.pk})

    document = put_ok(api, issue, {"assignedTo": value})

    assert document["assignedTo"] is None
    assert not Assignee.objects.filter(issue=issue).exists()
    assigned, unassigned = activities(issue)
    assert assigned.type == ActivityType.ASSIGNED
    assert unassigned.type == ActivityType.UNASSIGNED
    assert unassigned.data == {}
    assert unassigned.user_id == user.pk
    # Unassigning leaves the former assignee's subscription alone.
    assert Subscription.objects.get(issue=issue, user=teammate).is_active is True


@pytest.mark.parametrize("value", ["", None, 0], ids=["empty string", "null", "zero"])
def test_unassigning_an_unassigned_issue_writes_nothing(api, issue, value):
    before = snapshot(issue)

    document = put_ok(api, issue, {"assignedTo": value})

    assert document["assignedTo"] is None
    assert snapshot(issue) == before


def test_unassign_team(api, issue, team):
    put_ok(api, issue, {"assignedTo": f"team:{team.pk}"})

    put_ok(api, issue, {"assignedTo": None})

    assert [row.type for row in activities(issue)] == [
        ActivityType.ASSIGNED,
        ActivityType.UNASSIGNED,
    ]


# assignedTo: errors


def _bad_values(user, teammate, loner, other_organization, organization):
    """(label, value, message) for every refused assignedTo."""
    stranger = other_organization.members.get().user
    lone_team = TeamFactory(organization=organization)
    foreign_team = other_organization.teams.get()
    return {
        "team:abc": ("team:abc", UNKNOWN_ACTOR),
        "user:abc": ("user:abc", UNKNOWN_ACTOR),
        "unknown email": ("nobody@example.com", UNKNOWN_ACTOR),
        "unknown username": ("nobody", UNKNOWN_ACTOR),
        "superscript digit": ("user:²", UNKNOWN_ACTOR),
        "bare superscript digit": ("²", UNKNOWN_ACTOR),
        "negative user id": ("user:-1", UNKNOWN_ACTOR),
        "list": ([f"user:{user.pk}"], UNKNOWN_ACTOR),
        "dict": ({"type": "user", "id": user.pk}, UNKNOWN_ACTOR),
        "true": (True, UNKNOWN_ACTOR),
        "org member on no team": (loner.pk, NON_TEAM_MEMBER),
        "org member on no team by email": (loner.email, NON_TEAM_MEMBER),
        "user of another org": (f"user:{stranger.pk}", NON_TEAM_MEMBER),
        "user of another org by email": (stranger.email, NON_TEAM_MEMBER),
        "nonexistent user id": (987654321, NON_TEAM_MEMBER),
        "nonexistent user:id": ("user:987654321", NON_TEAM_MEMBER),
        "string zero": ("0", NON_TEAM_MEMBER),
        "user id past bigint": (BEYOND_BIGINT, NON_TEAM_MEMBER),
        "user:id past bigint": (f"user:{BEYOND_BIGINT}", NON_TEAM_MEMBER),
        "string id past bigint": ("99999999999999999999", NON_TEAM_MEMBER),
        "team not on the project": (f"team:{lone_team.pk}", TEAM_WITHOUT_ACCESS),
        "team of another org": (f"team:{foreign_team.pk}", TEAM_WITHOUT_ACCESS),
        "nonexistent team id": ("team:987654321", TEAM_WITHOUT_ACCESS),
        "team id past bigint": (f"team:{BEYOND_BIGINT}", TEAM_WITHOUT_ACCESS),
    }


BAD_VALUE_LABELS = [
    "team:abc",
    "user:abc",
    "unknown email",
    "unknown username",
    "superscript digit",
    "bare superscript digit",
    "negative user id",
    "list",
    "dict",
    "true",
    "org member on no team",
    "org member on no team by email",
    "user of another org",
    "user of another org by email",
    "nonexistent user id",
    "nonexistent user:id",
    "string zero",
    "user id past bigint",
    "user:id past bigint",
    "string id past bigint",
    "team not on the project",
    "team of another org",
    "nonexistent team id",
    "team id past bigint",
]


@pytest.mark.parametrize("label", BAD_VALUE_LABELS)
def test_assign_refused_with_400_and_nothing_changed(
    api, issue, user, teammate, loner, other_organization, organization, label
):
    value, message = _bad_values(user, teammate, loner, other_organization, organization)[label]
    put_ok(api, issue, {"assignedTo": teammate.pk})
    before = snapshot(issue)

    response = put(api, issue, {"assignedTo": value, "status": "resolved", "isBookmarked": True})

    assert response.status_code == 400, response.content
    assert response.json() == {"assignedTo": [message]}
    assert snapshot(issue) == before
    assert Assignee.objects.get(issue=issue).user_id == teammate.pk


def test_every_bad_value_label_is_tested(user, teammate, loner, other_organization, organization):
    labels = _bad_values(user, teammate, loner, other_organization, organization)
    assert sorted(labels) == sorted(BAD_VALUE_LABELS)


# hasSeen


@pytest.mark.parametrize("value", TRUE_FORMS, ids=repr)
def test_has_seen_true_creates_issue_seen(api, issue, user, value):
    before = timezone.now()

    document = put_ok(api, issue, {"hasSeen": value})

    assert document["hasSeen"] is True
    seen = IssueSeen.objects.get(issue=issue, user=user)
    assert seen.last_seen >= before


@pytest.mark.parametrize("value", TRUE_FORMS, ids=repr)
def test_has_seen_true_updates_an_existing_issue_seen(api, issue, user, value):
    IssueSeen.objects.create(issue=issue, user=user, last_seen=issue.first_seen)
    before = timezone.now()
    assert api.get(issue_url(issue)).json()["hasSeen"] is False

    document = put_ok(api, issue, {"hasSeen": value})

    assert document["hasSeen"] is True
    [seen] = IssueSeen.objects.filter(issue=issue)
    assert seen.user_id == user.pk
    assert seen.last_seen >= before


@pytest.mark.parametrize("value", FALSE_FORMS, ids=repr)
def test_has_seen_false_deletes_the_users_issue_seen(api, issue, user, teammate, value):
    put_ok(api, issue, {"hasSeen": True})
    IssueSeen.objects.create(issue=issue, user=teammate)

    document = put_ok(api, issue, {"hasSeen": value})

    assert document["hasSeen"] is False
    assert list(IssueSeen.objects.filter(issue=issue).values_list("user_id", flat=True)) == [
        teammate.pk
    ]


def test_has_seen_false_without_issue_seen_is_harmless(api, issue):
    document = put_ok(api, issue, {"hasSeen": False})

    assert document["hasSeen"] is False
    assert not IssueSeen.objects.exists()


def test_has_seen_by_org_member_on_no_team_is_ignored(issue, loner):
    client = client_for(loner, ["event:write"])

    document = put_ok(client, issue, {"hasSeen": True})

    assert document["hasSeen"] is False
    assert not IssueSeen.objects.exists()


def test_has_seen_by_active_superuser_non_member_is_ignored(issue):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client = client_for(superuser, ["event:write"])

    document = put_ok(client, issue, {"hasSeen": "1"})

    assert document["hasSeen"] is False
    assert not IssueSeen.objects.exists()


def test_has_seen_by_member_of_another_team_of_the_project_counts(issue, organization):
    second = TeamFactory(organization=organization)
    issue.project.teams.add(second)
    member = MemberFactory(organization=organization, teams=[second]).user
    client = client_for(member, ["event:write"])

    document = put_ok(client, issue, {"hasSeen": True})

    assert document["hasSeen"] is True
    assert IssueSeen.objects.filter(issue=issue, user=member).exists()


@pytest.mark.parametrize("value", ["maybe", "", None, 2, "yes please", [True]], ids=repr)
def test_has_seen_invalid_boolean_is_400(api, issue, value):
    response = put(api, issue, {"hasSeen": value})

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["hasSeen"]
    assert not IssueSeen.objects.exists()


# isBookmarked


@pytest.mark.parametrize("value", TRUE_FORMS, ids=repr)
def test_is_bookmarked_true_bookmarks_and_subscribes(api, issue, user, value):
    document = put_ok(api, issue, {"isBookmarked": value})

    assert document["isBookmarked"] is True
    assert document["isSubscribed"] is True
    assert document["subscriptionDetails"] == {"reason": "bookmarked"}
    assert list(Bookmark.objects.filter(issue=issue).values_list("user_id", flat=True)) == [user.pk]
    subscription = Subscription.objects.get(issue=issue, user=user)
    assert subscription.is_active is True
    assert subscription.reason == SubscriptionReason.BOOKMARK


def test_is_bookmarked_true_twice_keeps_one_bookmark(api, issue):
    put_ok(api, issue, {"isBookmarked": True})
    put_ok(api, issue, {"isBookmarked": True})

    assert Bookmark.objects.filter(issue=issue).count() == 1
    assert Subscription.objects.filter(issue=issue).count() == 1


@pytest.mark.parametrize("value", FALSE_FORMS, ids=repr)
def test_is_bookmarked_false_removes_the_bookmark_and_keeps_the_subscription(
    api, issue, user, teammate, value
):
    put_ok(api, issue, {"isBookmarked": True})
    Bookmark.objects.create(issue=issue, user=teammate)

    document = put_ok(api, issue, {"isBookmarked": value})

    assert document["isBookmarked"] is False
    assert list(Bookmark.objects.filter(issue=issue).values_list("user_id", flat=True)) == [
        teammate.pk
    ]
    subscription = Subscription.objects.get(issue=issue, user=user)
    assert subscription.is_active is True
    assert subscription.reason == SubscriptionReason.BOOKMARK
    assert document["isSubscribed"] is True


def test_is_bookmarked_true_keeps_an_explicit_unsubscribe(api, issue, user):
    put_ok(api, issue, {"isSubscribed": False})

    document = put_ok(api, issue, {"isBookmarked": True})

    assert document["isBookmarked"] is True
    assert document["isSubscribed"] is False
    assert Subscription.objects.get(issue=issue, user=user).is_active is False


# isSubscribed


@pytest.mark.parametrize("value", TRUE_FORMS, ids=repr)
def test_is_subscribed_true_subscribes_with_reason_unknown(api, issue, user, value):
    document = put_ok(api, issue, {"isSubscribed": value})

    assert document["isSubscribed"] is True
    assert document["subscriptionDetails"] == {"reason": "unknown"}
    subscription = Subscription.objects.get(issue=issue, user=user)
    assert subscription.is_active is True
    assert subscription.reason == SubscriptionReason.UNKNOWN


@pytest.mark.parametrize("subscribed", [True, False], ids=["subscribed", "no-subscription"])
@pytest.mark.parametrize("value", FALSE_FORMS, ids=repr)
def test_is_subscribed_false_unsubscribes_or_stores_an_unsubscribe(
    api, issue, user, value, subscribed
):
    if subscribed:
        put_ok(api, issue, {"isSubscribed": True})

    document = put_ok(api, issue, {"isSubscribed": value})

    assert document["isSubscribed"] is False
    assert document["subscriptionDetails"] is None
    assert Subscription.objects.get(issue=issue, user=user).is_active is False


def test_is_subscribed_touches_only_the_requesters_row(api, issue, user, teammate):
    put_ok(api, issue, {"assignedTo": teammate.pk})

    put_ok(api, issue, {"isSubscribed": False})

    assert Subscription.objects.get(issue=issue, user=teammate).is_active is True
    assert Subscription.objects.get(issue=issue, user=user).is_active is False


@pytest.mark.parametrize("earlier", ["isBookmarked", "assignedTo", "status"])
def test_is_subscribed_true_resets_an_earlier_reason_to_unknown(api, issue, user, earlier):
    """Sentry (S9 handle_is_subscribed): create_or_update(values={"is_active": ...,
    "reason": unknown}); "Subscribing without an initiating event clears out the previous
    subscription reason"."""
    body = {
        "isBookmarked": {"isBookmarked": True},
        "assignedTo": {"assignedTo": user.pk},
        "status": {"status": "resolved"},
    }[earlier]
    put_ok(api, issue, body)
    assert Subscription.objects.get(issue=issue, user=user).reason != SubscriptionReason.UNKNOWN

    document = put_ok(api, issue, {"isSubscribed": True})

    assert document["isSubscribed"] is True
    assert document["subscriptionDetails"] == {"reason": "unknown"}
    assert Subscription.objects.get(issue=issue, user=user).reason == SubscriptionReason.UNKNOWN


def test_is_subscribed_false_then_true_gives_reason_unknown(api, issue, user):
    put_ok(api, issue, {"isSubscribed": False})

    document = put_ok(api, issue, {"isSubscribed": True})

    assert document["subscriptionDetails"] == {"reason": "unknown"}
    assert Subscription.objects.filter(issue=issue, user=user).count() == 1


# isPublic (docs/behaviour.md, Decision 3)


@pytest.mark.parametrize("value", TRUE_FORMS, ids=repr)
def test_is_public_true_creates_a_share_and_one_set_public(api, issue, user, value):
    document = put_ok(api, issue, {"isPublic": value})

    share = Share.objects.get(issue=issue)
    assert SHARE_ID.match(share.uuid)
    assert document["isPublic"] is True
    assert document["shareId"] == share.uuid
    [activity] = activities(issue)
    assert activity.type == ActivityType.SET_PUBLIC
    assert activity.user_id == user.pk
    assert activity.data == {}


@pytest.mark.parametrize("value", TRUE_FORMS, ids=repr)
def test_is_public_true_again_keeps_the_share_id_and_writes_nothing(api, issue, value):
    share_id = put_ok(api, issue, {"isPublic": True})["shareId"]
    before = snapshot(issue)

    document = put_ok(api, issue, {"isPublic": value})

    assert document["shareId"] == share_id
    assert document["isPublic"] is True
    assert snapshot(issue) == before


@pytest.mark.parametrize("value", FALSE_FORMS, ids=repr)
def test_is_public_false_removes_the_share_with_one_set_private(api, issue, user, value):
    put_ok(api, issue, {"isPublic": True})

    document = put_ok(api, issue, {"isPublic": value})

    assert document["isPublic"] is False
    assert document["shareId"] is None
    assert not Share.objects.filter(issue=issue).exists()
    assert [row.type for row in activities(issue)] == [
        ActivityType.SET_PUBLIC,
        ActivityType.SET_PRIVATE,
    ]
    assert activities(issue, ActivityType.SET_PRIVATE)[0].user_id == user.pk


@pytest.mark.parametrize("value", FALSE_FORMS, ids=repr)
def test_is_public_false_on_a_private_issue_writes_nothing(api, issue, value):
    before = snapshot(issue)

    document = put_ok(api, issue, {"isPublic": value})

    assert document["isPublic"] is False
    assert document["shareId"] is None
    assert snapshot(issue) == before


def test_public_private_public_gives_a_new_share_id(api, issue):
    first = put_ok(api, issue, {"isPublic": True})["shareId"]
    put_ok(api, issue, {"isPublic": False})

    second = put_ok(api, issue, {"isPublic": True})["shareId"]

    assert SHARE_ID.match(second)
    assert second != first
    assert [row.type for row in activities(issue)] == [
        ActivityType.SET_PUBLIC,
        ActivityType.SET_PRIVATE,
        ActivityType.SET_PUBLIC,
    ]


# priority (docs/behaviour.md §16)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", ["low", "medium", "high"])
def test_priority_sets_the_priority_locks_it_and_writes_set_priority(
    api, issue, user, organization, route, name
):
    # From another priority: setting the one it has writes no activity (below).
    other = IssuePriority.HIGH if name == "low" else IssuePriority.LOW
    Issue.objects.filter(pk=issue.pk).update(priority=other)
    before = timezone.now()
    response = api.put(route_url(route, issue.pk, organization), {"priority": name}, format="json")
    assert response.status_code == 200, response.content
    document = response.json()

    fresh = Issue.objects.get(pk=issue.pk)
    assert fresh.priority == IssuePriority[name.upper()]
    assert fresh.priority_locked_at >= before
    assert document["priority"] == name
    assert document["priorityLockedAt"] == fresh.priority_locked_at.isoformat().replace(
        "+00:00", "Z"
    )
    [activity] = activities(issue)
    assert activity.type == ActivityType.SET_PRIORITY
    assert activity.user_id == user.pk
    assert activity.data == {"priority": name, "reason": None}
    shown = api.get(issue_url(issue)).json()
    assert (shown["priority"], shown["priorityLockedAt"]) == (name, document["priorityLockedAt"])
    assert shown["activity"][0]["type"] == "set_priority"
    assert shown["activity"][0]["data"] == {"priority": name, "reason": None}


def test_the_same_priority_again_moves_the_lock_and_writes_no_activity(api, issue):
    Issue.objects.filter(pk=issue.pk).update(priority=IssuePriority.HIGH)
    first = put_ok(api, issue, {"priority": "high"})["priorityLockedAt"]
    assert first is not None
    assert activities(issue) == []

    second = put_ok(api, issue, {"priority": "medium"})["priorityLockedAt"]
    third = put_ok(api, issue, {"priority": "medium"})["priorityLockedAt"]

    assert first <= second <= third
    assert [row.data["priority"] for row in activities(issue)] == ["medium"]


def test_priority_is_set_before_the_status(api, issue):
    Issue.objects.filter(pk=issue.pk).update(priority=IssuePriority.HIGH)
    put_ok(api, issue, {"status": "resolved", "priority": "low"})

    assert [row.type for row in activities(issue)] == [
        ActivityType.SET_PRIORITY,
        ActivityType.SET_RESOLVED,
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("urgent", '"urgent" is not a valid choice.'),
        ("HIGH", '"HIGH" is not a valid choice.'),
        ("", '"" is not a valid choice.'),
        (None, "This field may not be null."),
        (50, '"50" is not a valid choice.'),
        ([], 'Expected a list of items but got type "list".'),
    ],
    ids=repr,
)
def test_invalid_priority_is_400_with_sentrys_field_map_and_changes_nothing(
    api, issue, value, message
):
    before = snapshot(issue)

    response = put(api, issue, {"priority": value, "isBookmarked": True})

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"priority"}
    assert snapshot(issue) == before
    assert Issue.objects.get(pk=issue.pk).priority_locked_at is None


# Several fields in one PUT


def test_every_field_in_one_put_is_applied_and_shown(api, issue, user, teammate):
    document = put_ok(
        api,
        issue,
        {
            "isPublic": True,
            "isSubscribed": False,
            "isBookmarked": True,
            "hasSeen": True,
            "assignedTo": f"user:{teammate.pk}",
            "status": "resolved",
        },
    )

    assert document["status"] == "resolved"
    assert document["statusDetails"] == {}
    assert document["assignedTo"]["id"] == str(teammate.pk)
    assert document["hasSeen"] is True
    assert document["isBookmarked"] is True
    # isSubscribed comes after the subscriptions of status and bookmark, so it wins.
    assert document["isSubscribed"] is False
    assert document["subscriptionDetails"] is None
    assert document["isPublic"] is True
    assert SHARE_ID.match(document["shareId"])

    fresh = Issue.objects.get(pk=issue.pk)
    assert fresh.status == IssueStatus.RESOLVED
    assert Assignee.objects.get(issue=issue).user_id == teammate.pk
    assert IssueSeen.objects.filter(issue=issue, user=user).exists()
    assert Bookmark.objects.filter(issue=issue, user=user).exists()
    assert Subscription.objects.get(issue=issue, user=user).is_active is False
    assert Subscription.objects.get(issue=issue, user=teammate).is_active is True
    assert Share.objects.get(issue=issue).uuid == document["shareId"]
    # Activity in Sentry's order: status, assignedTo, isPublic.
    assert [row.type for row in activities(issue)] == [
        ActivityType.SET_RESOLVED,
        ActivityType.ASSIGNED,
        ActivityType.SET_PUBLIC,
    ]

    again = api.get(issue_url(issue)).json()
    for key in (
        "status",
        "assignedTo",
        "hasSeen",
        "isBookmarked",
        "isSubscribed",
        "isPublic",
        "shareId",
    ):
        assert again[key] == document[key], key


def test_every_flag_off_in_one_put(api, issue, user, teammate):
    put_ok(
        api,
        issue,
        {
            "status": "resolved",
            "assignedTo": teammate.pk,
            "hasSeen": True,
            "isBookmarked": True,
            "isSubscribed": True,
            "isPublic": True,
        },
    )

    document = put_ok(
        api,
        issue,
        {
            "status": "unresolved",
            "assignedTo": None,
            "hasSeen": "0",
            "isBookmarked": 0,
            "isSubscribed": "false",
            "isPublic": False,
        },
    )

    assert document["status"] == "unresolved"
    assert document["assignedTo"] is None
    assert document["hasSeen"] is False
    assert document["isBookmarked"] is False
    assert document["isSubscribed"] is False
    assert document["isPublic"] is False
    assert document["shareId"] is None
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.UNRESOLVED
    assert not Assignee.objects.filter(issue=issue).exists()
    assert not IssueSeen.objects.filter(issue=issue).exists()
    assert not Bookmark.objects.filter(issue=issue).exists()
    assert not Share.objects.filter(issue=issue).exists()
    assert [row.type for row in activities(issue)][-3:] == [
        ActivityType.SET_UNRESOLVED,
        ActivityType.UNASSIGNED,
        ActivityType.SET_PRIVATE,
    ]


def test_an_invalid_field_among_valid_ones_changes_nothing(api, issue, teammate):
    before = snapshot(issue)

    response = put(
        api,
        issue,
        {
            "status": "resolved",
            "assignedTo": teammate.pk,
            "isBookmarked": True,
            "isPublic": "perhaps",
        },
    )

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["isPublic"]
    assert snapshot(issue) == before


# discard (docs/behaviour.md, Decision 8)


def test_discard_needs_event_admin(scoped_api, issue):
    client = scoped_api(["event:read", "event:write"])
    before = snapshot(issue)

    response = put(client, issue, {"discard": True})

    assert response.status_code == 400, response.content
    assert response.json() == {"discard": [NO_DISCARD_PERMISSION]}
    assert snapshot(issue) == before


@pytest.mark.parametrize("scopes", [["event:admin"], ["event:read", "event:write", "event:admin"]])
def test_discard_with_event_admin_returns_204(scoped_api, issue, scopes):
    client = scoped_api(scopes)

    response = put(client, issue, {"discard": True})

    assert response.status_code == 204, response.content
    assert response.content == b""


@pytest.mark.parametrize(
    "other",
    [
        {"status": "resolved"},
        {"isBookmarked": True},
        {"assignedTo": None},
        {"hasSeen": False},
        {"merge": True},
    ],
    ids=lambda other: next(iter(other)),
)
def test_discard_with_other_keys_is_400_and_changes_nothing(api, issue, other):
    before = snapshot(issue)

    response = put(api, issue, {"discard": True, **other})

    assert response.status_code == 400, response.content
    assert response.json() == {"non_field_errors": [DISCARD_ALONE]}
    assert snapshot(issue) == before


def test_discard_false_with_other_keys_is_400_like_sentry(api, issue):
    """Sentry's GroupValidator.validate: `if len(attrs) > 1 and "discard" in attrs` (S9, also
    the 2023 validator S43), so a false discard also refuses other keys."""
    before = snapshot(issue)

    response = put(api, issue, {"discard": False, "status": "resolved"})

    assert response.status_code == 400, response.content
    assert response.json() == {"non_field_errors": [DISCARD_ALONE]}
    assert snapshot(issue) == before


def test_discard_false_alone_changes_nothing(api, issue):
    before = snapshot(issue)

    document = put_ok(api, issue, {"discard": False})

    assert document["id"] == str(issue.pk)
    assert snapshot(issue) == before


def test_discard_with_event_write_and_other_keys_reports_the_permission(scoped_api, issue):
    client = scoped_api(["event:write"])

    response = put(client, issue, {"discard": True, "status": "resolved"})

    assert response.status_code == 400, response.content
    assert response.json() == {"discard": [NO_DISCARD_PERMISSION]}


def test_discard_with_unknown_keys_still_discards(api, issue):
    response = put(api, issue, {"discard": True, "somethingElse": 1})

    assert response.status_code == 204, response.content


def test_discard_leaves_a_tombstone_and_hides_the_issue(api, project, user):
    make_event(project, message="Doomed", level="warning", culprit="app.doom in run")
    issue = make_issue(project, message="Doomed", level="warning", culprit="app.doom in run")
    issue.refresh_from_db()
    hashes = set(IssueHash.objects.filter(issue=issue).values_list("hash", flat=True))
    assert hashes

    response = put(api, issue, {"discard": "1"})

    assert response.status_code == 204, response.content
    assert response.content == b""
    tombstone = IssueTombstone.objects.get(previous_issue_id=issue.pk)
    assert tombstone.project_id == project.pk
    assert tombstone.level == issue.level
    assert tombstone.culprit == "app.doom in run"
    assert tombstone.message == issue.title == "Doomed"
    assert tombstone.data["type"] == issue.type
    assert tombstone.data["metadata"] == issue.metadata
    assert tombstone.actor_id == user.pk
    rows = IssueHash.objects.filter(hash__in=hashes)
    assert {(row.issue_id, row.tombstone_id) for row in rows} == {(None, tombstone.pk)}
    fresh = Issue.objects.get(pk=issue.pk)
    assert fresh.status == IssueStatus.PENDING_DELETION
    assert fresh.deletion_requested_at is not None


@pytest.mark.parametrize("route", ROUTES)
def test_after_discard_get_put_delete_answer_404(api, issue, route):
    assert put(api, issue, {"discard": True}).status_code == 204

    assert_gone(api, issue_url(issue, route))
    assert IssueTombstone.objects.filter(previous_issue_id=issue.pk).count() == 1


def test_after_discard_events_of_the_fingerprint_are_dropped(api, project):
    issue = make_issue(project, message="Noise")
    other = make_issue(project, message="Signal")
    assert put(api, issue, {"discard": True}).status_code == 204
    issues_before = Issue.objects.count()

    assert make_event(project, message="Noise") is None

    assert Issue.objects.count() == issues_before
    assert Issue.objects.get(pk=issue.pk).times_seen == 1
    # Other fingerprints still count.
    assert make_event(project, message="Signal").issue_id == other.pk


# Scopes per method (docs/behaviour.md §4.2) on all three routes


def _request(client, method, issue_or_url, route="issues"):
    url = issue_or_url if isinstance(issue_or_url, str) else issue_url(issue_or_url, route)
    return send(client, method, url)


ACCEPTED = {
    "GET": ["event:read", "event:write", "event:admin"],
    "PUT": ["event:write", "event:admin"],
    "DELETE": ["event:admin"],
}
SUCCESS = {"GET": 200, "PUT": 200, "DELETE": 202}
ALL_SCOPES = ["event:read", "event:write", "event:admin", "project:read", "org:admin"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("scope", ALL_SCOPES)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_scope_matrix(scoped_api, issue, method, scope, route):
    client = scoped_api([scope])
    before = snapshot(issue)

    response = _request(client, method, issue, route)

    if scope in ACCEPTED[method]:
        assert response.status_code == SUCCESS[method], response.content
        if method == "PUT":
            assert Issue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED
        if method == "DELETE":
            assert response.content == b""
            assert Issue.objects.get(pk=issue.pk).status == IssueStatus.PENDING_DELETION
    else:
        assert_error(response, 403, PERMISSION_DENIED)
        assert snapshot(issue) == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_write_and_admin_scopes_without_event_scope_are_403(scoped_api, issue, method):
    every_other = [
        "org:read",
        "org:write",
        "org:admin",
        "member:admin",
        "team:admin",
        "project:read",
        "project:write",
        "project:admin",
        "project:releases",
    ]
    client = scoped_api(every_other)
    before = snapshot(issue)

    response = _request(client, method, issue)

    assert_error(response, 403, PERMISSION_DENIED)
    assert snapshot(issue) == before


# Precedence for PUT and DELETE: 401 > 403 scope > 404 lookup > 403 member > 404 hidden


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_no_authorization_is_401(api_client, issue, method, route):
    before = snapshot(issue)

    response = _request(api_client, method, issue, route)

    assert_error(response, 401, NOT_PROVIDED)
    assert snapshot(issue) == before


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_no_authorization_is_401_for_unknown_issue(api_client, project, method, route):
    url = route_url(route, 987654321, project.organization)

    response = _request(api_client, method, url)

    assert_error(response, 401, NOT_PROVIDED)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_invalid_token_is_401(api_client, issue, method):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    before = snapshot(issue)

    response = _request(api_client, method, issue)

    assert_error(response, 401, INVALID_TOKEN)
    assert snapshot(issue) == before


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("method", "scope"), [("PUT", "event:read"), ("DELETE", "event:write")])
def test_missing_scope_is_403_before_the_lookup(scoped_api, project, method, scope, route):
    client = scoped_api([scope])

    for url in (
        route_url(route, 987654321, project.organization),
        route_url(route, "abc", project.organization),
        f"/api/0/organizations/no-such-org/issues/{987654321}/",
    ):
        response = _request(client, method, url)
        assert response.status_code == 403, (url, response.content)
        assert response.json() == PERMISSION_DENIED


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_unknown_issue_is_404(api, issue, method, route):
    before = snapshot(issue)
    for issue_id in (issue.pk + 1000, 2**63, "0"):
        url = route_url(route, issue_id, issue.project.organization)
        response = _request(api, method, url)
        assert response.status_code == 404, (url, response.content)
        assert response.json() == NOT_FOUND
    assert snapshot(issue) == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_unknown_org_is_404(api, issue, method):
    response = _request(api, method, f"/api/0/organizations/no-such-org/issues/{issue.pk}/")

    assert_error(response, 404, NOT_FOUND)
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.UNRESOLVED


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("status", [IssueStatus.UNRESOLVED, IssueStatus.PENDING_DELETION])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_non_member_is_403_whatever_the_status_and_nothing_changes(
    api, foreign_issue, method, status, route
):
    """403 also for an issue pending deletion: its hidden status is not revealed."""
    Issue.objects.filter(pk=foreign_issue.pk).update(status=status)
    before = snapshot(foreign_issue)

    response = _request(api, method, foreign_issue, route)

    assert_error(response, 403, PERMISSION_DENIED)
    assert snapshot(foreign_issue) == before


def test_non_member_discard_is_403(api, foreign_issue):
    before = snapshot(foreign_issue)

    response = put(api, foreign_issue, {"discard": True})

    assert response.status_code == 403, response.content
    assert snapshot(foreign_issue) == before


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "status",
    [IssueStatus.PENDING_DELETION, IssueStatus.DELETION_IN_PROGRESS, IssueStatus.PENDING_MERGE],
)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_hidden_issue_is_404_to_a_member_and_nothing_changes(api, issue, method, status, route):
    Issue.objects.filter(pk=issue.pk).update(status=status)
    before = snapshot(issue)

    response = _request(api, method, issue, route)

    assert_error(response, 404, NOT_FOUND)
    assert snapshot(issue) == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_active_superuser_non_member_may_write(issue, method):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client = client_for(superuser, ["event:admin"])

    response = _request(client, method, issue)

    assert response.status_code == SUCCESS[method], response.content


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_org_member_on_no_team_may_write(issue, loner, method):
    client = client_for(loner, ["event:admin"])

    response = _request(client, method, issue)

    assert response.status_code == SUCCESS[method], response.content

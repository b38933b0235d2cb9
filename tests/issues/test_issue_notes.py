"""Notes (comments) of an issue: GET/POST .../issues/{id}/comments/ and PUT/DELETE
.../comments/{note_id}/, in Sentry's shapes and statuses; numComments and the activity of the
issue GET follow them."""

import json

import pytest
from django.db import connection
from rest_framework.test import APIClient

from issues.models import Activity, ActivityType, Issue, Subscription, SubscriptionReason
from tests.concurrency import run_together
from tests.conftest import new_member
from tests.factories import TeamFactory, make_issue, make_notes
from tests.helpers import (
    DATETIME,
    NOT_FOUND,
    PERMISSION_DENIED,
    ROUTES,
    TOO_LARGE,
    assert_error,
    bearer,
    client_for,
    follow,
    get_issue,
    get_json,
    issue_url,
    links,
)

pytestmark = pytest.mark.django_db

# token, its last-used time, the issue with the requester's membership (issues.gather).
LOOKUP_QUERIES = 3
# + the page of notes with their authors, then the authors' emails.
LIST_QUERIES = LOOKUP_QUERIES + 2
DUPLICATE = {"detail": "You have already posted that comment."}


def notes_url(issue, *rest, route="issues", name="comments"):
    return issue_url(issue, route) + "/".join([name, *map(str, rest)]) + "/"


def post_note(client, issue, body, **kwargs):
    return client.post(notes_url(issue, **kwargs), body, format="json")


def created(client, issue, text="hello", **body):
    response = post_note(client, issue, {"text": text, **body})
    assert response.status_code == 201, response.content
    return response.json()


def subscription_reason(issue, user):
    row = Subscription.objects.filter(issue=issue, user=user).first()
    return None if row is None else row.reason


@pytest.mark.parametrize("route", ROUTES)
def test_post_answers_201_with_the_note_activity(api, issue, user, route):
    response = post_note(api, issue, {"text": "  Looking into it  "}, route=route)

    assert response.status_code == 201, response.content
    note = response.json()
    assert set(note) == {"id", "user", "type", "data", "dateCreated"}
    assert note["type"] == "note"
    assert note["data"] == {"text": "Looking into it"}
    assert note["user"]["id"] == str(user.pk)
    assert note["user"]["emails"][0]["email"] == user.email
    assert DATETIME.match(note["dateCreated"])
    row = Activity.objects.get(pk=note["id"])
    assert (row.issue_id, row.type, row.user_id) == (issue.pk, ActivityType.NOTE, user.pk)
    assert subscription_reason(issue, user) == SubscriptionReason.COMMENT


def test_notes_show_in_the_issue_get(api, issue):
    assert get_issue(api, issue)["numComments"] == 0
    first = created(api, issue, "one")
    created(api, issue, "two")

    document = get_issue(api, issue)

    assert document["numComments"] == 2
    notes = [item for item in document["activity"] if item["type"] == "note"]
    assert [item["data"]["text"] for item in notes] == ["two", "one"]
    assert notes[1]["id"] == first["id"]
    assert document["isSubscribed"] is True
    assert document["subscriptionDetails"] == {"reason": "commented"}


def test_the_same_note_twice_within_an_hour_is_400(api, issue):
    created(api, issue, "same")

    response = post_note(api, issue, {"text": "same"})

    assert_error(response, 400, DUPLICATE)
    assert Issue.objects.get(pk=issue.pk).num_comments == 1
    # Another user may say the same.
    other = new_member(issue.project.organization, issue.project.teams.get())
    assert post_note(client_for(other), issue, {"text": "same"}).status_code == 201


NOT_A_LIST = 'Expected a list of items but got type "str".'
UNKNOWN = {"0": ["Unknown actor input"]}
NON_MEMBER = ["Cannot mention a non team member"]
NO_TEAM = ["Mentioned team not found"]
TOO_MANY = ["Ensure this field has no more than 100 elements."]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"text": ["This field is required."]}),
        ({"text": ""}, {"text": ["This field may not be blank."]}),
        ({"text": "   "}, {"text": ["This field may not be blank."]}),
        ({"text": None}, {"text": ["This field may not be null."]}),
        ({"text": "x", "mentions": "user:1"}, {"mentions": [NOT_A_LIST]}),
        ({"text": "x", "mentions": ["team:x"]}, {"mentions": UNKNOWN}),
        ({"text": "x", "mentions": [None]}, {"mentions": {"0": ["This field may not be null."]}}),
        ({"text": "x", "mentions": ["nobody@nowhere.invalid"]}, {"mentions": UNKNOWN}),
        ({"text": "x", "mentions": [0]}, {"mentions": UNKNOWN}),
        ({"text": "x", "mentions": ["user:999999"]}, {"mentions": NON_MEMBER}),
        ({"text": "x", "mentions": ["team:999999"]}, {"mentions": NO_TEAM}),
        ({"text": "x", "mentions": ["team:999999"] * 101}, {"mentions": TOO_MANY}),
    ],
)
def test_post_invalid_body_is_a_400_field_map(api, issue, body, errors):
    response = post_note(api, issue, body)

    assert_error(response, 400, errors)
    assert not Activity.objects.filter(issue=issue).exists()
    assert Issue.objects.get(pk=issue.pk).num_comments == 0


def test_post_body_that_is_not_an_object_is_400(api, issue):
    response = api.post(notes_url(issue), "[1]", content_type="application/json")
    assert response.status_code == 400, response.content
    response = api.post(notes_url(issue), "{", content_type="application/json")
    assert response.status_code == 400, response.content


def test_post_mentions_outside_the_project_are_refused(api, issue, other_organization):
    outsider = other_organization.members.get().user
    foreign_team = other_organization.teams.get()
    # A member of the organization on no team of the project.
    organization = issue.project.organization
    teamless = new_member(organization, TeamFactory(organization=organization))

    for mention, message in (
        (f"user:{outsider.pk}", "Cannot mention a non team member"),
        (teamless.pk, "Cannot mention a non team member"),
        (f"team:{foreign_team.pk}", "Mentioned team not found"),
    ):
        response = post_note(api, issue, {"text": "x", "mentions": [mention]})
        assert_error(response, 400, {"mentions": [message]})


def test_post_mentions_subscribe_users_and_team_members(api, issue, user, team):
    organization = issue.project.organization
    colleague = new_member(organization, team)
    other_team = TeamFactory(organization=organization)
    issue.project.teams.add(other_team)
    team_mate = new_member(organization, other_team)

    note = created(
        api,
        issue,
        "@colleague see this",
        mentions=[f"user:{colleague.pk}", colleague.email, f"team:{other_team.pk}"],
    )

    assert note["data"] == {"text": "@colleague see this"}
    assert subscription_reason(issue, user) == SubscriptionReason.COMMENT
    assert subscription_reason(issue, colleague) == SubscriptionReason.MENTIONED
    assert subscription_reason(issue, team_mate) == SubscriptionReason.TEAM_MENTIONED
    assert "mentions" not in Activity.objects.get(pk=note["id"]).data


def test_post_keeps_an_explicit_unsubscribe(api, issue, user):
    Subscription.objects.create(issue=issue, user=user, is_active=False)
    created(api, issue)
    assert Subscription.objects.get(issue=issue, user=user).is_active is False


def test_post_body_over_the_limit_is_413(api, issue, settings):
    settings.ISSUES_API_MAX_BODY_BYTES = 1024
    raw = json.dumps({"text": "x" * 1024})

    response = api.post(notes_url(issue), raw, content_type="application/json")

    assert_error(response, 413, TOO_LARGE)
    assert not Activity.objects.filter(issue=issue).exists()


def test_list_is_newest_first_and_paged(api, issue):
    texts = [f"note {number}" for number in range(5)]
    for text in texts:
        created(api, issue, text)

    response = api.get(notes_url(issue), {"per_page": "2"})

    assert response.status_code == 200, response.content
    page = response.json()
    assert [item["data"]["text"] for item in page] == ["note 4", "note 3"]
    assert all(set(item) == {"id", "user", "type", "data", "dateCreated"} for item in page)
    seen = [item["data"]["text"] for item in page]
    link = links(response)
    assert link["next"].results and not link["previous"].results
    while link["next"].results:
        response = follow(api, link["next"].url)
        seen += [item["data"]["text"] for item in response.json()]
        link = links(response)
    assert seen == texts[::-1]


def test_list_shows_only_notes_of_the_issue(api, issue, project):
    created(api, issue, "mine")
    Activity.objects.create(project=project, issue=issue, type=ActivityType.SET_RESOLVED)
    assert [item["data"]["text"] for item in get_json(api, notes_url(issue))] == ["mine"]
    # The /notes/ alias and the organization route list the same.
    assert get_json(api, notes_url(issue, name="notes")) == get_json(api, notes_url(issue))
    assert get_json(api, notes_url(issue, route="organization")) == get_json(api, notes_url(issue))


@pytest.mark.parametrize("count", [1, 60])
def test_list_reads_a_fixed_number_of_queries(user, issue, count, django_assert_num_queries):
    make_notes(issue, count)
    client = client_for(user)  # a new token: its first use writes its last-used time
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(notes_url(issue))
    assert len(response.json()) == count


@pytest.mark.parametrize("route", ROUTES)
def test_put_edits_the_authors_note(api, issue, route):
    note = created(api, issue, "draft")

    response = api.put(notes_url(issue, note["id"], route=route), {"text": "final"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {**note, "data": {"text": "final"}}
    assert Activity.objects.get(pk=note["id"]).data == {"text": "final"}
    assert Issue.objects.get(pk=issue.pk).num_comments == 1


def test_put_of_another_users_note_is_404(api, issue, team):
    other = new_member(issue.project.organization, team)
    note = created(client_for(other), issue, "theirs")

    response = api.put(notes_url(issue, note["id"]), {"text": "mine now"}, format="json")

    assert_error(response, 404, NOT_FOUND)
    # Before the body is read, as in Sentry.
    assert_error(api.put(notes_url(issue, note["id"]), {}, format="json"), 404, NOT_FOUND)
    assert Activity.objects.get(pk=note["id"]).data == {"text": "theirs"}


@pytest.mark.parametrize("note_id", ["abc", "0", "99999999999999999999", "1.5"])
def test_put_and_delete_of_an_unknown_note_are_404(api, issue, note_id):
    assert_error(api.put(notes_url(issue, note_id), {"text": "x"}, format="json"), 404, NOT_FOUND)
    assert_error(api.delete(notes_url(issue, note_id)), 404, NOT_FOUND)


def test_put_of_a_note_of_another_issue_is_404(api, issue, project):
    other = make_issue(project, message="another issue")
    note = created(api, other)
    response = api.put(notes_url(issue, note["id"]), {"text": "x"}, format="json")
    assert_error(response, 404, NOT_FOUND)


def test_put_invalid_body_is_400(api, issue):
    note = created(api, issue)
    response = api.put(notes_url(issue, note["id"]), {"text": ""}, format="json")
    assert_error(response, 400, {"text": ["This field may not be blank."]})
    response = api.put(
        notes_url(issue, note["id"]), {"text": "y", "mentions": ["team:999999"]}, format="json"
    )
    assert_error(response, 400, {"mentions": ["Mentioned team not found"]})


def test_delete_removes_the_note_and_follows_numcomments(api, issue, user):
    first = created(api, issue, "one")
    second = created(api, issue, "two")

    response = api.delete(notes_url(issue, first["id"]))

    assert response.status_code == 204, response.content
    assert response.content == b""
    assert get_issue(api, issue)["numComments"] == 1
    # Another note of the author keeps the subscription it gave.
    assert subscription_reason(issue, user) == SubscriptionReason.COMMENT
    assert_error(api.delete(notes_url(issue, first["id"])), 404, NOT_FOUND)

    assert api.delete(notes_url(issue, second["id"], route="organization")).status_code == 204
    document = get_issue(api, issue)
    assert document["numComments"] == 0
    assert [item["type"] for item in document["activity"]] == ["first_seen"]
    assert subscription_reason(issue, user) is None


def test_delete_of_another_users_note_is_404(api, issue, team):
    other = new_member(issue.project.organization, team)
    note = created(client_for(other), issue, "theirs")

    assert_error(api.delete(notes_url(issue, note["id"])), 404, NOT_FOUND)
    assert Activity.objects.filter(pk=note["id"]).exists()
    assert Issue.objects.get(pk=issue.pk).num_comments == 1


@pytest.mark.parametrize(
    ("method", "scopes", "allowed"),
    [
        ("GET", ["project:read", "org:read"], False),
        ("GET", ["event:read"], True),
        ("POST", ["event:read"], False),
        ("POST", ["event:write"], True),
        ("PUT", ["event:read"], False),
        ("PUT", ["event:write"], True),
        ("DELETE", ["event:write"], False),
        ("DELETE", ["event:admin"], True),
    ],
)
def test_scopes_are_sentrys_group_permission(user, issue, api, method, scopes, allowed):
    note = created(api, issue, "scoped")
    client = client_for(user, scopes)
    url = notes_url(issue) if method in ("GET", "POST") else notes_url(issue, note["id"])
    body = {"text": "another"} if method in ("POST", "PUT") else None

    response = getattr(client, method.lower())(url, body, format="json")

    if allowed:
        assert response.status_code in (200, 201, 204), response.content
    else:
        assert_error(response, 403, PERMISSION_DENIED)
        assert Activity.objects.filter(issue=issue, type=ActivityType.NOTE).count() == 1


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_unknown_and_foreign_issues(api, foreign_issue, method):
    body = {"text": "x"} if method in ("POST", "PUT") else None
    note = [1] if method in ("PUT", "DELETE") else []
    unknown = "/api/0/issues/0/comments/" + "".join(f"{part}/" for part in note)
    for url, status, error in (
        (unknown, 404, NOT_FOUND),
        (notes_url(foreign_issue, *note), 403, PERMISSION_DENIED),
    ):
        response = getattr(api, method.lower())(url, body, format="json")
        assert_error(response, status, error)


def test_a_note_needs_credentials(api_client, issue):
    response = api_client.post(notes_url(issue), {"text": "x"}, format="json")
    assert response.status_code == 401, response.content


# Concurrency (PostgreSQL): notes posted at the same moment lock the issue one after another.

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency"
)


def post_together(token, issue, texts) -> list:
    def post(text):
        client = APIClient()
        client.credentials(**bearer(token.plaintext))
        response = client.post(notes_url(issue), {"text": text}, format="json")
        return response.status_code, response.json()

    return run_together([lambda text=text: post(text) for text in texts])


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_same_note_posted_at_once_is_written_once(project, token):
    for round_number in range(4):
        issue = make_issue(project, message=f"Busy {round_number}", fingerprint=[str(round_number)])

        results = post_together(token, issue, ["at once"] * 3)

        assert sorted(status for status, _ in results) == [201, 400, 400], results
        assert [body for status, body in results if status == 400] == [DUPLICATE, DUPLICATE]
        assert Issue.objects.get(pk=issue.pk).num_comments == 1
        assert Activity.objects.filter(issue=issue, type=ActivityType.NOTE).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_notes_posted_at_once_are_all_counted(project, token):
    issue = make_issue(project, message="Crowded")

    results = post_together(token, issue, [f"note {number}" for number in range(4)])

    assert [status for status, _ in results] == [201] * 4, results
    assert Issue.objects.get(pk=issue.pk).num_comments == 4

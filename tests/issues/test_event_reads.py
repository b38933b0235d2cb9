"""The events list's and the short-id lookup's reads: what they show of unusual stored
payloads, the checks the display's derivation keeps, Sentry's order of answers when the
lookup finds nothing, and responses freed without the cyclic garbage collector."""

import gc
import weakref

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory
from django.utils import timezone

from issues.ingest import normalize_event
from issues.models import Event, IssueStatus
from tests.factories import EventPayloadFactory, UserFactory, make_event, make_issue
from tests.helpers import (
    NOT_FOUND,
    PERMISSION_DENIED,
    assert_error,
    client_for,
    events_url,
    get_json,
    short_id_url,
)
from tests.issues.payloads import MALFORMED_INTERFACES

pytestmark = pytest.mark.django_db

# Larger than 64 bits, and a run of digits as long in a string.
BIG = 123456789012345678901234567890


# Payloads record_event refuses (tests/issues/payloads.py), and some it takes.
MALFORMED = [
    *MALFORMED_INTERFACES.values(),
    {"event_id": "not-hex"},
    {"timestamp": "yesterday"},
]
ACCEPTED = [
    {},
    {"tags": "ab", "contexts": {"os": "x", "runtime": {"name": "CPython", "version": 3}}},
    {"tags": [["a", "b"], "xy", ["c"], None], "contexts": {}},
    {"exception": {"values": [{"type": "E", "value": "v", "stacktrace": {"frames": [{}]}}]}},
]


@pytest.mark.parametrize("fields", MALFORMED + ACCEPTED)
def test_normalizing_without_tags_checks_the_payload_as_with_them(fields):
    payload = EventPayloadFactory(**fields)
    now = timezone.now()
    try:
        expected = normalize_event(payload, now=now)
    except ValueError as error:
        with pytest.raises(ValueError, match="^" + str(error)):
            normalize_event(payload, now=now, tags=False)
        assert fields in MALFORMED
        return
    assert fields in ACCEPTED
    found = normalize_event(payload, now=now, tags=False)
    assert found.tags == []
    assert vars(found) | {"tags": expected.tags} == vars(expected)


# Stored payloads the reader now refuses (written before a stricter reader, or by hand): those
# whose description itself cannot be read, and those malformed elsewhere only.
UNDESCRIBABLE = [
    MALFORMED_INTERFACES[name]
    for name in ("logentry-str", "exception-int", "frame-str", "mechanism-str")
]
MALFORMED_ELSEWHERE = [
    MALFORMED_INTERFACES[name] for name in ("contexts-list", "tags-int", "fingerprint-int")
]


@pytest.mark.parametrize("fields", UNDESCRIBABLE)
def test_a_stored_payload_that_cannot_be_described_is_shown_as_a_plain_message(
    api, project, fields
):
    event = make_event(project, message="First line\nsecond line")
    Event.objects.filter(pk=event.pk).update(data={**event.data, **fields})
    [item] = get_json(api, events_url(event.issue))
    assert (item["event.type"], item["title"], item["culprit"], item["location"]) == (
        "default",
        "First line",
        None,
        None,
    )
    assert item["metadata"] == {"title": "First line"}
    [full] = get_json(api, events_url(event.issue), full="true")
    detail = get_json(api, events_url(event.issue, "latest"))
    for document in (full, detail):
        assert (document["type"], document["title"], document["fingerprints"]) == (
            "default",
            "First line",
            [],
        )


@pytest.mark.parametrize("fields", MALFORMED_ELSEWHERE)
def test_a_stored_payload_malformed_elsewhere_is_described_from_what_it_says(api, project, fields):
    """Only what the document shows is read of each listed event (issue 10: the list derives
    no grouping hash and checks no other interface); a hash that cannot be computed is
    left out of the full event's fingerprints."""
    event = make_event(project, message="First line\nsecond line")
    Event.objects.filter(pk=event.pk).update(data={**event.data, **fields})
    shown = ("default", "First line", "app.views in index")
    [item] = get_json(api, events_url(event.issue))
    assert (item["event.type"], item["title"], item["culprit"]) == shown
    [full] = get_json(api, events_url(event.issue), full="true")
    detail = get_json(api, events_url(event.issue, "latest"))
    for document in (full, detail):
        assert (document["type"], document["title"], document["culprit"]) == shown
        grouped = "fingerprint" not in fields
        assert document["fingerprints"] == ([event.issue.hashes.get().hash] if grouped else [])


def test_list_shows_numbers_of_any_size_as_stored(api, project):
    user = {"id": "7", "data": {"big": BIG, "negative": -BIG, "small": 0.1, "text": str(BIG)}}
    issue = make_issue(project, user=user, extra={"big": BIG})
    [item] = get_json(api, events_url(issue))
    assert item["user"]["data"] == user["data"]
    [full] = get_json(api, events_url(issue), full="true")
    assert (full["user"]["data"], full["context"]) == (user["data"], {"big": BIG})


def test_full_list_items_name_their_environment(api, project):
    first = make_event(project, message="m", environment="staging")
    make_event(project, message="m", environment="")
    items = get_json(api, events_url(first.issue), full="true")
    assert [item["environment"] for item in items] == [None, "staging"]
    assert [
        item["environment"]
        for item in get_json(api, events_url(first.issue), full="true", environment="staging")
    ] == ["staging"]


# ---- the short-id lookup when it finds nothing, or an issue the requester may not see -----


def test_short_id_of_a_hidden_issue_of_an_organization_of_others_is_403(api, foreign_issue):
    foreign_issue.status = IssueStatus.PENDING_DELETION
    foreign_issue.save()
    other = foreign_issue.project.organization
    response = api.get(short_id_url(other, foreign_issue.qualified_short_id))
    assert_error(response, 403, PERMISSION_DENIED)


def test_short_id_lookup_by_an_active_superuser_who_is_not_a_member(foreign_issue):
    other = foreign_issue.project.organization
    client = client_for(UserFactory(is_superuser=True, is_staff=True), ["event:read"])
    lookup = get_json(client, short_id_url(other, foreign_issue.qualified_short_id))
    assert (lookup["organizationSlug"], lookup["groupId"]) == (other.slug, str(foreign_issue.pk))
    assert_error(client.get(short_id_url(other, "NO-SUCH-1")), 404, NOT_FOUND)


def test_short_id_lookup_names_the_organization_by_id_or_slug(api, organization, issue):
    by_id = f"/api/0/organizations/{organization.pk}/shortids/{issue.qualified_short_id}/"
    assert get_json(api, by_id) == get_json(
        api, short_id_url(organization, issue.qualified_short_id)
    )
    for unknown in (organization.pk + 1000, 2**70):
        url = f"/api/0/organizations/{unknown}/shortids/{issue.qualified_short_id}/"
        assert api.get(url).status_code == 404


@pytest.mark.parametrize("route", ["list", "shortids"])
def test_a_response_is_freed_when_the_server_is_done_with_it(token, issue, route):
    """DRF leaves a response in reference cycles; the endpoints break them once it is
    rendered, so that a large list is not left to the cyclic garbage collector."""
    organization = issue.project.organization
    url = (
        events_url(issue)
        if route == "list"
        else short_id_url(organization, issue.qualified_short_id)
    )
    request = RequestFactory().get(url, HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    gc.collect()
    gc.disable()
    try:
        response = WSGIHandler().get_response(request)
        assert response.status_code == 200, response.content
        freed = weakref.ref(response)
        del response
        assert freed() is None
    finally:
        gc.enable()

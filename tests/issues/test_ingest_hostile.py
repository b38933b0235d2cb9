"""Hostile envelopes and events through the ingest endpoints (issue 12, point 10): each is
refused with Relay's status and detail, or normalised and stored as Relay stores it, never a
500; what is accepted is digested, none lost, and read back through the API. docs/ingest.md
holds the same table, with what Relay does beside it."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import ProjectKey
from issues.models import Event, IngestItem
from tests.factories import EventPayloadFactory
from tests.helpers import envelope, events_url, issue_url
from tests.issues.hostile import (
    AUTH,
    EVENT_ID,
    REFUSED,
    digest,
    event_item,
    nested,
    post,
    tags_of,
    with_event,
)

# The project, its member and token are built once for the module (conftest's shared_rows).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]


@pytest.fixture
def key(project) -> ProjectKey:
    return ProjectKey.objects.get(project=project)


@pytest.mark.parametrize("case", REFUSED)
def test_a_hostile_request_is_refused_as_relay_refuses_it(project, key, case):
    refusal = REFUSED[case]

    response = post(
        project,
        refusal.body.replace(b"{key}", key.public_key.encode()).replace(
            b"{project}", str(project.pk).encode()
        ),
        endpoint=refusal.endpoint,
        auth=refusal.auth,
        key=key,
        project_id=refusal.project_id,
    )

    assert response.status_code == refusal.status, response.content
    assert response.json() == {"detail": refusal.detail}
    assert not IngestItem.objects.exists()


# ---- normalised and stored ------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A request built at test time (times are relative to now), and what the stored event
    must show: check(document of the events route, Event)."""

    build: Callable[[], bytes]
    check: Callable[[dict, Event], None]
    endpoint: str = "envelope"
    auth: str = AUTH
    answered_id: str | None = None


def shown(document: dict, name: str) -> datetime:
    return parse_datetime(document[name].replace("Z", "+00:00"))


def errors_of(event: Event) -> list[dict]:
    return event.data.get("errors", [])


def check_received_time(kind: str, sdk_time: str | None = None):
    """The timestamp became the received time, the SDK's kept in the errors and _meta."""

    def check(document, event):
        assert document["dateCreated"] == document["dateReceived"]
        assert event.datetime == event.received
        (error,) = errors_of(event)
        assert error["type"] == kind and error["name"] == "timestamp"
        assert parse_datetime(error["server_time"]) == event.received
        if sdk_time is not None:
            assert parse_datetime(error["sdk_time"]) == parse_datetime(sdk_time)
            assert event.data["_meta"]["timestamp"][""]["err"] == [
                [kind, {"sdk_time": error["sdk_time"], "server_time": error["server_time"]}]
            ]

    return check


def check_invalid_timestamp(value):
    def check(document, event):
        assert document["dateCreated"] == document["dateReceived"]
        assert errors_of(event) == [{"type": "invalid_data", "name": "timestamp", "value": value}]

    return check


def check_nul_free(document, event):
    assert "\\u0000" not in orjson.dumps(event.data).decode()
    assert document["message"] == "NUL inside"
    assert document["context"] == {"key": {"inner key": "inner value"}}
    assert tags_of(document)["tag"] == "value"
    assert document["metadata"]["value"] == "division by zero"


def check_drift_corrected(document, event):
    # The SDK's clock ran three hours ahead: its times move back by as much.
    assert document["dateCreated"] == document["dateReceived"]
    assert breadcrumb_times(document) == [event.received - timedelta(minutes=1)]
    (error,) = errors_of(event)
    assert error["type"] == "clock_drift"


def check_drift_past_the_calendar(document, event):
    assert document["dateCreated"] == document["dateReceived"]
    assert [error["type"] for error in errors_of(event)] == ["clock_drift", "future_timestamp"]


def three_hours_ahead() -> bytes:
    ahead = timezone.now() + timedelta(hours=3)
    crumb = {"timestamp": (ahead - timedelta(minutes=1)).isoformat(), "message": "before"}
    event = EventPayloadFactory(timestamp=ahead.isoformat(), breadcrumbs={"values": [crumb]})
    return with_event(event, sent_at=ahead.isoformat())


def breadcrumb_times(document: dict) -> list[datetime]:
    (entry,) = (entry for entry in document["entries"] if entry["type"] == "breadcrumbs")
    return [parse_datetime(crumb["timestamp"]) for crumb in entry["data"]["values"]]


def ten_minutes_off() -> bytes:
    sent = timezone.now() - timedelta(minutes=10)
    return with_event(EventPayloadFactory(timestamp=sent.isoformat()), sent_at=sent.isoformat())


def check_not_corrected(document, event):
    assert shown(document, "dateReceived") - shown(document, "dateCreated") >= timedelta(minutes=9)
    assert errors_of(event) == []


def check_event_id(expected: str, value):
    def check(document, event):
        assert document["eventID"] == event.event_id == expected
        assert errors_of(event) == [{"type": "invalid_data", "name": "event_id", "value": value}]

    return check


def check_id_only(expected: str):
    def check(document, event):
        assert document["eventID"] == expected
        assert errors_of(event) == []

    return check


LIMIT_TAGS = {
    "k" * 200: "key of 200",
    "k" * 201: "key over 200",
    "edge": "v" * 200,
    "long": "v" * 201,
    "": "empty key",
    "nothing": "",
    "number": 5,
    "flag": True,
    "object": {"a": 1},
    "release": "from a tag",
    "dist": "x",
    "environment": "staging",
}


def check_tag_limits(document, event):
    tags = tags_of(document)
    assert tags["k" * 200] == "key of 200" and tags["edge"] == "v" * 200
    assert (tags["number"], tags["flag"]) == ("5", "True")
    assert not {"k" * 201, "long", "", "nothing", "object", "dist", "release"} & set(tags)
    assert document["environment"] == "staging"
    assert sorted(error["type"] for error in errors_of(event)) == [
        "invalid_data",
        "nonempty",
        "nonempty",
        "value_too_long",
        "value_too_long",
    ]


def check_tags_dropped(document, event):
    assert set(tags_of(document)) == {"level", "environment", "user"}
    assert errors_of(event) == [{"type": "invalid_data", "name": "tags", "value": 5}]


def check_extra_trimmed(document, event):
    # Relay's bag depth 7: the object 6 levels below `extra` is kept as its JSON text.
    assert document["context"]["a"]["a"]["a"]["a"]["a"]["a"] == json.dumps(
        nested(14), separators=(",", ":")
    )
    assert document["context"]["flat"] == 1


def check_contexts_trimmed(document, event):
    deep = document["contexts"]["deep"]
    assert deep["a"]["a"]["a"]["a"]["a"]["a"] == json.dumps(nested(4), separators=(",", ":"))
    assert document["contexts"]["os"]["name"] == "Linux"


def check_127_deep(document, event):
    assert isinstance(document["context"]["a"]["a"]["a"]["a"]["a"]["a"], str)


def check_big_number(document, event):
    # Read back as the double they were read as (PostgreSQL's jsonb keeps its digits whole).
    context = document["context"]
    assert (float(context["big"]), float(context["negative"])) == (1e30, -1e30)


def check_stored(document, event):
    assert document["message"] == "Something broke"


def sent(**payload) -> Callable[[], bytes]:
    return lambda: with_event(EventPayloadFactory(**payload))


def stored(**payload) -> Callable[[], bytes]:
    return lambda: orjson.dumps(EventPayloadFactory(**payload))


def days_ago(days: int) -> str:
    return (timezone.now() - timedelta(days=days)).isoformat()


ACCEPTED = {
    "nul-everywhere": Accepted(
        sent(
            message="NUL\x00 inside",
            extra={"k\x00ey": {"inner\x00 key": "inner\x00 value"}},
            tags={"t\x00ag": "val\x00ue"},
            exception={"values": [{"type": "ZeroDivisionError", "value": "division\x00 by zero"}]},
        ),
        check_nul_free,
    ),
    "store-nul": Accepted(
        stored(
            message="NUL\x00 inside",
            extra={"k\x00ey": {"inner\x00 key": "inner\x00 value"}},
            tags={"tag\x00": "value"},
            exception={"values": [{"type": "ZeroDivisionError", "value": "division by zero\x00"}]},
        ),
        check_nul_free,
        endpoint="store",
    ),
    "timestamp-a-year-ago": Accepted(
        sent(timestamp="2025-01-01T00:00:00+00:00"),
        check_received_time("past_timestamp", "2025-01-01T00:00:00+00:00"),
    ),
    "timestamp-31-days-ago": Accepted(
        lambda: with_event(EventPayloadFactory(timestamp=days_ago(31))),
        check_received_time("past_timestamp"),
    ),
    "store-timestamp-in-1970": Accepted(
        stored(timestamp=0),
        check_received_time("past_timestamp", "1970-01-01T00:00:00+00:00"),
        endpoint="store",
    ),
    "timestamp-negative": Accepted(
        sent(timestamp=-1e9), check_received_time("past_timestamp", "1938-04-24T22:13:20+00:00")
    ),
    "timestamp-a-day-ahead": Accepted(
        lambda: with_event(EventPayloadFactory(timestamp=days_ago(-1))),
        check_received_time("future_timestamp"),
    ),
    "timestamp-year-9999": Accepted(
        sent(timestamp="9999-12-31T23:59:59Z"),
        check_received_time("future_timestamp", "9999-12-31T23:59:59+00:00"),
    ),
    "timestamp-not-a-time": Accepted(
        sent(timestamp="yesterday"), check_invalid_timestamp("yesterday")
    ),
    "timestamp-out-of-range": Accepted(sent(timestamp=1e20), check_invalid_timestamp(1e20)),
    "timestamp-an-object": Accepted(sent(timestamp={"at": 1}), check_invalid_timestamp({"at": 1})),
    "clock-three-hours-ahead": Accepted(three_hours_ahead, check_drift_corrected),
    "clock-ten-minutes-behind": Accepted(ten_minutes_off, check_not_corrected),
    "clock-drift-past-the-calendar": Accepted(
        lambda: with_event(
            EventPayloadFactory(timestamp="9999-12-31T23:59:59Z"),
            sent_at="0001-01-01T00:00:00Z",
        ),
        check_drift_past_the_calendar,
    ),
    "event-id-wrong-shape": Accepted(
        lambda: with_event(EventPayloadFactory(event_id="not-hex"), event_id=EVENT_ID),
        check_event_id(EVENT_ID, "not-hex"),
        answered_id=EVENT_ID,
    ),
    "event-id-a-number": Accepted(
        lambda: with_event(EventPayloadFactory(event_id=12345), event_id=EVENT_ID),
        check_event_id(EVENT_ID, 12345),
        answered_id=EVENT_ID,
    ),
    "event-id-braced": Accepted(
        sent(event_id="{9EC79C33-EC99-42AB-8353-589FCB2E04DC}"),
        check_id_only(EVENT_ID),
        answered_id=EVENT_ID,
    ),
    "event-id-urn": Accepted(
        stored(event_id="urn:uuid:9ec79c33-ec99-42ab-8353-589fcb2e04dc"),
        check_id_only(EVENT_ID),
        endpoint="store",
        answered_id=EVENT_ID,
    ),
    "tags-over-the-limits": Accepted(
        lambda: with_event({**EventPayloadFactory(environment=None), "tags": LIMIT_TAGS}),
        check_tag_limits,
    ),
    "tags-of-the-wrong-shape": Accepted(sent(tags=5), check_tags_dropped),
    "extra-nested-20-deep": Accepted(sent(extra={"a": nested(19), "flat": 1}), check_extra_trimmed),
    "contexts-nested-10-deep": Accepted(
        sent(contexts={"deep": {"a": nested(9)}, "os": {"name": "Linux"}}),
        check_contexts_trimmed,
    ),
    "extra-nested-127-deep": Accepted(sent(extra=nested(126)), check_127_deep),
    "huge-numbers": Accepted(
        # Integers past 64 bits are read as doubles, as serde_json reads them.
        lambda: with_event(
            json.dumps(EventPayloadFactory(extra={"big": 10**30, "negative": -(10**30)})).encode()
        ),
        check_big_number,
    ),
    "envelope-header-over-8-kib": Accepted(
        lambda: envelope(event_item(EventPayloadFactory()), sdk={"name": "x" * 9000}),
        check_stored,
    ),
    "item-header-over-8-kib": Accepted(
        lambda: envelope(({"type": "event", "filename": "x" * 9000}, EventPayloadFactory())),
        check_stored,
    ),
    "auth-header-over-8-kib": Accepted(sent(), check_stored, auth=AUTH + ", x=" + "x" * 9000),
    "unknown-items-around": Accepted(
        lambda: envelope(
            ({"type": "future_thing"}, b"\x00\xff binary"),
            event_item(EventPayloadFactory()),
            ({"type": "attachment", "length": None}, b"no length"),
        ),
        check_stored,
    ),
}


def as_stored(value):
    """The JSON value with its numbers as doubles: PostgreSQL's jsonb reads 1e30 back as the
    integer it is."""
    if isinstance(value, dict):
        return {key: as_stored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_stored(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


@pytest.mark.parametrize("case", ACCEPTED)
def test_a_hostile_event_is_normalised_then_stored_and_shown(api, project, key, case):
    accepted = ACCEPTED[case]

    response = post(
        project, accepted.build(), endpoint=accepted.endpoint, auth=accepted.auth, key=key
    )

    assert response.status_code == 200, response.content
    event_id = response.json()["id"]
    assert accepted.answered_id in (None, event_id)
    queued = orjson.loads(IngestItem.objects.get(event_id=event_id).payload)
    digest()
    assert not IngestItem.objects.exists()
    event = Event.objects.get(project=project, event_id=event_id)
    assert as_stored(event.data) == as_stored(queued)  # the payload queued is the one stored
    assert api.get(issue_url(event.issue)).status_code == 200
    document = api.get(events_url(event.issue, event_id))
    assert document.status_code == 200, document.content
    accepted.check(document.json(), event)

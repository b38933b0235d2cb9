"""Hostile envelopes and events through the ingest endpoints (issue 12, point 10): each is
refused with Relay's status and detail, or normalised and stored as Relay stores it, never a
500; what is accepted is digested, none lost, and read back through the API. docs/ingest.md
holds the same table, with what Relay does beside it."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import StringIO

import orjson
import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import ProjectKey
from issues.ingest.apis import BAD_PROJECT, REJECTED
from issues.ingest.envelopes import (
    BAD_AUTH_HEADER,
    BAD_PUBLIC_KEY,
    EMPTY_BODY,
    INVALID_ENVELOPE,
    MISSING_AUTH,
)
from issues.models import Event, IngestItem
from tests.factories import EventPayloadFactory
from tests.helpers import envelope, events_url, ingest_url, issue_url
from tests.issues.payloads import BAD_EVENT_IDS

# The project, its member and token are built once for the module (conftest's shared_rows).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]

AUTH = "Sentry sentry_key={key}, sentry_version=7, sentry_client=sentry.python/2.0"
EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"


def nested(depth: int, leaf="end"):
    """{"a": {"a": ... leaf}} with `depth` objects."""
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def event_item(event) -> tuple[dict, bytes]:
    return {"type": "event"}, event if isinstance(event, bytes) else orjson.dumps(event)


def with_event(event, **headers) -> bytes:
    return envelope(event_item(event), **headers)


def invalid_json(cause: str) -> str:
    return f"invalid JSON data: {cause}"


# ---- refused --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    body: bytes  # "{key}" and "{project}" stand for the project's key and id
    status: int
    detail: str
    endpoint: str = "envelope"
    auth: str | None = AUTH  # X-Sentry-Auth; "{key}" is the project's key
    project_id: str | None = None  # in the path; None: the project's


EVENT = orjson.dumps({"message": "hello"})
REFUSED = {
    # Bodies and envelopes that are not what they say (Relay: BadStoreRequest, EnvelopeError).
    "empty-envelope": Refusal(b"", 400, EMPTY_BODY),
    "empty-store": Refusal(b"", 400, EMPTY_BODY, endpoint="store"),
    "blank-envelope": Refusal(b"\n\n", 400, INVALID_ENVELOPE),
    "truncated-header": Refusal(b'{"event_id":', 400, INVALID_ENVELOPE),
    "truncated-payload": Refusal(envelope(event_item(EVENT))[:-8], 400, INVALID_ENVELOPE),
    "length-too-long": Refusal(
        b'{}\n{"type":"event","length":500}\n' + EVENT + b"\n", 400, INVALID_ENVELOPE
    ),
    "length-too-short": Refusal(
        b'{}\n{"type":"event","length":5}\n' + EVENT + b"\n", 400, INVALID_ENVELOPE
    ),
    "length-negative": Refusal(
        b'{}\n{"type":"event","length":-1}\n' + EVENT + b"\n", 400, INVALID_ENVELOPE
    ),
    "length-fraction": Refusal(
        b'{}\n{"type":"event","length":2.5}\n' + EVENT + b"\n", 400, INVALID_ENVELOPE
    ),
    "length-text": Refusal(
        b'{}\n{"type":"event","length":"17"}\n' + EVENT + b"\n", 400, INVALID_ENVELOPE
    ),
    "length-over-u32": Refusal(
        b'{}\n{"type":"event","length":4294967296}\n' + EVENT + b"\n", 400, INVALID_ENVELOPE
    ),
    "header-not-json": Refusal(b"not json\n", 400, INVALID_ENVELOPE),
    "header-not-object": Refusal(b"[1]\n", 400, INVALID_ENVELOPE),
    "header-event-id-wrong-shape": Refusal(
        with_event(EVENT, event_id="not-an-id"), 400, INVALID_ENVELOPE
    ),
    "header-event-id-number": Refusal(with_event(EVENT, event_id=12345), 400, INVALID_ENVELOPE),
    "header-sent-at-not-a-time": Refusal(
        with_event(EVENT, sent_at="yesterday"), 400, INVALID_ENVELOPE
    ),
    "header-lone-surrogate": Refusal(b'{"x":"\\ud800"}\n', 400, INVALID_ENVELOPE),
    "item-header-not-json": Refusal(b"{}\nnope\n{}\n", 400, INVALID_ENVELOPE),
    "item-header-not-object": Refusal(b'{}\n["event"]\n{}\n', 400, INVALID_ENVELOPE),
    "item-without-type": Refusal(b'{}\n{"length":2}\n{}\n', 400, INVALID_ENVELOPE),
    "item-type-not-text": Refusal(b'{}\n{"type":1,"length":2}\n{}\n', 400, INVALID_ENVELOPE),
    # Events that are not JSON objects, as Relay's parser (serde_json) reads JSON.
    "event-invalid-json": Refusal(
        with_event(b"{nope"),
        400,
        invalid_json("unexpected character, expected a string key: line 1 column 2 (char 1)"),
    ),
    "store-invalid-json": Refusal(
        b"{nope",
        400,
        invalid_json("unexpected character, expected a string key: line 1 column 2 (char 1)"),
        endpoint="store",
    ),
    **{
        f"{where}-not-an-object-{kind}": Refusal(
            with_event(body) if where == "event" else body,
            400,
            invalid_json("the event is not a JSON object"),
            endpoint="envelope" if where == "event" else "store",
        )
        for where in ("event", "store")
        for kind, body in (
            ("array", b"[1, 2]"),
            ("string", b'"event"'),
            ("number", b"1"),
            ("null", b"null"),
        )
    },
    "event-lone-surrogate": Refusal(
        with_event(b'{"message": "\\ud800"}'),
        400,
        invalid_json("no low surrogate in string: line 1 column 14 (char 13)"),
    ),
    "store-lone-low-surrogate": Refusal(
        b'{"message": "\\udc00"}',
        400,
        invalid_json("invalid high surrogate in string: line 1 column 14 (char 13)"),
        endpoint="store",
    ),
    "event-invalid-utf8": Refusal(
        with_event(b'{"message": "\xff"}'),
        400,
        invalid_json("str is not valid UTF-8: surrogates not allowed: line 1 column 1 (char 0)"),
    ),
    "event-number-out-of-range": Refusal(
        with_event(b'{"extra": {"n": 1e400}}'),
        400,
        invalid_json("number is infinity when parsed as double: line 1 column 17 (char 16)"),
    ),
    "event-nested-128-deep": Refusal(
        with_event({"extra": nested(127)}), 400, invalid_json("recursion limit exceeded")
    ),
    "store-nested-2000-deep": Refusal(
        b"[" * 2000 + b"]" * 2000,
        400,
        invalid_json("depth limit exceeded: line 1 column 1026 (char 1025)"),
        endpoint="store",
    ),
    **{
        f"store-event-id-{index}": Refusal(
            orjson.dumps({"event_id": bad, "message": "m"}),
            400,
            invalid_json("invalid event id"),
            endpoint="store",
        )
        for index, bad in enumerate(BAD_EVENT_IDS)
    },
    # Auth (Relay: BadEventMeta; a malformed key is Relay's 400, a 401 here).
    "no-auth": Refusal(with_event(EVENT), 401, MISSING_AUTH, auth=None),
    "auth-without-key": Refusal(with_event(EVENT), 401, BAD_AUTH_HEADER, auth="Sentry x=1"),
    "auth-key-wrong-shape": Refusal(
        with_event(EVENT), 401, BAD_PUBLIC_KEY, auth="Sentry sentry_key=short"
    ),
    "auth-key-with-nul": Refusal(
        with_event(EVENT), 401, BAD_PUBLIC_KEY, auth="Sentry sentry_key={key}\x00"
    ),
    "project-id-over-u64": Refusal(with_event(EVENT), 400, BAD_PROJECT, project_id=str(2**64)),
    "project-id-of-5000-digits": Refusal(
        with_event(EVENT), 400, BAD_PROJECT, project_id="9" * 5000
    ),
    # The envelope's dsn against the request (Relay: "header mismatch").
    "dsn-of-another-project": Refusal(
        with_event(EVENT, dsn="http://{key}@testserver/999999"), 400, INVALID_ENVELOPE
    ),
    "dsn-of-another-key": Refusal(
        with_event(EVENT, dsn=f"http://{'ab' * 16}@testserver/{{project}}"), 400, INVALID_ENVELOPE
    ),
    "dsn-project-not-a-number": Refusal(
        with_event(EVENT, dsn="http://{key}@testserver/pump"), 400, INVALID_ENVELOPE
    ),
    "auth-unknown-key": Refusal(
        with_event(EVENT), 403, REJECTED, auth="Sentry sentry_key=" + "ab" * 16
    ),
}


@pytest.fixture
def key(project) -> ProjectKey:
    return ProjectKey.objects.get(project=project)


def post(project, body: bytes, *, endpoint="envelope", auth=AUTH, key=None, project_id=None):
    headers = {}
    if auth is not None:
        headers["HTTP_X_SENTRY_AUTH"] = auth.replace("{key}", key.public_key if key else "")
    return Client().post(
        f"/api/{project_id}/{endpoint}/" if project_id else ingest_url(project, endpoint),
        body,
        content_type="application/x-sentry-envelope"
        if endpoint == "envelope"
        else "application/json",
        **headers,
    )


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


def tags_of(document: dict) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in document["tags"]}


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


def digest() -> None:
    call_command("digest_events", "--once", stdout=StringIO())


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


# ---- very many tags -------------------------------------------------------------------------

MANY = 10_000


def test_ten_thousand_tags_are_accepted_and_queued_whole(project, key):
    tags = {f"key{n}": f"value{n}" for n in range(MANY)}

    response = post(project, with_event(EventPayloadFactory(tags=tags)), key=key)

    assert response.status_code == 200, response.content
    queued = orjson.loads(IngestItem.objects.get().payload)
    assert queued["tags"] == [list(pair) for pair in tags.items()]


@pytest.mark.xfail(
    connection.vendor == "sqlite",
    raises=OperationalError,
    strict=True,
    reason="record_event's tag filter ORs one term per tag: SQLite's expression depth is 1000",
)
def test_ten_thousand_tags_are_digested(api, project, key):
    tags = {f"key{n}": f"value{n}" for n in range(MANY)}
    response = post(project, with_event(EventPayloadFactory(tags=tags)), key=key)
    assert response.status_code == 200, response.content

    digest()

    event = Event.objects.get(event_id=response.json()["id"])
    assert len(tags_of(api.get(events_url(event.issue, event.event_id)).json())) == MANY + 3


# ---- explored -------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    # Any code point, lone surrogates and NUL included (json.dumps escapes them).
    st.text(st.characters(exclude_categories=()), max_size=20),
    st.sampled_from(["\x00", "2020-01-01T00:00:00", "9" * 40, "", "{{ default }}"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.text(st.characters(exclude_categories=()), max_size=6), inner, max_size=3
        ),
    ),
    max_leaves=12,
)
FIELDS = [
    "event_id",
    "timestamp",
    "received",
    "level",
    "logger",
    "platform",
    "message",
    "logentry",
    "culprit",
    "transaction",
    "environment",
    "release",
    "dist",
    "user",
    "tags",
    "contexts",
    "extra",
    "fingerprint",
    "exception",
    "request",
    "server_name",
    "sdk",
    "breadcrumbs",
    "errors",
    "_meta",
]


@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    event=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6),
    endpoint=st.sampled_from(["envelope", "store"]),
)
def test_any_json_event_is_refused_with_a_400_or_stored(project, key, event, endpoint):
    """Found nothing over 3,000 examples of this and of events shaped like Sentry's
    interfaces (exception, frames, user, contexts...) with values of any type, on both
    databases: the 20 here keep it so."""
    data = json.dumps(event).encode()  # lone surrogates as \\ud800 escapes
    body = data if endpoint == "store" else with_event(data)
    IngestItem.objects.all().delete()

    response = post(project, body, endpoint=endpoint, key=key)

    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        digest()
        assert not IngestItem.objects.exists()
        assert Event.objects.filter(project=project, event_id=response.json()["id"]).exists()
    else:
        assert set(response.json()) == {"detail"}

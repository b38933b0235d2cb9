"""The ingest endpoints against what no table lists: events with any JSON in Sentry's fields,
envelopes of any shape (hypothesis, derandomized), and an event of 10,000 tags. Each is a 4xx
with a `detail` or an event stored, never a 500 (docs/ingest.md)."""

import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import ProjectKey
from issues.models import Event, IngestItem
from tests.factories import EventPayloadFactory
from tests.helpers import events_url
from tests.issues.hostile import digest, post, tags_of, with_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]


@pytest.fixture
def key(project) -> ProjectKey:
    return ProjectKey.objects.get(project=project)


# ---- very many tags -------------------------------------------------------------------------

MANY = 10_000


def test_ten_thousand_tags_are_accepted_and_queued_whole(project, key):
    tags = {f"key{n}": f"value{n}" for n in range(MANY)}

    response = post(project, with_event(EventPayloadFactory(tags=tags)), key=key)

    assert response.status_code == 200, response.content
    queued = orjson.loads(IngestItem.objects.get().payload)
    assert queued["tags"] == [list(pair) for pair in tags.items()]


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
    """Found nothing over 4,500 examples: 1,500 of this on each database, 1,500 events
    shaped like Sentry's interfaces (exception, frames, user, contexts...) with values of any
    type on PostgreSQL. The 20 here keep it so."""
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


ENVELOPE_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "event_id": st.one_of(VALUES, st.uuids().map(lambda value: value.hex)),
        "sent_at": st.one_of(VALUES, st.datetimes().map(lambda moment: f"{moment.isoformat()}Z")),
        "dsn": VALUES,
    },
).map(lambda headers: json.dumps(headers).encode())
ITEM_HEADERS = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(["event", "attachment", "session", "unknown"]), VALUES)},
    optional={"length": st.one_of(st.integers(min_value=-2, max_value=100), VALUES)},
)
PAYLOADS = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4).map(
        lambda event: json.dumps(event).encode()
    ),
    st.binary(max_size=20),
)
ITEMS = st.lists(
    st.tuples(ITEM_HEADERS, PAYLOADS, st.sampled_from([b"\n", b"", b"\n\n"])), max_size=3
)


@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    headers=st.one_of(ENVELOPE_HEADERS, st.binary(max_size=20)),
    items=ITEMS,
    newline=st.sampled_from([b"\n", b"", b" \n"]),
)
def test_any_envelope_is_refused_with_a_4xx_or_stored(project, key, headers, items, newline):
    """Found nothing over 3,500 examples on both databases: the 15 here keep it so."""
    body = headers + newline
    body += b"".join(json.dumps(head).encode() + b"\n" + data + end for head, data, end in items)
    IngestItem.objects.all().delete()

    response = post(project, body, key=key)

    assert response.status_code in (200, 400, 401), response.content
    if response.status_code != 200:
        assert set(response.json()) == {"detail"}
    elif response.json():
        digest()
        assert not IngestItem.objects.exists()
        assert Event.objects.filter(project=project, event_id=response.json()["id"]).exists()

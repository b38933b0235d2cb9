"""The ingest endpoints, through HTTP: what SDKs post (envelopes, legacy store bodies), their
auth, limits, encodings and CORS, and what is queued for the digest."""

import functools
import gzip
import json
import tracemalloc
import uuid
import zlib
from io import BytesIO

import brotli
import orjson
import pytest
import zstandard
from django.test import Client

from accounts.models import ProjectKey
from issues.ingest.intake import EVENT_TOO_LARGE
from issues.models import IngestItem
from issues_api.wsgi import application
from tests.factories import EventPayloadFactory, ProjectFactory, ProjectKeyFactory
from tests.helpers import envelope, ingest_url, sentry_auth
from tests.issues.payloads import BAD_EVENT_IDS, MALFORMED_INTERFACES
from tests.serving.test_chunked import call, keep_the_test_connection, make_environ

pytestmark = pytest.mark.django_db

ENVELOPE_TYPE = "application/x-sentry-envelope"


@pytest.fixture
def client():
    # Not DRF's APIClient: SDKs send raw bytes, and CSRF checks must be on as in production.
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def key(project) -> ProjectKey:
    """The default key every project gets."""
    return ProjectKey.objects.get(project=project)


def event_envelope(event: dict | None = None, **headers) -> bytes:
    event = EventPayloadFactory() if event is None else event
    return envelope(({"type": "event"}, event), **headers)


def post(client, project, body: bytes, *, endpoint="envelope", headers=None, query="", **extra):
    return client.post(
        ingest_url(project, endpoint) + query,
        body,
        content_type=ENVELOPE_TYPE if endpoint == "envelope" else "application/json",
        **(headers or {}),
        **extra,
    )


def queued(project) -> list[str]:
    return list(IngestItem.objects.filter(project=project).values_list("event_id", flat=True))


def assert_answer(response, status: int, body: dict) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == body
    assert response["Access-Control-Allow-Origin"] == "*"


# ---- accepted -------------------------------------------------------------------------------


def test_an_envelope_event_is_queued_and_answered_with_its_id(client, project, key):
    event = EventPayloadFactory()

    response = post(client, project, event_envelope(event), headers=sentry_auth(key.public_key))

    assert_answer(response, 200, {"id": event["event_id"]})
    item = IngestItem.objects.get()
    assert (item.project_id, item.event_id) == (project.pk, event["event_id"])
    # As Relay writes it: the time it was received added, tags as a list of pairs.
    assert orjson.loads(item.payload) == {
        **event,
        "tags": [list(pair) for pair in event["tags"].items()],
        "received": item.received.isoformat(),
    }


def test_a_store_body_is_queued(client, project, key):
    event = EventPayloadFactory()

    response = post(
        client,
        project,
        json.dumps(event).encode(),
        endpoint="store",
        headers=sentry_auth(key.public_key),
    )

    assert_answer(response, 200, {"id": event["event_id"]})
    assert queued(project) == [event["event_id"]]


def test_an_event_id_with_dashes_is_answered_and_queued_without_them(client, project, key):
    event_id = uuid.uuid4()
    event = EventPayloadFactory(event_id=str(event_id).upper())

    response = post(client, project, event_envelope(event), headers=sentry_auth(key.public_key))

    assert_answer(response, 200, {"id": event_id.hex})
    assert queued(project) == [event_id.hex]
    assert orjson.loads(IngestItem.objects.get().payload)["event_id"] == event_id.hex


def test_an_event_without_an_id_takes_the_envelopes_or_a_new_one(client, project, key):
    event = EventPayloadFactory()
    del event["event_id"]
    envelope_id = uuid.uuid4().hex

    from_header = post(
        client,
        project,
        event_envelope(event, event_id=envelope_id),
        headers=sentry_auth(key.public_key),
    )
    new = post(client, project, event_envelope(event), headers=sentry_auth(key.public_key))

    assert_answer(from_header, 200, {"id": envelope_id})
    new_id = new.json()["id"]
    assert new_id != envelope_id and len(new_id) == 32
    assert sorted(queued(project)) == sorted([envelope_id, new_id])


def test_a_retry_of_the_same_event_is_queued_once(client, project, key):
    body = event_envelope()

    first = post(client, project, body, headers=sentry_auth(key.public_key))
    retry = post(client, project, body, headers=sentry_auth(key.public_key))

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert IngestItem.objects.count() == 1


def test_items_other_than_events_are_skipped(client, project, key):
    event = EventPayloadFactory()
    others = [
        ({"type": kind}, {"some": "thing"})
        for kind in (
            "transaction",
            "session",
            "sessions",
            "client_report",
            "profile",
            "replay_event",
            "check_in",
            "log",
            "span",
            "statsd",
            "user_report",
            "unknown_future_type",
        )
    ]
    body = envelope(
        ({"type": "attachment", "filename": "a.bin"}, b"\x00\xff\n\x01binary"),
        *others,
        ({"type": "event"}, event),
        ({"type": "replay_recording"}, b"not json at all"),
    )

    response = post(client, project, body, headers=sentry_auth(key.public_key))

    assert_answer(response, 200, {"id": event["event_id"]})
    assert queued(project) == [event["event_id"]]


def test_an_envelope_without_an_event_is_answered_empty(client, project, key):
    body = envelope(({"type": "session"}, {"sid": "x"}), ({"type": "client_report"}, {}))

    response = post(client, project, body, headers=sentry_auth(key.public_key))

    assert_answer(response, 200, {})
    assert IngestItem.objects.count() == 0


def test_items_without_a_length_end_at_their_newline(client, project, key):
    event = EventPayloadFactory()
    body = envelope(
        ({"type": "session", "length": None}, {"sid": "x"}),
        ({"type": "event", "length": None}, event),
    )

    response = post(client, project, body, headers=sentry_auth(key.public_key))

    assert_answer(response, 200, {"id": event["event_id"]})


# ---- auth -----------------------------------------------------------------------------------


def test_each_way_of_naming_the_key_is_accepted(client, project, key):
    events = [EventPayloadFactory() for _ in range(4)]
    dsn = f"http://{key.public_key}@testserver/{project.pk}"

    answers = [
        post(client, project, event_envelope(events[0]), headers=sentry_auth(key.public_key)),
        post(
            client,
            project,
            event_envelope(events[1]),
            headers={"HTTP_AUTHORIZATION": f"Sentry sentry_key={key.public_key}"},
        ),
        post(client, project, event_envelope(events[2]), query=f"?sentry_key={key.public_key}"),
        post(client, project, event_envelope(events[3], dsn=dsn)),
    ]

    assert [answer.status_code for answer in answers] == [200] * 4
    assert sorted(queued(project)) == sorted(event["event_id"] for event in events)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_SENTRY_AUTH": "Sentry sentry_version=7"},
        {"HTTP_X_SENTRY_AUTH": "Sentry sentry_key=short, sentry_version=7"},
        {"HTTP_X_SENTRY_AUTH": "garbage"},
    ],
    ids=["missing", "no-key", "malformed-key", "garbage"],
)
def test_missing_or_malformed_auth_is_401(client, project, headers):
    response = post(client, project, event_envelope(), headers=headers)

    assert response.status_code == 401, response.content
    assert set(response.json()) == {"detail"}
    assert IngestItem.objects.count() == 0


def test_a_malformed_dsn_is_401(client, project):
    response = post(client, project, event_envelope(dsn="http://testserver/1"))

    assert response.status_code == 401, response.content


def test_unknown_inactive_or_other_projects_keys_are_403(client, project):
    inactive = ProjectKeyFactory(project=project, inactive=True)
    other = ProjectKey.objects.get(project=ProjectFactory())

    for public_key in (uuid.uuid4().hex, inactive.public_key, other.public_key):
        response = post(client, project, event_envelope(), headers=sentry_auth(public_key))
        assert response.status_code == 403, response.content
        assert set(response.json()) == {"detail"}
    assert IngestItem.objects.count() == 0


# ---- refused --------------------------------------------------------------------------------

BAD_ENVELOPES = {
    "empty": b"",
    "header-not-json": b"not json\n",
    "header-not-object": b"[1]\n",
    "item-header-not-json": b"{}\nnope\n{}\n",
    "item-without-type": b'{}\n{"length": 2}\n{}\n',
    "length-past-the-end": b'{}\n{"type": "event", "length": 500}\n{}\n',
    "length-negative": b'{}\n{"type": "event", "length": -1}\n{}\n',
    "event-not-json": envelope(({"type": "event"}, b"{nope")),
    "event-not-object": envelope(({"type": "event"}, [1, 2])),
    # Tags of the wrong shape are dropped, as Relay drops them (test_ingest_hostile.py).
    **{
        f"event-{name}": envelope(({"type": "event"}, EventPayloadFactory(**fields)))
        for name, fields in MALFORMED_INTERFACES.items()
        if name != "tags-int"
    },
}


@pytest.mark.parametrize("case", BAD_ENVELOPES)
def test_a_malformed_envelope_or_event_is_400_and_queues_nothing(client, project, key, case):
    response = post(client, project, BAD_ENVELOPES[case], headers=sentry_auth(key.public_key))

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"detail"}
    assert IngestItem.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b"", b"nope", b"[1]", *(orjson.dumps({"event_id": bad}) for bad in BAD_EVENT_IDS)],
)
def test_a_malformed_store_body_is_400(client, project, key, body):
    response = post(client, project, body, endpoint="store", headers=sentry_auth(key.public_key))

    assert response.status_code == 400, response.content
    assert IngestItem.objects.count() == 0


def test_an_event_over_the_event_limit_is_413(client, project, key, settings):
    settings.ISSUES_API_INGEST_MAX_EVENT_BYTES = 2000
    event = EventPayloadFactory(extra={"padding": "x" * 2000})

    for endpoint, body in (("envelope", event_envelope(event)), ("store", orjson.dumps(event))):
        response = post(
            client, project, body, endpoint=endpoint, headers=sentry_auth(key.public_key)
        )
        assert_answer(response, 413, {"detail": EVENT_TOO_LARGE})
    assert IngestItem.objects.count() == 0


def test_an_envelope_over_the_body_limit_is_413(client, project, key, settings):
    settings.ISSUES_API_INGEST_MAX_BODY_BYTES = 4000
    body = envelope(
        ({"type": "attachment"}, b"x" * 4000), ({"type": "event"}, EventPayloadFactory())
    )

    response = post(client, project, body, headers=sentry_auth(key.public_key))

    assert_answer(response, 413, {"detail": "Request body is too large."})
    assert IngestItem.objects.count() == 0


def test_an_envelope_over_the_api_body_limit_but_under_its_own_is_accepted(client, project, key):
    body = envelope(
        ({"type": "attachment"}, b"x" * (1024 * 1024)), ({"type": "event"}, EventPayloadFactory())
    )

    response = post(client, project, body, headers=sentry_auth(key.public_key))

    assert response.status_code == 200, response.content


def test_a_key_over_its_rate_limit_is_429_with_relays_headers(client, project, key):
    key.rate_limit_count, key.rate_limit_window = 2, 60
    key.save()

    answers = [
        post(client, project, event_envelope(), headers=sentry_auth(key.public_key))
        for _ in range(3)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    limited = answers[-1]
    assert set(limited.json()) == {"detail"}
    retry_after = int(limited["Retry-After"])
    assert 1 <= retry_after <= 60
    assert limited["X-Sentry-Rate-Limits"] == f"{retry_after}::key"
    assert IngestItem.objects.count() == 2


def test_an_event_of_a_discarded_issue_is_accepted(client, project, key, api, issue):
    # Discarded issues' events are dropped by the digest, not refused: the SDK must not retry.
    assert (
        api.put(f"/api/0/issues/{issue.pk}/", {"discard": True}, format="json").status_code == 204
    )
    response = post(client, project, event_envelope(), headers=sentry_auth(key.public_key))

    assert response.status_code == 200, response.content


# ---- encodings ------------------------------------------------------------------------------

ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "deflate-raw": lambda data: zlib.compress(data, wbits=-15),
    "br": brotli.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
    "identity": lambda data: data,
}


@pytest.mark.parametrize("encoding", ENCODERS)
@pytest.mark.parametrize("endpoint", ["envelope", "store"])
def test_each_content_encoding_is_decompressed(client, project, key, encoding, endpoint):
    event = EventPayloadFactory()
    body = event_envelope(event) if endpoint == "envelope" else orjson.dumps(event)

    response = post(
        client,
        project,
        ENCODERS[encoding](body),
        endpoint=endpoint,
        headers=sentry_auth(key.public_key),
        HTTP_CONTENT_ENCODING=encoding.removesuffix("-raw"),
    )

    assert_answer(response, 200, {"id": event["event_id"]})


def test_a_corrupt_or_unknown_encoding_is_refused(client, project, key):
    body = event_envelope()
    corrupt = post(
        client,
        project,
        gzip.compress(body)[:-10],
        headers=sentry_auth(key.public_key),
        HTTP_CONTENT_ENCODING="gzip",
    )
    unknown = post(
        client, project, body, headers=sentry_auth(key.public_key), HTTP_CONTENT_ENCODING="compress"
    )

    assert corrupt.status_code == 400, corrupt.content
    assert unknown.status_code == 415, unknown.content


@functools.cache
def gigabyte_of_zeros(encoding: str) -> bytes:
    """A body that inflates to 1 GiB: gzip members or zstd frames of 1 MiB each, one after the
    other (both formats allow it), or brotli of the gigabyte itself."""
    mebibyte = b"\0" * (1024 * 1024)
    if encoding == "gzip":
        return gzip.compress(mebibyte) * 1024
    if encoding == "zstd":
        return zstandard.ZstdCompressor().compress(mebibyte) * 1024
    return brotli.compress(mebibyte * 1024, quality=0)


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_decompression_bomb_is_413_without_inflating_it(client, project, key, encoding, settings):
    settings.ISSUES_API_INGEST_MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
    bomb = gigabyte_of_zeros(encoding)
    assert len(bomb) < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        response = post(
            client,
            project,
            bomb,
            headers=sentry_auth(key.public_key),
            HTTP_CONTENT_ENCODING=encoding,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert_answer(response, 413, {"detail": "Request body is too large once decompressed."})
    # The bound and the copy that joins its pieces at most: never the gigabyte.
    assert peak < 2.5 * 16 * 1024 * 1024, peak
    assert IngestItem.objects.count() == 0


@pytest.mark.usefixtures(keep_the_test_connection.__name__)
def test_a_chunked_envelope_without_content_length_is_read(project, key):
    """As @sentry/node sends it, through the WSGI application gunicorn serves."""
    event = EventPayloadFactory()
    environ = make_environ(
        method="POST",
        path=ingest_url(project),
        body=BytesIO(event_envelope(event)),
        CONTENT_TYPE=ENVELOPE_TYPE,
        **sentry_auth(key.public_key),
    )

    answer = call(application, environ)

    assert answer["status"].startswith("200"), answer
    assert json.loads(answer["body"]) == {"id": event["event_id"]}
    assert queued(project) == [event["event_id"]]


# ---- CORS and routes ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["envelope", "store"])
def test_the_cors_preflight_allows_what_sdks_send(client, project, endpoint):
    response = client.options(
        ingest_url(project, endpoint),
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-sentry-auth",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert allowed >= {"content-type", "x-sentry-auth", "authentication", "sentry-trace", "baggage"}


def test_the_url_prefix_path_is_served_too(client, project, key, settings):
    settings.ISSUES_API_URL_PREFIX = "https://example.com/sentry"
    event = EventPayloadFactory()

    prefixed = client.post(
        ingest_url(project, prefix="/sentry"),
        event_envelope(event),
        content_type=ENVELOPE_TYPE,
        **sentry_auth(key.public_key),
    )
    elsewhere = client.post(
        ingest_url(project, prefix="/other"),
        event_envelope(),
        content_type=ENVELOPE_TYPE,
        **sentry_auth(key.public_key),
    )

    assert_answer(prefixed, 200, {"id": event["event_id"]})
    assert elsewhere.status_code == 404


def test_other_methods_are_405(client, project):
    response = client.get(ingest_url(project))

    assert response.status_code == 405
    assert set(response.json()) == {"detail"}

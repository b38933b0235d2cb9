"""The hostile requests of the ingest tests (test_ingest_hostile.py, test_ingest_explored.py):
the refusals table, with Relay's status and detail for each, and the helpers that post and
digest them. docs/ingest.md holds the same table, with what Relay does beside it."""

from dataclasses import dataclass
from io import StringIO

import orjson
from django.core.management import call_command
from django.test import Client

from issues.ingest.envelopes import (
    BAD_AUTH_HEADER,
    BAD_PUBLIC_KEY,
    EMPTY_BODY,
    INVALID_ENVELOPE,
    MISSING_AUTH,
)
from issues.ingest.intake import BAD_PROJECT, REJECTED
from tests.helpers import envelope, ingest_url
from tests.issues.payloads import BAD_EVENT_IDS

AUTH = "Sentry sentry_key={key}, sentry_version=7, sentry_client=sentry.python/2.0"
EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"

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


def post(project, body: bytes, *, endpoint="envelope", auth=AUTH, key=None, project_id=None):
    """Post as an SDK does: `auth` is the X-Sentry-Auth header, "{key}" the project's key."""
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


def tags_of(document: dict) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in document["tags"]}


def digest() -> None:
    call_command("digest_events", "--once", stdout=StringIO())


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

"""The ingest routes under gunicorn's ASGI worker (issues.ingest_asgi), as production
serves them (deploy/gunicorn/ingest.py): the same answers as Django's WSGI view, since both
drive issues.ingest.intake; the events of requests waiting together committed with one
statement (issues.services.accept_async); a lost database connection a 503, and the next
request served on a new one."""

import asyncio
import json
import uuid
from pathlib import Path

import orjson
import pytest
import sentry_sdk
from asgiref.sync import sync_to_async
from django.db import connection, connections

from accounts.dsn import dsn
from accounts.models import ProjectKey
from issues.ingest_asgi import IngestApplication, django_application
from issues.models import IngestItem
from issues.services.accept_async import AcceptQueue
from issues.services.ingest import accepted_rows
from tests.factories import EventPayloadFactory
from tests.helpers import direct_to_postgresql, envelope, ingest_url, issue_url
from tests.issues.hostile import REFUSED
from tests.serving.servers import BASE_DIR, gunicorn, served_environment, share_test_data
from tests.serving.test_wsgi_routes import served

# The front reads keys in another thread, and its queue writes on a connection of its own:
# both see committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)
on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="the queue batches on PostgreSQL; elsewhere the front calls events_accept",
)
CONTENT_TYPE = "application/x-sentry-envelope"


def auth_of(key: ProjectKey) -> str:
    return f"Sentry sentry_key={key.public_key}, sentry_version=7"


class Request:
    def __init__(self, path, body=b"", *, method="POST", query="", **headers):
        self.path, self.body, self.method, self.query = path, body, method, query
        self.headers = {name.lower(): value for name, value in headers.items()}

    def scope(self) -> dict:
        headers = [(b"content-length", str(len(self.body)).encode())]
        headers += [(name.encode(), value.encode()) for name, value in self.headers.items()]
        return {
            "type": "http",
            "method": self.method,
            "path": self.path,
            "query_string": self.query.encode("latin-1"),
            "headers": headers,
        }

    def through_wsgi(self) -> dict:
        environ = {
            f"HTTP_{name.upper().replace('-', '_')}": value for name, value in self.headers.items()
        }
        if "HTTP_CONTENT_TYPE" in environ:
            environ["CONTENT_TYPE"] = environ.pop("HTTP_CONTENT_TYPE")
        return served(self.method, self.path, self.body, self.query, **environ)


async def _closing(front) -> None:
    """What the front opened: its queue's connection, and the Django connection of the
    thread it reads keys in (else the test database cannot be dropped)."""
    await front.queue.close()
    await sync_to_async(connections.close_all)()


async def _call(front, request: Request) -> dict:
    answer = {"body": b""}
    received = False

    async def receive():
        nonlocal received
        if received:
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": request.body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {
                name.decode().lower(): value.decode() for name, value in message["headers"]
            }
        else:
            answer["body"] += message.get("body", b"")

    await front(request.scope(), receive, send)
    return answer


def through_asgi(front, *requests: Request) -> list[dict]:
    """The answers to `requests`, sent at once, in one event loop."""

    async def all_of_them():
        try:
            return await asyncio.gather(*(_call(front, request) for request in requests))
        finally:
            await _closing(front)

    return asyncio.run(all_of_them())


@pytest.fixture
def front():
    return IngestApplication(django_application)


@pytest.fixture
def key(project) -> ProjectKey:
    return ProjectKey.objects.get(project=project)


def an_envelope(event_id: str | None = None) -> bytes:
    return envelope(({"type": "event"}, EventPayloadFactory(event_id=event_id or uuid.uuid4().hex)))


def cors_and_body(answer: dict) -> tuple:
    """Status, body (its bytes: SDKs log them) and the headers that differ between answers."""
    headers = {name.lower(): value for name, value in answer["headers"].items()}
    kept = {
        name: headers.get(name)
        for name in (
            "access-control-allow-origin",
            "access-control-expose-headers",
            "allow",
            "content-type",
            "retry-after",
            "x-sentry-rate-limits",
        )
    }
    return answer["status"], answer["body"], kept


def test_every_answer_is_the_wsgi_views(front, project, key):
    requests = {
        name: Request(
            f"/api/{refusal.project_id}/{refusal.endpoint}/"
            if refusal.project_id
            else ingest_url(project, refusal.endpoint),
            refusal.body.replace(b"{key}", key.public_key.encode()).replace(
                b"{project}", str(project.pk).encode()
            ),
            **(
                {"X-Sentry-Auth": refusal.auth.replace("{key}", key.public_key)}
                if refusal.auth
                else {}
            ),
            **{"Content-Type": CONTENT_TYPE},
        )
        for name, refusal in REFUSED.items()
    }
    auth = {"X-Sentry-Auth": auth_of(key)}
    url = ingest_url(project)
    requests |= {
        "preflight": Request(url, method="OPTIONS"),
        "get": Request(url, method="GET", **auth),
        "another-prefix": Request(f"/elsewhere{url}", an_envelope(), **auth),
        "nul-in-query": Request(url, an_envelope(), query="sentry_key=%00"),
        "query-not-utf8": Request(url, an_envelope(), query="x=%ED%A0%80"),
        "key-in-query": Request(url, an_envelope(), query=f"sentry_key={key.public_key}"),
        "unknown-encoding": Request(url, an_envelope(), **auth, **{"Content-Encoding": "lzma"}),
        "too-long-project-id": Request("/api/123456789012345678901/envelope/", an_envelope()),
    }

    wsgi = {name: cors_and_body(request.through_wsgi()) for name, request in requests.items()}
    stored_by_wsgi = IngestItem.objects.count()
    IngestItem.objects.all().delete()
    answers = through_asgi(front, *requests.values())
    asgi = {name: cors_and_body(answer) for name, answer in zip(requests, answers, strict=True)}

    assert {name: answer for name, answer in asgi.items() if answer != wsgi[name]} == {}
    assert asgi["key-in-query"][0] == 200
    assert asgi["preflight"][:2] == (200, b"")
    assert asgi["preflight"][2]["access-control-allow-origin"] == "*"
    assert asgi["nul-in-query"][:2] == (400, b'{"detail": "NUL characters are not allowed."}')
    assert IngestItem.objects.count() == stored_by_wsgi == 1


def test_events_sent_together_are_each_answered_and_queued(front, project, key):
    ids = [uuid.uuid4().hex for _ in range(40)]
    requests = [
        Request(ingest_url(project), an_envelope(event_id), **{"X-Sentry-Auth": auth_of(key)})
        for event_id in ids
    ]

    answers = through_asgi(front, *requests)

    assert [answer["status"] for answer in answers] == [200] * 40
    assert [json.loads(answer["body"])["id"] for answer in answers] == ids
    assert answers[0]["headers"]["content-type"] == "application/json"
    assert sorted(IngestItem.objects.values_list("event_id", flat=True)) == sorted(ids)
    queued = IngestItem.objects.get(event_id=ids[0])
    assert orjson.loads(queued.payload)["event_id"] == ids[0]


@on_postgresql
def test_requests_waiting_together_are_committed_with_one_statement(
    front, project, key, monkeypatch
):
    statements = []
    execute = AcceptQueue._execute

    async def counted(queue, rows):
        statements.append(len(rows))
        await execute(queue, rows)

    monkeypatch.setattr(AcceptQueue, "_execute", counted)
    requests = [
        Request(ingest_url(project), an_envelope(), **{"X-Sentry-Auth": auth_of(key)})
        for _ in range(30)
    ]

    answers = through_asgi(front, *requests)

    assert {answer["status"] for answer in answers} == {200}
    assert sum(statements) == 30
    assert len(statements) < 30  # most of them shared a statement
    assert IngestItem.objects.count() == 30


@on_postgresql
def test_a_row_the_database_refuses_fails_its_own_request_only(project):
    queue = AcceptQueue()
    good = [uuid.uuid4().hex, uuid.uuid4().hex]
    rows = [
        accepted_rows(project.pk, [(event_id, {"event_id": event_id})], "2026-11-27T00:00:00Z")
        for event_id in good
    ]
    too_long = accepted_rows(project.pk, [("f" * 40, {})], "2026-11-27T00:00:00Z")

    async def together():
        try:
            return await asyncio.gather(
                queue.put(rows[0]), queue.put(too_long), queue.put(rows[1]), return_exceptions=True
            )
        finally:
            await queue.close()

    first, refused, second = asyncio.run(together())

    assert first is None and second is None
    assert isinstance(refused, Exception)
    assert sorted(IngestItem.objects.values_list("event_id", flat=True)) == sorted(good)


@on_postgresql
@direct_to_postgresql
def test_a_lost_connection_is_a_503_and_the_next_request_is_served(front, project, key):
    auth = {"X-Sentry-Auth": auth_of(key)}

    async def across_an_outage():
        try:
            before = await _call(front, Request(ingest_url(project), an_envelope(), **auth))
            pid = front.queue._connection.info.backend_pid
            await sync_to_async(_terminate)(pid)
            during = await _call(front, Request(ingest_url(project), an_envelope(), **auth))
            after = await _call(front, Request(ingest_url(project), an_envelope(), **auth))
            return before, during, after
        finally:
            await _closing(front)

    before, during, after = asyncio.run(across_an_outage())

    assert before["status"] == 200
    assert during["status"] == 503
    assert json.loads(during["body"]) == {
        "detail": "The database is unavailable. Try again shortly."
    }
    assert during["headers"]["retry-after"] == "5"
    assert after["status"] == 200
    assert IngestItem.objects.count() == 2


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def test_gunicorns_asgi_worker_serves_the_sdk_and_the_api(
    tmp_path: Path, project, key, api, issue, token
):
    environment = served_environment(tmp_path)
    share_test_data(tmp_path)
    config = BASE_DIR / "deploy" / "gunicorn" / "ingest.py"
    with gunicorn(tmp_path, environment, workers=1, config=config) as port:
        client = sentry_sdk.Client(
            dsn=dsn(key, prefix=f"http://127.0.0.1:{port}"),
            default_integrations=False,
            auto_enabling_integrations=False,
        )
        try:
            event_id = client.capture_event(
                {"message": "sent to the ASGI worker", "level": "error"}
            )
            client.flush(timeout=10)
        finally:
            client.close(timeout=10)
        import http.client

        other = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        other.request(
            "GET", issue_url(issue), headers={"Authorization": f"Bearer {token.plaintext}"}
        )
        document = other.getresponse()
        body = document.read()
        other.close()
    from tests.serving.servers import take_back_served_data

    take_back_served_data(tmp_path)
    assert document.status == 200, body
    assert json.loads(body)["id"] == str(issue.pk)
    queued = IngestItem.objects.get(project=project)
    assert queued.event_id == event_id
    assert orjson.loads(queued.payload)["message"] == "sent to the ASGI worker"


def test_a_key_over_its_rate_limit_is_429_with_relays_headers(front, project, key):
    key.rate_limit_count, key.rate_limit_window = 2, 60
    key.save()
    auth = {"X-Sentry-Auth": auth_of(key)}

    async def one_after_another():
        try:
            return [
                await _call(front, Request(ingest_url(project), an_envelope(), **auth))
                for _ in range(3)
            ]
        finally:
            await _closing(front)

    answers = asyncio.run(one_after_another())

    assert [answer["status"] for answer in answers] == [200, 200, 429]
    retry_after = int(answers[-1]["headers"]["retry-after"])
    assert 1 <= retry_after <= 60
    assert answers[-1]["headers"]["x-sentry-rate-limits"] == f"{retry_after}::key"
    assert IngestItem.objects.count() == 2

"""The production arrangement, served for real: Debian's nginx, with the repository's
deploy/nginx/issues-api.conf.template, in front of gunicorn (two sync workers, as the image and
`make run` serve it), on loopback ports of this machine.

- 64 clients that send their request a byte at a time hold no gunicorn worker through nginx:
  GETs still answer, each within a second. Without nginx, four of them hold both workers.
- A PUT whose body is chunked resolves the issue, through nginx and straight to gunicorn.
- A chunked body over the limit is a 413 in Sentry's format on both paths, and changes nothing;
  nginx refuses it by itself, at the same byte as the application.
- nginx's own errors (400, 404, 413, 414, 502) are JSON too, and the Host it passes on keeps
  the client's port (permalinks).

The servers are started once for the module and read the test database, on SQLite a file copy
of it that each test refreshes (tests/serving/servers.py). Without /usr/sbin/nginx the module is
skipped, except on CI (CI=true), where it fails instead: CI installs Debian's nginx package.
"""

import http.client
import json
import os
import socket
import sys
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import ProjectKey
from issues.models import IngestItem
from tests.environment import cannot_run
from tests.helpers import TOO_LARGE, envelope
from tests.serving.servers import (
    BASE_DIR,
    answers_http,
    free_port,
    gunicorn,
    running,
    served_environment,
    share_test_data,
    wait_for,
)

NGINX = Path("/usr/sbin/nginx")
TEMPLATE = BASE_DIR / "deploy" / "nginx" / "issues-api.conf.template"
MAX_BODY_BYTES = 256 * 1024
INGEST_MAX_BODY_BYTES = 1024 * 1024
SLOW_CLIENTS = 64
PROBES = 10

# One module, one pair of servers: keep its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("served")


def require_nginx() -> None:
    """Skip when nginx is missing here; on CI (CI=true) fail instead."""
    if NGINX.exists():
        return
    cannot_run(
        f"{NGINX} is missing: install Debian's nginx package "
        "(apt-get install nginx) to run the served tests",
        tests="the served tests",
    )


def render(template: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst does with the template: ${NAME} becomes its value."""
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    assert "${ISSUES_API_" not in template, "the template has a variable the tests do not set"
    return template


@dataclass
class Servers:
    nginx_port: int
    gunicorn_port: int
    directory: Path


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """gunicorn (two sync workers, as the image and `make run` serve it), and nginx in front
    of it, on the test database."""
    require_nginx()
    directory = tmp_path_factory.mktemp("served")
    with django_db_blocker.unblock():
        share_test_data(directory)
    environment = served_environment(
        directory,
        ISSUES_API_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
        ISSUES_API_INGEST_MAX_BODY_BYTES=str(INGEST_MAX_BODY_BYTES),
    )
    with (
        gunicorn(directory, environment, workers=2) as gunicorn_port,
        nginx_in_front_of(gunicorn_port, directory / "nginx") as nginx_port,
    ):
        yield Servers(nginx_port, gunicorn_port, directory)


@contextmanager
def nginx_in_front_of(upstream_port: int, directory: Path):
    """Debian's nginx with the repository's server block, proxying to `upstream_port` on
    loopback; yields the port it listens on."""
    directory.mkdir(exist_ok=True)
    port = free_port()
    site = render(
        TEMPLATE.read_text(),
        {
            "ISSUES_API_LISTEN": f"127.0.0.1:{port}",
            "ISSUES_API_UPSTREAM": f"127.0.0.1:{upstream_port}",
            # One gunicorn serves both here; production gives ingest its own.
            "ISSUES_API_INGEST_UPSTREAM": f"127.0.0.1:{upstream_port}",
            "ISSUES_API_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
            "ISSUES_API_INGEST_MAX_BODY_BYTES": str(INGEST_MAX_BODY_BYTES),
        },
    )
    (directory / "issues-api.conf").write_text(site)
    (directory / "nginx.conf").write_text(nginx_main_config(directory))
    command = [str(NGINX), "-p", str(directory), "-e", str(directory / "error.log")]
    command += ["-c", str(directory / "nginx.conf")]
    with running(command, directory / "output.log") as process:
        wait_for("nginx", lambda: answers_http(port), process, directory / "error.log")
        yield port


def nginx_main_config(directory: Path) -> str:
    """What /etc/nginx/nginx.conf is in the nginx image, with every path under `directory`,
    in the foreground; the server block is the repository's."""
    # As root, nginx's workers would switch to a user that cannot enter pytest's tmp dirs.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/issues-api.conf;
}}
"""


def seen_by_gunicorn(servers: Servers, method: str) -> int:
    """How many requests of `method` gunicorn has answered (its access log)."""
    log = servers.directory / "gunicorn-access.log"
    if not log.exists():
        return 0
    return sum(f'"{method} ' in line for line in log.read_text().splitlines())


def wait_until_answered(servers: Servers, method: str, count: int) -> None:
    """Until gunicorn has answered `count` requests of `method`: a request a client gave up
    on is still served, and must not read the database while the next test's set-up empties
    it (its TRUNCATE and the request's reads then wait for each other's locks)."""
    deadline = time.monotonic() + 10
    while seen_by_gunicorn(servers, method) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen_by_gunicorn(servers, method) >= count


@pytest.fixture
def served(servers, transactional_db, issue, token):
    """The servers, seeing this test's issue and token (committed: another process reads
    them)."""
    share_test_data(servers.directory)
    return servers


# ---- talking to them ------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        assert self.headers["Content-Type"] == "application/json", (self.status, self.body)
        return json.loads(self.body)


def get_issue(port: int, issue, token, timeout: float = 10) -> Answer:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        client.request(
            "GET",
            f"/api/0/issues/{issue.pk}/",
            headers={"Authorization": f"Bearer {token.plaintext}"},
        )
        response = client.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        client.close()


def send_chunked(port: int, request_line: str, headers: dict, body: bytes, chunk_size: int):
    """A request with `Transfer-Encoding: chunked`, as Sentry's SDKs send one, written on a raw
    socket: a server that refuses the body may close before it is all sent, and the answer
    it wrote is still read."""
    lines = [request_line, f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["Transfer-Encoding: chunked", "Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        try:
            client.sendall("\r\n".join(lines).encode())
            for start in range(0, len(body), chunk_size):
                chunk = body[start : start + chunk_size]
                client.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            client.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = http.client.HTTPResponse(client, method=request_line.split()[0])
        response.begin()
        return Answer(response.status, response.headers, response.read())


def put_chunked(port: int, issue, token, body: bytes, chunk_size: int = 8192) -> Answer:
    """A chunked PUT of the issue."""
    return send_chunked(
        port,
        f"PUT /api/0/issues/{issue.pk}/ HTTP/1.1",
        {"Authorization": f"Bearer {token.plaintext}", "Content-Type": "application/json"},
        body,
        chunk_size,
    )


def exchange(port: int, raw: bytes) -> Answer:
    """Send `raw` as it is and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(raw)
        response = http.client.HTTPResponse(client)
        response.begin()
        return Answer(response.status, response.headers, response.read())


class SlowClients:
    """Connections that send a request a byte at a time and never finish it."""

    REQUEST = b"GET /api/0/issues/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

    def __init__(self, port: int, count: int, interval: float = 0.2):
        self.sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        self.interval = interval
        self.stop = threading.Event()
        for sock in self.sockets:
            sock.sendall(self.REQUEST[:1])
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def trickle(self):
        sent = 1
        while not self.stop.wait(self.interval):
            byte = self.REQUEST[sent : sent + 1] or b"a"
            sent += 1
            for sock in self.sockets:
                # One that nginx closed shows in still_open().
                with suppress(OSError):
                    sock.sendall(byte)

    def still_open(self) -> list[bool]:
        """Whether each connection is still open, with nothing answered on it."""
        states = []
        for sock in self.sockets:
            try:
                sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:
                states.append(True)
            except OSError:
                states.append(False)
            else:
                states.append(False)
        return states

    def close(self):
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


@contextmanager
def slow_clients(port: int, count: int):
    clients = SlowClients(port, count)
    try:
        yield clients
    finally:
        clients.close()


# ---- the tests ------------------------------------------------------------------------------


def test_gets_through_nginx_answer_within_a_second_while_64_slow_clients_hang_on(
    served, issue, token
):
    # Each gunicorn worker has loaded Django and connected to the database before the clock runs.
    for _ in range(4):
        assert get_issue(served.nginx_port, issue, token).status == 200

    with slow_clients(served.nginx_port, SLOW_CLIENTS) as clients:
        time.sleep(1)
        for _ in range(PROBES):
            started = time.monotonic()
            answer = get_issue(served.nginx_port, issue, token, timeout=5)
            elapsed = time.monotonic() - started

            assert answer.status == 200, answer.body
            assert answer.json()["id"] == str(issue.pk)
            assert elapsed < 1.0, f"a GET took {elapsed:.2f} s"
        assert clients.still_open() == [True] * SLOW_CLIENTS


def test_without_nginx_four_slow_clients_hold_both_gunicorn_workers(served, issue, token):
    """Why nginx is there: the same clients straight to gunicorn leave nobody to answer."""
    gets_before = seen_by_gunicorn(served, "GET")
    assert get_issue(served.gunicorn_port, issue, token).status == 200

    with slow_clients(served.gunicorn_port, 4):
        time.sleep(1)
        with pytest.raises(TimeoutError):
            get_issue(served.gunicorn_port, issue, token, timeout=3)

    # Freed when the slow clients go away.
    assert get_issue(served.gunicorn_port, issue, token).status == 200
    # The first, the one given up on, and the last.
    wait_until_answered(served, "GET", gets_before + 3)


@pytest.mark.parametrize("front", ["nginx", "gunicorn"])
def test_a_chunked_put_resolves_the_issue(served, issue, token, front):
    port = served.nginx_port if front == "nginx" else served.gunicorn_port

    answer = put_chunked(port, issue, token, json.dumps({"status": "resolved"}).encode())

    assert answer.status == 200, answer.body
    assert answer.json()["status"] == "resolved"
    assert get_issue(port, issue, token).json()["status"] == "resolved"


@pytest.mark.parametrize("front", ["nginx", "gunicorn"])
def test_a_chunked_body_over_the_limit_is_413_and_changes_nothing(served, issue, token, front):
    port = served.nginx_port if front == "nginx" else served.gunicorn_port
    body = json.dumps({"status": "resolved", "padding": "x" * (400 * 1024)}).encode()
    puts_before = seen_by_gunicorn(served, "PUT")

    answer = put_chunked(port, issue, token, body)

    assert answer.status == 413, answer.body
    assert answer.json() == TOO_LARGE
    assert get_issue(port, issue, token).json()["status"] == "unresolved"
    if front == "nginx":
        # nginx refused it by itself: gunicorn never saw the request.
        assert seen_by_gunicorn(served, "PUT") == puts_before


@pytest.mark.parametrize(
    ("front", "detail"),
    [("nginx", "Bad request."), ("gunicorn", "The chunked request body could not be read.")],
)
def test_broken_chunk_framing_is_400_json_and_changes_nothing(served, issue, token, front, detail):
    port = served.nginx_port if front == "nginx" else served.gunicorn_port
    raw = (
        f"PUT /api/0/issues/{issue.pk}/ HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Authorization: Bearer {token.plaintext}\r\n"
        "Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        'zz\r\n{"status": "resolved"}\r\n0\r\n\r\n'
    ).encode()

    answer = exchange(port, raw)

    assert answer.status == 400, answer.body
    assert answer.json() == {"detail": detail}
    assert get_issue(port, issue, token).json()["status"] == "unresolved"


def padded(size: int) -> bytes:
    """A PUT body that resolves the issue and is exactly `size` bytes long."""
    body = json.dumps({"status": "resolved", "padding": ""}).encode()
    return body.replace(b'""', b'"' + b"x" * (size - len(body)) + b'"')


def test_nginx_and_the_application_draw_the_body_limit_at_the_same_byte(served, issue, token):
    over = put_chunked(served.nginx_port, issue, token, padded(MAX_BODY_BYTES + 1))
    assert over.status == 413, over.body
    assert get_issue(served.nginx_port, issue, token).json()["status"] == "unresolved"

    at_the_limit = put_chunked(served.nginx_port, issue, token, padded(MAX_BODY_BYTES))

    assert at_the_limit.status == 200, at_the_limit.body
    assert at_the_limit.json()["status"] == "resolved"


def test_permalinks_through_nginx_keep_the_host_and_port_the_client_used(served, issue, token):
    document = get_issue(served.nginx_port, issue, token).json()

    assert document["permalink"].startswith(f"http://127.0.0.1:{served.nginx_port}/")


NGINX_ERRORS = {
    "unreadable request line": (
        b"GARBAGE\r\n\r\n",
        400,
        "Bad request.",
    ),
    "headers too large": (
        b"GET /api/0/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        400,
        "Request headers are too large.",
    ),
    "URI too long": (
        b"GET /api/0/" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        414,
        "Request URI is too long.",
    ),
    "Content-Length over the limit": (
        b"PUT /api/0/issues/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999\r\n\r\n",
        413,
        "Request body is too large.",
    ),
    "a page of these errors": (
        b"GET /_issues_api_errors/400.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        404,
        "The requested resource does not exist",
    ),
}


@pytest.mark.parametrize("case", NGINX_ERRORS)
def test_nginx_answers_its_own_errors_in_sentrys_format(servers, case):
    raw, status, detail = NGINX_ERRORS[case]
    puts_before = seen_by_gunicorn(servers, "PUT")

    answer = exchange(servers.nginx_port, raw)

    assert answer.status == status, answer.body
    assert answer.json() == {"detail": detail}
    assert seen_by_gunicorn(servers, "PUT") == puts_before


def test_nginx_answers_for_a_stopped_gunicorn_in_sentrys_format(tmp_path):
    """502: nothing listens where gunicorn should."""
    require_nginx()
    with nginx_in_front_of(free_port(), tmp_path) as port:
        answer = exchange(port, b"GET /api/0/issues/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")

    assert answer.status == 502
    assert answer.json() == {"detail": "The service is unavailable."}


def test_without_nginx_the_served_tests_skip_except_on_ci(monkeypatch, missing_program_outcome):
    monkeypatch.setattr(sys.modules[__name__], "NGINX", Path("/nonexistent/nginx"))
    with pytest.raises(missing_program_outcome, match="nginx is missing"):
        require_nginx()


def post_envelope(port: int, project_id: int, public_key: str, body: bytes) -> Answer:
    """An envelope as @sentry/node sends it: chunked, without Content-Length."""
    return send_chunked(
        port,
        f"POST /api/{project_id}/envelope/ HTTP/1.1",
        {
            "X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7",
            "Content-Type": "application/x-sentry-envelope",
        },
        body,
        65536,
    )


def test_envelopes_through_nginx_have_their_own_body_limit(served, issue):
    """Over the API's limit and up to the ingest routes' own: accepted; past it, refused by
    nginx and the application at the same byte."""
    key = ProjectKey.objects.get(project=issue.project)
    event_id = uuid.uuid4().hex
    head = envelope(({"type": "event"}, {"event_id": event_id, "message": "Through nginx"}))
    item = b'{"type": "attachment", "length": %d}\n'

    def sized(size: int) -> bytes:
        padding = size - len(head) - len(item % 0) - 1
        padding -= len(str(padding)) - 1
        return head + (item % padding) + b"x" * padding + b"\n"

    at_the_limit = sized(INGEST_MAX_BODY_BYTES)
    assert len(at_the_limit) == INGEST_MAX_BODY_BYTES
    for front in ("nginx", "gunicorn"):
        port = served.nginx_port if front == "nginx" else served.gunicorn_port
        over = post_envelope(
            port, issue.project_id, key.public_key, sized(INGEST_MAX_BODY_BYTES + 1)
        )
        assert over.status == 413, (front, over.body)
        assert over.json() == TOO_LARGE

    accepted = post_envelope(served.nginx_port, issue.project_id, key.public_key, at_the_limit)

    assert accepted.status == 200, accepted.body
    assert accepted.json() == {"id": event_id}
    if connection.vendor == "postgresql":  # on SQLite the servers write to a copy
        assert IngestItem.objects.filter(event_id=event_id).exists()

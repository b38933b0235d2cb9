"""The WSGI wrapper that reads `Transfer-Encoding: chunked` bodies, with plain WSGI environ
dicts: first around a stand-in application, then around the real one (issues_api.wsgi).

tests/serving/test_served.py sends the same requests to a real gunicorn and nginx.
"""

import json
from io import BytesIO
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from issues.models import Issue, IssueStatus
from issues_api.api.parsers import PayloadTooLarge
from issues_api.chunked import TOO_LARGE, ChunkedRequestBodies
from issues_api.wsgi import application

BODY = json.dumps({"status": "resolved"}).encode()


class EndlessStream:
    """A chunked body that never ends; counts what was read from it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        assert size is not None
        assert size > 0, "an unbounded read of an endless body"
        self.read_bytes += size
        return b"x" * size


class SeenApplication:
    """Stands for Django: keeps the environ and the body it would read."""

    def __init__(self):
        self.environ = None
        self.body = None

    def __call__(self, environ, start_response):
        self.environ = environ
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body = environ["wsgi.input"].read(length)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"seen"]


def make_environ(method="PUT", path="/", body=b"", **extra):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "wsgi.input": body if hasattr(body, "read") else BytesIO(body),
        "wsgi.input_terminated": True,
        "HTTP_TRANSFER_ENCODING": "chunked",
        **extra,
    }
    setup_testing_defaults(environ)
    return environ


def call(app, environ):
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status
        answer["headers"] = dict(headers)

    answer["body"] = b"".join(app(environ, start_response))
    return answer


def test_a_chunked_body_reaches_the_application_with_its_length():
    inner = SeenApplication()

    answer = call(ChunkedRequestBodies(inner), make_environ(body=BODY))

    assert answer["status"] == "200 OK"
    assert inner.body == BODY
    assert inner.environ["CONTENT_LENGTH"] == str(len(BODY))


@pytest.mark.parametrize("codings", ["chunked", "Chunked", "gzip, chunked", "gzip,CHUNKED"])
def test_every_spelling_of_chunked_is_read(codings):
    inner = SeenApplication()

    call(ChunkedRequestBodies(inner), make_environ(body=BODY, HTTP_TRANSFER_ENCODING=codings))

    assert inner.body == BODY


def test_an_empty_chunked_body_has_length_zero():
    inner = SeenApplication()

    call(ChunkedRequestBodies(inner), make_environ(body=b""))

    assert inner.environ["CONTENT_LENGTH"] == "0"
    assert inner.body == b""


def test_a_chunked_body_at_the_limit_is_read_whole(settings):
    settings.ISSUES_API_MAX_BODY_BYTES = 1000
    inner = SeenApplication()

    call(ChunkedRequestBodies(inner), make_environ(body=b"x" * 1000))

    assert inner.body == b"x" * 1000


def test_a_chunked_body_past_the_limit_is_413_json_without_reading_the_rest(settings):
    settings.ISSUES_API_MAX_BODY_BYTES = 1000
    inner = SeenApplication()
    stream = EndlessStream()

    answer = call(ChunkedRequestBodies(inner), make_environ(body=stream))

    assert answer["status"] == "413 Request Entity Too Large"
    assert answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(answer["body"]) == {"detail": "Request body is too large."}
    assert stream.read_bytes == 1001
    assert inner.environ is None


class BrokenStream:
    """What gunicorn's input does with broken chunk framing: raise while reading."""

    def read(self, size=-1):
        raise ValueError("Invalid chunk size: b'zz'")


def test_a_chunked_body_that_cannot_be_read_is_400_json():
    inner = SeenApplication()

    answer = call(ChunkedRequestBodies(inner), make_environ(body=BrokenStream()))

    assert answer["status"] == "400 Bad Request"
    assert answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(answer["body"]) == {"detail": "The chunked request body could not be read."}
    assert inner.environ is None


def test_the_413_says_what_the_parser_says_for_a_long_content_length():
    assert PayloadTooLarge.default_detail == TOO_LARGE


def test_a_body_with_content_length_is_left_to_django():
    inner = SeenApplication()
    stream = BytesIO(BODY)
    environ = make_environ(body=stream, HTTP_TRANSFER_ENCODING="", CONTENT_LENGTH=str(len(BODY)))

    call(ChunkedRequestBodies(inner), environ)

    assert inner.environ["wsgi.input"] is stream
    assert inner.body == BODY


def test_a_request_without_a_body_is_left_alone():
    inner = SeenApplication()
    environ = make_environ(method="GET")
    del environ["HTTP_TRANSFER_ENCODING"]
    stream = environ["wsgi.input"]

    call(ChunkedRequestBodies(inner), environ)

    assert inner.environ["wsgi.input"] is stream
    assert "CONTENT_LENGTH" not in inner.environ or inner.environ["CONTENT_LENGTH"] in {"", "0"}


def test_a_chunked_body_from_a_server_that_does_not_end_the_input_is_411():
    """wsgiref (and so Django's runserver) passes the raw chunk framing on."""
    inner = SeenApplication()
    environ = make_environ(body=b"15\r\n" + BODY + b"\r\n0\r\n\r\n")
    del environ["wsgi.input_terminated"]

    answer = call(ChunkedRequestBodies(inner), environ)

    assert answer["status"] == "411 Length Required"
    assert answer["headers"]["Content-Type"] == "application/json"
    assert "Content-Length" in json.loads(answer["body"])["detail"]
    assert inner.environ is None


# ---- the real application, issues_api.wsgi.application -------------------------------------


@pytest.fixture
def keep_the_test_connection():
    """A served request closes the database connection when it ends, and with it the test's
    transaction; Django's test client holds these signals back in the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def put_chunked(issue, token, body):
    environ = make_environ(
        path=f"/api/0/issues/{issue.pk}/",
        body=body,
        CONTENT_TYPE="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token.plaintext}",
        SERVER_NAME="testserver",
        HTTP_HOST="testserver",
    )
    return call(application, environ)


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_the_test_connection")
def test_the_served_application_resolves_an_issue_from_a_chunked_put(issue, token):
    answer = put_chunked(issue, token, BODY)

    assert answer["status"] == "200 OK", answer["body"]
    assert json.loads(answer["body"])["status"] == "resolved"
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_the_test_connection")
def test_the_served_application_refuses_a_chunked_put_over_the_limit(issue, token):
    body = json.dumps({"status": "resolved", "padding": "x" * 400 * 1024}).encode()

    answer = put_chunked(issue, token, body)

    assert answer["status"].startswith("413 "), answer["body"]
    assert json.loads(answer["body"]) == {"detail": "Request body is too large."}
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.UNRESOLVED

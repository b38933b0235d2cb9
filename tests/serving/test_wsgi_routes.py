"""issues_api.wsgi.application, as gunicorn calls it: the ingest routes go to Django without
the API's middleware (issues_api.wsgi.IngestHandler), every other path with all of it."""

from io import BytesIO
from wsgiref.util import setup_testing_defaults

import pytest
from django.db import InterfaceError

from accounts.models import ProjectKey
from issues.models import IngestItem
from issues_api.wsgi import application
from tests.factories import EventPayloadFactory
from tests.helpers import envelope, ingest_url, issue_url
from tests.serving.test_chunked import keep_the_test_connection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(keep_the_test_connection.__name__)]


def served(method: str, path: str, body: bytes = b"", query: str = "", **headers) -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": BytesIO(body),
        **headers,
    }
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    result = application(environ, start_response)
    try:
        answer["body"] = b"".join(result)
    finally:
        result.close()
    return answer


def post_event(project, **extra) -> dict:
    key = ProjectKey.objects.get(project=project)
    body = envelope(({"type": "event"}, EventPayloadFactory()))
    return served(
        "POST",
        ingest_url(project),
        body,
        CONTENT_TYPE="application/x-sentry-envelope",
        HTTP_X_SENTRY_AUTH=f"Sentry sentry_key={key.public_key}, sentry_version=7",
        **extra,
    )


def test_an_envelope_is_queued_without_the_apis_middleware(project):
    answer = post_event(project)

    assert answer["status"] == 200, answer["body"]
    assert IngestItem.objects.filter(project=project).count() == 1
    # Relay's CORS headers, from the view; none of the API's (SentryHeadersMiddleware,
    # XFrameOptionsMiddleware, the session's Vary).
    assert answer["headers"]["Access-Control-Allow-Origin"] == "*"
    assert "X-Frame-Options" not in answer["headers"]
    assert "Content-Language" not in answer["headers"]
    assert "Vary" not in answer["headers"]


def test_the_api_keeps_every_middleware(api, issue, token):
    answer = served("GET", issue_url(issue), HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")

    assert answer["status"] == 200
    assert answer["headers"]["X-Frame-Options"] == "deny"
    assert answer["headers"]["Content-Language"] == "en"


def test_a_nul_in_an_ingest_query_is_a_400(project):
    answer = post_event(project, query="sentry_key=%00")

    assert answer["status"] == 400
    assert answer["body"] == b'{"detail": "NUL characters are not allowed."}'


def test_a_database_outage_on_an_ingest_route_is_a_503_json(project, monkeypatch):
    def unreachable(**_):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr("issues.ingest.apis.events_accept", unreachable)
    answer = post_event(project)

    assert answer["status"] == 503
    assert answer["headers"]["Content-Type"] == "application/json"
    assert answer["headers"]["Retry-After"]
    assert IngestItem.objects.count() == 0

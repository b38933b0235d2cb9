"""The ingest endpoints keep the client keys they read for ISSUES_API_INGEST_KEY_CACHE_SECONDS
(accounts.selectors.project_key_by_public_key): a change saved in this process is seen at
once, a change made elsewhere (another process, here a queryset update that sends no signal)
after the delay at most, and never with the delay at 0."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ProjectKey
from issues.ingest.intake import REJECTED
from tests.factories import EventPayloadFactory
from tests.helpers import envelope, ingest_url, sentry_auth

pytestmark = pytest.mark.django_db


def send(project, key: ProjectKey):
    return Client().post(
        ingest_url(project, "envelope"),
        envelope(({"type": "event"}, EventPayloadFactory())),
        content_type="application/x-sentry-envelope",
        **sentry_auth(key.public_key),
    )


@pytest.fixture
def key(project) -> ProjectKey:
    return ProjectKey.objects.get(project=project)


def test_a_key_read_once_is_not_read_again(project, key):
    assert send(project, key).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert send(project, key).status_code == 200
    assert [query["sql"] for query in queries if "projectkey" in query["sql"]] == []
    # What is left is the one INSERT into the queue.
    assert len(queries) == 1, [query["sql"] for query in queries]


def test_a_key_disabled_elsewhere_is_refused_once_the_delay_is_over(
    project, key, settings, monkeypatch
):
    settings.ISSUES_API_INGEST_KEY_CACHE_SECONDS = 10
    clock = [1000.0]
    monkeypatch.setattr("accounts.selectors.time.monotonic", lambda: clock[0])
    assert send(project, key).status_code == 200
    ProjectKey.objects.filter(pk=key.pk).update(is_active=False)  # no signal: as elsewhere

    clock[0] += 9
    assert send(project, key).status_code == 200
    clock[0] += 2
    response = send(project, key)
    assert response.status_code == 403
    assert response.json() == {"detail": REJECTED}


def test_a_key_disabled_in_this_process_is_refused_at_once(project, key):
    assert send(project, key).status_code == 200
    key.is_active = False
    key.save()
    assert send(project, key).status_code == 403


def test_a_deleted_key_is_refused_at_once(project, key):
    assert send(project, key).status_code == 200
    key.delete()
    assert send(project, key).status_code == 403


def test_with_no_delay_every_request_reads_the_key(project, key, settings):
    settings.ISSUES_API_INGEST_KEY_CACHE_SECONDS = 0
    assert send(project, key).status_code == 200
    ProjectKey.objects.filter(pk=key.pk).update(is_active=False)
    assert send(project, key).status_code == 403

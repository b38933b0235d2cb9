"""A real SDK (sentry-sdk for Python) sends to a served instance, as an application would
with the project's DSN; digest_events then turns what it sent into issues."""

from io import StringIO

import pytest
import sentry_sdk
from django.core.management import call_command
from django.db import connection

from accounts.dsn import dsn
from accounts.models import ProjectKey
from issues.models import Event, Issue
from tests.helpers import issue_url


class CheckoutFailed(Exception):
    pass


def send_with_the_sdk(live_server_url: str, key: ProjectKey) -> None:
    client = sentry_sdk.Client(
        dsn=dsn(key, prefix=live_server_url),
        default_integrations=False,
        auto_enabling_integrations=False,
        environment="production",
        release="shop@1.2.3",
    )
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            scope.set_user({"id": "42"})
            try:
                raise CheckoutFailed("card declined")
            except CheckoutFailed:
                sentry_sdk.capture_exception()
            sentry_sdk.capture_message("Stock is running low", level="warning")
        client.flush(timeout=10)
    finally:
        client.close(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_events_of_the_python_sdk_become_issues(project, api, live_server, monkeypatch):
    # The SDK keeps its HTTP connection alive, and with it the server thread that serves it:
    # that thread's database connection must close after each request, or it outlives the
    # test database (CONN_MAX_AGE is read when a connection opens, as the thread's does here).
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    key = ProjectKey.objects.get(project=project)

    send_with_the_sdk(live_server.url, key)
    assert Event.objects.count() == 0  # queued, not yet digested
    call_command("digest_events", "--once", stdout=StringIO())

    issues = {issue.type: issue for issue in Issue.objects.filter(project=project)}
    assert set(issues) == {"error", "default"}
    error = api.get(issue_url(issues["error"])).json()
    assert error["metadata"]["type"] == "CheckoutFailed"
    assert error["metadata"]["value"] == "card declined"
    assert error["count"] == "1"
    assert error["userCount"] == 1
    message = api.get(issue_url(issues["default"])).json()
    assert message["title"] == "Stock is running low"
    assert message["level"] == "warning"

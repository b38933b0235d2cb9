"""The real sentry-cli (the PyPI wheel's binary, pinned in requirements.txt) reports to a served
instance with `send-event`, as a CI script would with the project's DSN in SENTRY_DSN;
digest_events then turns what it sent into an issue, read back through the API.

sentry-cli posts an envelope with a Content-Length (so Django's live_server reads it), and
prints the event id with dashes, which the API shows without them. It runs in an environment
of its own: no update check, no ~/.sentryclirc or .env of the machine (HOME and the working
directory are the test's), no variable of the test process passed on in the event.
"""

import os
import pwd
import re
import subprocess
import sysconfig
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.dsn import dsn
from accounts.models import ProjectKey
from issues.models import IngestItem, Issue
from tests.helpers import events_url, get_json, issue_url

SENTRY_CLI = Path(sysconfig.get_path("scripts")) / "sentry-cli"
PRINTED_ID = re.compile(r"^Event id: ([0-9a-f-]{36})$", re.MULTILINE)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def send_event(project, live_server, tmp_path, monkeypatch):
    """Runs `sentry-cli send-event` with `arguments` and returns the event id it printed,
    as sentry-cli printed it."""
    # The server thread keeps its database connection past the request unless told not to;
    # it must not outlive the test database (see tests/issues/test_ingest_sdk.py).
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    if not SENTRY_CLI.exists():
        pytest.fail(f"{SENTRY_CLI} is missing: `make venv` installs requirements.txt")
    key = ProjectKey.objects.get(project=project)
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SENTRY_DSN": dsn(key, prefix=live_server.url),
        "SENTRY_DISABLE_UPDATE_CHECK": "1",
        "SENTRY_LOAD_DOTENV": "0",
    }

    def send(*arguments: str) -> str:
        done = subprocess.run(  # noqa: S603 - the pinned binary, our own arguments
            [str(SENTRY_CLI), "send-event", *arguments],
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        printed = PRINTED_ID.search(done.stdout)
        assert printed, done.stdout
        return printed.group(1)

    return send


def digest_the_only_issue(project) -> Issue:
    assert IngestItem.objects.filter(project=project).count() == 1
    call_command("digest_events", "--once", stdout=StringIO())
    return Issue.objects.get(project=project)


def test_a_message_from_sentry_cli_becomes_an_issue(api, project, send_event):
    printed = send_event("-m", "Nightly backup finished with warnings")

    issue = digest_the_only_issue(project)

    document = get_json(api, issue_url(issue))
    assert document["title"] == "Nightly backup finished with warnings"
    assert document["level"] == "error"  # sentry-cli's default
    assert document["count"] == "1"
    # sentry-cli names the user it runs as when not told of one.
    assert document["userCount"] == 1
    events = get_json(api, events_url(issue))
    assert "-" in printed
    assert [event["eventID"] for event in events] == [uuid.UUID(printed).hex]
    assert events[0]["message"] == "Nightly backup finished with warnings"
    tags = {tag["key"]: tag["value"] for tag in events[0]["tags"]}
    assert tags["user"] == f"username:{pwd.getpwuid(os.getuid()).pw_name}"


def test_sentry_cli_as_a_ci_script_calls_it_sets_level_tags_user_release_and_environment(
    api, project, send_event
):
    printed = send_event(
        "-m",
        "Deploy of shop failed",
        "--level",
        "warning",
        "--tag",
        "stage:migrate",
        "--user",
        "id:42",
        "--user",
        "username:ci-bot",
        "--release",
        "shop@2.0.1",
        "--env",
        "staging",
    )

    issue = digest_the_only_issue(project)

    document = get_json(api, issue_url(issue))
    assert document["title"] == "Deploy of shop failed"
    assert document["level"] == "warning"
    assert document["count"] == "1"
    assert document["userCount"] == 1
    assert {"release", "environment", "user", "stage"} <= {tag["key"] for tag in document["tags"]}
    assert document["firstRelease"]["version"] == "shop@2.0.1"
    assert get_json(api, issue_url(issue), environment="staging")["count"] == "1"

    (listed,) = get_json(api, events_url(issue))
    assert listed["eventID"] == uuid.UUID(printed).hex
    tags = {tag["key"]: tag["value"] for tag in listed["tags"]}
    assert tags["release"] == "shop@2.0.1"
    assert tags["environment"] == "staging"
    assert tags["user"] == "id:42"
    assert tags["stage"] == "migrate"
    assert tags["level"] == "warning"
    event = get_json(api, events_url(issue, listed["eventID"]))
    assert event["user"]["id"] == "42"
    assert event["user"]["username"] == "ci-bot"
    assert event["environment"] == "staging"

"""The real @sentry/node (npm, pinned in tests/sdk/node/package-lock.json, which `make test`
installs) reports an exception and a message to a served instance; digest_events then turns
them into issues, read back through the API.

@sentry/node streams its envelopes: `Transfer-Encoding: chunked`, no Content-Length. Django's
live_server (wsgiref) cannot read such a body, so gunicorn serves the test database here, as in
production (tests/serving/servers.py). gunicorn's access log records the two headers of every
request it answered, which shows the events came chunked.

Node.js 20 or newer is needed (CI's machine has it): without it the test fails, saying so.
"""

import json
import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.dsn import dsn
from accounts.models import ProjectKey
from issues.models import Issue
from tests.helpers import events_url, get_json, issue_url
from tests.serving.servers import (
    gunicorn,
    served_environment,
    share_test_data,
    take_back_served_data,
)

NODE_SDK = Path(__file__).resolve().parent / "node"
NODE_MAJOR = 20
# One line per request: method, path, status, and the two headers that frame its body.
ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s te=%({transfer-encoding}i)s cl=%({content-length}i)s"
ACCESS_LINE = re.compile(r"^(\S+) (\S+) (\d{3}) te=(.*) cl=(.*)$")


def node() -> str:
    """The path of Node.js 20+, with @sentry/node installed beside the script; or a failure
    that says what is missing."""
    found = shutil.which("node")
    if found is None:
        pytest.fail(
            f"Node.js {NODE_MAJOR} or newer is needed to run @sentry/node "
            "(tests/sdk/node), and `node` is not on PATH",
            pytrace=False,
        )
    version = subprocess.run(  # noqa: S603 - node found on PATH, asked its version
        [found, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < NODE_MAJOR:
        pytest.fail(f"Node.js {NODE_MAJOR} or newer is needed, {found} is {version}", pytrace=False)
    if not (NODE_SDK / "node_modules" / "@sentry" / "node").is_dir():
        pytest.fail(
            "@sentry/node is not installed: `make test` installs it "
            "(npm ci --prefix tests/sdk/node)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One gunicorn worker on the test database, its port and its folder."""
    directory = tmp_path_factory.mktemp("node")
    with django_db_blocker.unblock():
        share_test_data(directory)
    environment = served_environment(directory)
    with gunicorn(directory, environment, workers=1, log_format=ACCESS_LOG_FORMAT) as port:
        yield port, directory


def requests_answered(directory: Path) -> list[tuple[str, ...]]:
    log = directory / "gunicorn-access.log"
    return [ACCESS_LINE.match(line).groups() for line in log.read_text().splitlines()]


def send_with_node(port: int, key: ProjectKey, home: Path) -> dict[str, str]:
    """Runs send.mjs against the server; the ids of the events it sent, by kind."""
    executable = node()
    done = subprocess.run(  # noqa: S603 - our own script, run by the node found
        [executable, "send.mjs", dsn(key, prefix=f"http://127.0.0.1:{port}")],
        cwd=NODE_SDK,
        # Nothing of the machine's Node set-up (NODE_OPTIONS, ~/.npmrc) comes along.
        env={"PATH": str(Path(executable).parent), "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_events_of_sentry_node_sent_chunked_become_issues(api, project, server, tmp_path):
    port, directory = server
    key = ProjectKey.objects.get(project=project)
    share_test_data(directory)

    sent = send_with_node(port, key, tmp_path)

    envelopes = [
        request
        for request in requests_answered(directory)
        if request[:2] == ("POST", f"/api/{project.pk}/envelope/")
    ]
    assert len(envelopes) >= 2  # the exception and the message, each an envelope
    assert {(status, te, cl) for _, _, status, te, cl in envelopes} == {("200", "chunked", "-")}

    take_back_served_data(directory)
    call_command("digest_events", "--once", stdout=StringIO())

    issues = {issue.type: issue for issue in Issue.objects.filter(project=project)}
    assert set(issues) == {"error", "default"}
    error = get_json(api, issue_url(issues["error"]))
    assert error["metadata"]["type"] == "CheckoutFailed"
    assert error["metadata"]["value"] == "card declined"
    assert error["count"] == "1"
    assert error["userCount"] == 1
    assert error["firstRelease"]["version"] == "shop@3.1.4"
    assert {"release", "environment", "user", "checkout.step"} <= {
        tag["key"] for tag in error["tags"]
    }
    (event,) = get_json(api, events_url(issues["error"]))
    assert event["eventID"] == sent["exception"]
    tags = {tag["key"]: tag["value"] for tag in event["tags"]}
    assert tags["user"] == "id:7"
    assert tags["checkout.step"] == "payment"
    assert tags["environment"] == "production"
    assert tags["release"] == "shop@3.1.4"
    assert event["user"]["email"] == "ada@example.com"

    message = get_json(api, issue_url(issues["default"]))
    assert message["title"] == "Stock is running low"
    assert message["level"] == "warning"
    assert message["userCount"] == 1
    latest = get_json(api, events_url(issues["default"], "latest"))
    assert latest["eventID"] == sent["message"]
    assert latest["environment"] == "production"


def test_without_node_the_test_fails_saying_node_20_is_needed(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)

    with pytest.raises(pytest.fail.Exception, match=r"Node\.js 20 or newer is needed"):
        node()

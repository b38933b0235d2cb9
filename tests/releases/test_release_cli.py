"""The real sentry-cli (the PyPI wheel's binary, pinned in requirements.txt) drives a release
from CI against a served instance, as a pipeline would: `releases new`, `set-commits
--commit`, `finalize` and `deploys new`; the issue GET then shows that release as its
lastRelease with its commit, deploy and release date.

sentry-cli reads the organization's repositories first (GET .../repos/) and refuses a repo it
does not find there; Sentry's repositories come from integrations, here from the admin (a
factory). It runs in an environment of its own, as tests/sdk/test_sentry_cli.py runs it.
"""

import subprocess
import sysconfig
from pathlib import Path

import pytest
from django.db import connection

from releases.models import Release, Repository
from tests.factories import make_issue
from tests.helpers import get_json, issue_url, new_token, put_issue

SENTRY_CLI = Path(sysconfig.get_path("scripts")) / "sentry-cli"
VERSION = "shop@2.4.0"
REPOSITORY = "acme/shop"
PREVIOUS = "1f0c9a8e7d6b5a4c3b2a1f0e9d8c7b6a5f4e3d2c"
HEAD = "9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sentry_cli(organization, project, user, live_server, tmp_path, monkeypatch):
    """Runs sentry-cli with `arguments` against the served instance, as the member `user`
    with a token of the release scope; returns what it printed."""
    # The server thread's connection must not outlive the test database (test_sentry_cli.py).
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    if not SENTRY_CLI.exists():
        pytest.fail(f"{SENTRY_CLI} is missing: `make venv` installs requirements.txt")
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SENTRY_URL": live_server.url,
        "SENTRY_AUTH_TOKEN": new_token(user, ["project:releases", "org:read"]),
        "SENTRY_ORG": organization.slug,
        "SENTRY_PROJECT": project.slug,
        "SENTRY_DISABLE_UPDATE_CHECK": "1",
        "SENTRY_LOAD_DOTENV": "0",
    }

    def run(*arguments: str, cwd: Path = tmp_path) -> str:
        done = subprocess.run(  # noqa: S603 - the pinned binary, our own arguments
            [str(SENTRY_CLI), *arguments],
            env=environment,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run


def test_a_release_made_by_sentry_cli_is_the_issues_last_release(
    api, organization, project, sentry_cli
):
    Repository.objects.create(organization=organization, name=REPOSITORY)
    issue = make_issue(project, release=VERSION)
    assert get_json(api, issue_url(issue))["lastRelease"]["lastCommit"] is None

    assert f"Created release {VERSION}" in sentry_cli("releases", "new", VERSION)
    sentry_cli("releases", "set-commits", VERSION, "--commit", f"{REPOSITORY}@{PREVIOUS}..{HEAD}")
    assert f"Finalized release {VERSION}" in sentry_cli("releases", "finalize", VERSION)
    printed = sentry_cli("releases", "deploys", VERSION, "new", "-e", "production", "-n", "blue")
    assert "Created new deploy blue for 'production'" in printed

    release = Release.objects.get(organization=organization, version=VERSION)
    assert release.commit_count == 1
    assert release.deploy_count == 1
    document = get_json(api, issue_url(issue))
    last = document["lastRelease"]
    assert last["version"] == VERSION
    assert last["dateReleased"] is not None
    assert last["commitCount"] == 1
    assert last["lastCommit"]["id"] == HEAD
    assert last["lastCommit"]["repository"]["name"] == REPOSITORY
    assert last["deployCount"] == 1
    assert last["lastDeploy"]["environment"] == "production"
    assert last["lastDeploy"]["name"] == "blue"
    assert last["projects"] == [{"name": project.name, "slug": project.slug}]

    # The commit set-commits recorded is one that "resolved in commit" finds, in the release
    # that holds it.
    body = {
        "status": "resolved",
        "statusDetails": {"inCommit": {"commit": HEAD, "repository": REPOSITORY}},
    }
    resolved = put_issue(api, issue, body)
    assert resolved["status"] == "resolved"
    assert resolved["statusDetails"]["inRelease"] == VERSION


def test_sentry_cli_lists_and_shows_the_releases_it_made(sentry_cli):
    sentry_cli("releases", "new", VERSION)
    sentry_cli("releases", "new", "shop@2.5.0")

    listed = sentry_cli("releases", "list")
    assert listed.index("shop@2.5.0") < listed.index(VERSION)
    assert VERSION in sentry_cli("releases", "info", VERSION)


def git(directory: Path, *arguments: str) -> str:
    done = subprocess.run(  # noqa: S603 - git on the test's own repository
        ["git", "-C", str(directory), *arguments],  # noqa: S607 - git of the machine's PATH
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(directory), "GIT_CONFIG_NOSYSTEM": "1"},
    )
    return done.stdout.strip()


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A git repository with two commits by two authors, as a CI job checks one out."""
    if subprocess.run(["git", "--version"], capture_output=True, check=False).returncode:  # noqa: S607
        pytest.fail("git is missing")
    directory = tmp_path / "checkout"
    directory.mkdir()
    git(directory, "init", "-q")
    git(directory, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    for number, (name, email) in enumerate((("Ann Dev", "ann@acme.io"), ("Bo Dev", "bo@acme.io"))):
        (directory / f"file{number}").write_text(str(number))
        git(directory, "add", ".")
        git(
            directory,
            "-c",
            f"user.name={name}",
            "-c",
            f"user.email={email}",
            "commit",
            "-qm",
            f"Change {number}",
        )
    return directory


def test_set_commits_local_sends_the_checkouts_commits_with_their_authors(
    api, organization, project, sentry_cli, checkout
):
    issue = make_issue(project, release=VERSION)
    head = git(checkout, "rev-parse", "HEAD")

    sentry_cli("releases", "new", VERSION)
    printed = sentry_cli("releases", "set-commits", VERSION, "--local", cwd=checkout)

    assert "Success! Set commits for release" in printed
    last = get_json(api, issue_url(issue))["lastRelease"]
    assert last["commitCount"] == 2
    assert last["lastCommit"]["id"] == head
    assert last["lastCommit"]["message"].strip() == "Change 1"
    assert last["authors"] == [
        {"name": "Bo Dev", "email": "bo@acme.io"},
        {"name": "Ann Dev", "email": "ann@acme.io"},
    ]
    # sentry-cli names the repository by the remote's name, which Sentry then makes.
    assert last["lastCommit"]["repository"]["name"] == "origin"

    # The next release's commits begin after this one's last commit (previous-with-commits).
    (checkout / "file9").write_text("9")
    git(checkout, "add", ".")
    git(checkout, "-c", "user.name=Cy", "-c", "user.email=cy@acme.io", "commit", "-qm", "Change 9")
    sentry_cli("releases", "new", "shop@2.5.0")
    sentry_cli("releases", "set-commits", "shop@2.5.0", "--local", cwd=checkout)
    following = Release.objects.get(organization=organization, version="shop@2.5.0")
    assert following.commit_count == 1
    assert following.authors == [{"name": "Cy", "email": "cy@acme.io"}]

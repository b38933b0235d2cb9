"""gunicorn serving the test database from another process, for the tests that must go through
a real server: nginx in front of it (tests/serving/test_served.py), or an SDK whose chunked
bodies Django's live_server cannot read (tests/sdk/test_node.py).

The servers read the test database: PostgreSQL's directly, and on SQLite (whose test database
lives in the test process's memory) a file copy of it, which share_test_data refreshes and
take_back_served_data copies back once the servers have written to it.
"""

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, ready, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited ({process.returncode}):\n{log.read_text()}", pytrace=False)
        if ready():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} was not ready in {STARTUP_SECONDS} s:\n{log.read_text()}", pytrace=False)


def answers_http(port: int) -> bool:
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        client.request("GET", "/api/0/")
        client.getresponse().read()
        client.close()
    except OSError:
        return False
    return True


@contextmanager
def running(command: list[str], log: Path, **kwargs):
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            command, stdout=output, stderr=subprocess.STDOUT, **kwargs
        )
    try:
        yield process
    finally:
        # Quick shutdown, for gunicorn and nginx alike (TERM would make gunicorn wait).
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def database_for_servers(directory: Path) -> str:
    """A DATABASE_URL that reaches the test database from another process."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(settings["USER"] or "", safe="")
        password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
        host = settings["HOST"] or "localhost"
        port = f":{settings['PORT']}" if settings["PORT"] else ""
        return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"
    if connection.vendor == "sqlite":
        if not connection.is_in_memory_db():
            return f"sqlite:///{settings['NAME']}"
        return f"sqlite:///{directory / 'served.sqlite3'}"
    pytest.fail(f"no way to share a {connection.vendor} test database with the servers")


def _copied_database() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def share_test_data(directory: Path) -> None:
    """Make what the test has written so far visible to the servers."""
    if _copied_database():
        connection.ensure_connection()
        target = sqlite3.connect(directory / "served.sqlite3")
        try:
            connection.connection.backup(target)
        finally:
            target.close()


def take_back_served_data(directory: Path) -> None:
    """Make what the servers have written visible to the test (the other way round)."""
    if _copied_database():
        connection.ensure_connection()
        source = sqlite3.connect(directory / "served.sqlite3")
        try:
            source.backup(connection.connection)
        finally:
            source.close()


def served_environment(directory: Path, **settings: str) -> dict[str, str]:
    """The environment of a server on the test database, in development mode with DEBUG off
    (as .ci/fuzz serves it: what is tested is the front and the body handling, over plain
    HTTP on loopback), without rate limit or Redis; `settings` adds to it."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_for_servers(directory),
        "ISSUES_API_ENV": "development",
        "ISSUES_API_VAR_DIR": str(directory),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ISSUES_API_RATE_LIMIT": "",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    environment.pop("REDIS_URL", None)
    return environment


@contextmanager
def gunicorn(
    directory: Path, environment: dict[str, str], *, workers: int, log_format=None, config=None
):
    """gunicorn serving the application as the image and `make run` do (or as the
    configuration file `config` says, such as deploy/gunicorn/ingest.py), on a free loopback
    port, which it yields; each request it answers is a line of directory/gunicorn-access.log,
    written in gunicorn's `log_format` when one is given."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn"]
    command += ["--config", str(config)] if config else ["issues_api.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--no-control-socket"]
    command += ["--access-logfile", str(directory / "gunicorn-access.log")]
    if log_format is not None:
        command += ["--access-logformat", log_format]
    log = directory / "gunicorn.log"
    with running(command, log, cwd=BASE_DIR, env=environment) as process:
        wait_for("gunicorn", lambda: answers_http(port), process, log)
        yield port

"""DATABASE_REPLICA_URLS: each replica a database alias with the primary's settings, a router
and a middleware; none of it without the setting (the issue GET stays as it was).

Each case runs in a fresh process, since settings are read once, at import."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent
PRIMARY = "postgres://postgres@127.0.0.1:5432/primary?sslmode=disable"
PRINT = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "databases": settings.DATABASES,
    "replicas": settings.DATABASE_REPLICAS,
    "routers": settings.DATABASE_ROUTERS,
    "middleware": settings.MIDDLEWARE,
}, default=str))
"""


def settings_with(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "issues_api.settings",
        "ISSUES_API_VAR_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", PRINT],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def loaded(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_replicas_nothing_is_added(tmp_path):
    found = loaded(settings_with(tmp_path, DATABASE_URL=PRIMARY))
    assert list(found["databases"]) == ["default"]
    assert found["replicas"] == []
    assert found["routers"] == []
    assert not [name for name in found["middleware"] if "replica" in name.lower()]


def test_this_test_run_has_no_replica_unless_it_asked_for_one():
    # The rest of the suite runs as a deployment without replicas does.
    if not os.environ.get("DATABASE_REPLICA_URLS"):
        assert list(settings.DATABASES) == ["default"]
        assert settings.DATABASE_ROUTERS == []


def test_each_replica_is_an_alias_with_the_primary_settings(tmp_path):
    found = loaded(
        settings_with(
            tmp_path,
            DATABASE_URL=PRIMARY,
            DATABASE_REPLICA_URLS=(
                " postgres://reader@10.0.0.2:5432/primary , postgres://reader@10.0.0.3/primary"
            ),
            DATABASE_CONN_MAX_AGE="30",
            ISSUES_API_STATEMENT_TIMEOUT_MS="1234",
        )
    )
    primary, databases = found["databases"]["default"], found["databases"]
    assert list(databases) == ["default", "replica1", "replica2"]
    assert found["replicas"] == ["replica1", "replica2"]
    assert found["routers"] == ["issues_api.db_router.ReplicaRouter"]
    assert found["middleware"][-1] == "issues_api.replicas.ReadReplicaMiddleware"
    for number, host in ((1, "10.0.0.2"), (2, "10.0.0.3")):
        replica = databases[f"replica{number}"]
        assert replica["HOST"] == host
        assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"] == 30
        assert "statement_timeout=1234" in replica["OPTIONS"]["options"]
        assert replica["OPTIONS"]["options"] == primary["OPTIONS"]["options"]
        assert replica["OPTIONS"]["connect_timeout"] == "2"
        assert replica["OPTIONS"]["application_name"] == f"issues-api-replica{number}"
        assert replica["TEST"]["MIRROR"] == "default"


def test_replicas_need_postgresql(tmp_path):
    result = settings_with(tmp_path, DATABASE_REPLICA_URLS="postgres://reader@10.0.0.2/x")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL" in result.stderr

    result = settings_with(
        tmp_path, DATABASE_URL=PRIMARY, DATABASE_REPLICA_URLS="sqlite:////tmp/replica.sqlite3"
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS are postgres:// URLs" in result.stderr

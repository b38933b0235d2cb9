"""docker-compose.yml keeps gunicorn behind nginx, PgBouncer in front of PostgreSQL, and will
not start without a secret key.

(Docker is not run here; tests/serving/test_served.py serves the same nginx template for real.)
"""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
TEMPLATE = "deploy/nginx/issues-api.conf.template"


def test_gunicorn_publishes_no_port_and_nginx_is_the_way_in():
    assert "ports" not in SERVICES["web"]
    assert SERVICES["web"]["expose"] == ["8000"]
    assert SERVICES["nginx"]["ports"] == ["127.0.0.1:8000:80"]
    assert SERVICES["nginx"]["environment"]["ISSUES_API_UPSTREAM"] == "web:8000"
    assert SERVICES["nginx"]["environment"]["ISSUES_API_LISTEN"] == "80"


def test_nginx_serves_the_repositorys_template():
    mounts = [volume.split(":") for volume in SERVICES["nginx"]["volumes"]]

    assert [f"./{TEMPLATE}", "/etc/nginx/templates/default.conf.template", "ro"] in mounts
    assert (BASE_DIR / TEMPLATE).is_file()


def test_every_variable_of_the_template_is_given_to_nginx():
    names = set(re.findall(r"\$\{(\w+)\}", (BASE_DIR / TEMPLATE).read_text()))

    assert names == {
        "ISSUES_API_LISTEN",
        "ISSUES_API_UPSTREAM",
        "ISSUES_API_INGEST_UPSTREAM",
        "ISSUES_API_MAX_BODY_BYTES",
        "ISSUES_API_INGEST_MAX_BODY_BYTES",
    }
    assert names <= set(SERVICES["nginx"]["environment"])
    assert re.fullmatch(
        r"\^?ISSUES_API_", SERVICES["nginx"]["environment"]["NGINX_ENVSUBST_FILTER"]
    )


@pytest.mark.parametrize(
    ("name", "default"),
    [("ISSUES_API_MAX_BODY_BYTES", 262144), ("ISSUES_API_INGEST_MAX_BODY_BYTES", 20971520)],
)
def test_nginx_and_the_application_share_each_body_limit(name, default):
    nginx = SERVICES["nginx"]["environment"][name]
    web = SERVICES["web"]["environment"][name]

    assert nginx == web == f"${{{name}:-{default}}}"


def test_a_digest_worker_runs_beside_the_application():
    digest = SERVICES["digest"]

    assert digest["build"] == SERVICES["web"]["build"]
    assert digest["entrypoint"] == ["python", "manage.py", "digest_events"]
    assert digest["environment"]["DATABASE_URL"] == SERVICES["web"]["environment"]["DATABASE_URL"]


def test_the_events_partitions_are_kept_by_a_loop_beside_the_application():
    partitions = SERVICES["partitions"]

    assert partitions["build"] == SERVICES["web"]["build"]
    assert partitions["entrypoint"][:2] == ["sh", "-c"]
    assert "python manage.py manage_event_partitions; sleep 3600" in partitions["entrypoint"][2]
    assert partitions["init"] is True  # SIGTERM stops the loop
    for name in ("DATABASE_URL", "SECRET_KEY"):
        assert partitions["environment"][name] == SERVICES["web"]["environment"][name]
    assert partitions["environment"]["ISSUES_API_EVENT_RETENTION_DAYS"] == (
        "${ISSUES_API_EVENT_RETENTION_DAYS:-90}"
    )


def test_the_ingest_routes_have_a_gunicorn_of_their_own_behind_nginx():
    ingest = SERVICES["ingest"]

    assert ingest["build"] == SERVICES["web"]["build"]
    assert ingest["entrypoint"] == ["gunicorn", "--config", "deploy/gunicorn/ingest.py"]
    assert (BASE_DIR / "deploy/gunicorn/ingest.py").is_file()
    assert "ports" not in ingest
    assert ingest["expose"] == [ingest["environment"]["ISSUES_API_INGEST_BIND"].split(":")[1]]
    assert SERVICES["nginx"]["environment"]["ISSUES_API_INGEST_UPSTREAM"] == "ingest:8001"
    for name in ("DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "ISSUES_API_URL_PREFIX"):
        assert ingest["environment"][name] == SERVICES["web"]["environment"][name]
    assert (
        ingest["environment"]["ISSUES_API_INGEST_MAX_BODY_BYTES"]
        == SERVICES["nginx"]["environment"]["ISSUES_API_INGEST_MAX_BODY_BYTES"]
    )


def test_compose_refuses_to_start_without_a_secret_key():
    """`${NAME:?message}`: compose stops with the message when SECRET_KEY is unset or empty."""
    assert re.fullmatch(r"\$\{SECRET_KEY:\?.+\}", SERVICES["web"]["environment"]["SECRET_KEY"])


def test_behind_nginx_the_client_address_is_read_from_x_forwarded_for():
    """One proxy (nginx) appends the client's address: without this every client would share
    nginx's address, and one rate-limit and login-lockout bucket."""
    assert SERVICES["web"]["environment"]["ISSUES_API_NUM_PROXIES"] == "1"


def test_the_services_reach_postgresql_through_pgbouncer_in_transaction_mode(tmp_path):
    """web, ingest and digest share PgBouncer's server connections, with the service's pooler
    setting; PgBouncer's configuration is what scripts/pgbouncer writes from its environment,
    as the image (deploy/pgbouncer/Dockerfile) runs it."""
    bouncer = SERVICES["pgbouncer"]
    for name in ("web", "ingest", "digest"):
        environment = SERVICES[name]["environment"]
        assert environment["DATABASE_URL"].endswith("@pgbouncer:6432/issues_api")
        assert environment["DATABASE_POOLER"] == "pgbouncer"
        assert "pgbouncer" in SERVICES[name]["depends_on"]
    assert bouncer["build"]["dockerfile"] == "deploy/pgbouncer/Dockerfile"
    dockerfile = (BASE_DIR / bouncer["build"]["dockerfile"]).read_text()
    assert "apt-get install -y --no-install-recommends pgbouncer" in dockerfile
    assert 'ENTRYPOINT ["issues-api-pgbouncer", "run", "/tmp/pgbouncer"]' in dockerfile
    assert "USER postgres" in dockerfile  # PgBouncer will not run as root

    written = subprocess.run(  # noqa: S603 - our own script
        [BASE_DIR / "scripts" / "pgbouncer", "config", tmp_path],
        env={"PATH": os.environ["PATH"], **bouncer["environment"]},
        check=True,
    )
    ini = (tmp_path / "pgbouncer.ini").read_text()

    assert written.returncode == 0
    for line in [
        "* = host=db port=5432",
        "listen_addr = 0.0.0.0",
        "listen_port = 6432",
        "pool_mode = transaction",
        "default_pool_size = 20",
        "auth_type = scram-sha-256",
    ]:
        assert line in ini.splitlines()
    assert (tmp_path / "userlist.txt").read_text() == '"issues_api" "issues_api"\n'

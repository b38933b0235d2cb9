"""Production settings (ISSUES_API_ENV=production) behind a TLS-terminating proxy: Django's
deploy check passes without a warning, weak secret keys are refused at start-up, and the
proxy's X-Forwarded-Proto decides what is HTTPS (redirect, HSTS, secure cookies).

Each case runs in a fresh process, since settings are read once, at import.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def production_env(tmp_path, **env) -> dict[str, str]:
    """What a production deployment sets, and nothing of this test run's environment."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "issues_api.settings",
        "ISSUES_API_VAR_DIR": str(tmp_path),
        "ISSUES_API_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "example.com",
        **env,
    }


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def deploy_check(env) -> subprocess.CompletedProcess:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def test_production_settings_pass_the_deploy_check_without_a_warning(tmp_path):
    result = deploy_check(production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deploy_check_warns_when_plain_http_is_not_redirected(tmp_path):
    # The check above can fail: the trial's switch (docker compose over plain HTTP) is seen.
    result = deploy_check(production_env(tmp_path, ISSUES_API_SSL_REDIRECT="false"))

    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_production_refuses_a_weak_secret_key(tmp_path):
    weak = {
        "old-compose-default": "change-me-this-is-not-a-secret",
        "short": secrets.token_urlsafe(20),
        "few-characters": "ab" * 40,
        "django-insecure": "django-insecure-" + secrets.token_urlsafe(50),
    }
    code = "import issues_api.settings"
    for name, key in weak.items():
        result = run(["-c", code], production_env(tmp_path, SECRET_KEY=key))
        assert result.returncode != 0, name
        assert "ImproperlyConfigured: SECRET_KEY is too weak" in result.stderr, name
    # Development keeps whatever key it is given.
    development = production_env(tmp_path, ISSUES_API_ENV="development", SECRET_KEY="dev")
    assert run(["-c", code], development).returncode == 0


REQUEST = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
over_http = client.get("/api/0/nothing/", HTTP_HOST="example.com", HTTP_X_FORWARDED_PROTO="http")
over_https = client.get("/api/0/nothing/", HTTP_HOST="example.com", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "http": [over_http.status_code, over_http.get("Location")],
    "https": [over_https.status_code, over_https.get("Strict-Transport-Security")],
    "cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
}))
"""


def served(env) -> dict:
    result = run(["-c", REQUEST], env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_trusts_the_proxy_for_https(tmp_path):
    production = served(production_env(tmp_path))
    short_hsts = served(
        production_env(
            tmp_path,
            ISSUES_API_HSTS_SECONDS="600",
            ISSUES_API_HSTS_INCLUDE_SUBDOMAINS="0",
            ISSUES_API_HSTS_PRELOAD="0",
        )
    )
    trial = served(production_env(tmp_path, ISSUES_API_SSL_REDIRECT="0"))
    development = served(production_env(tmp_path, ISSUES_API_ENV="development"))

    assert production == {
        "http": [301, "https://example.com/api/0/nothing/"],
        "https": [404, "max-age=31536000; includeSubDomains; preload"],
        "cookies": [True, True],
    }
    assert short_hsts["https"] == [404, "max-age=600"]
    assert trial["http"] == [404, None]
    # Development serves plain HTTP as it comes, and ignores the header.
    assert development == {"http": [404, None], "https": [404, None], "cookies": [False, False]}

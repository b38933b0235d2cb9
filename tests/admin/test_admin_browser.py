"""A real browser (Playwright driving Debian's chromium) resolves PUMP-STATION-1 in the admin.

The admin of `make run` (seed_example, then ensure_admin) logs in, finds the issue by its short
id, resolves it on its change page, and the API then shows it resolved by that admin.

Without /usr/bin/chromium (or without playwright) the test is skipped, except on CI (CI=true),
where it fails instead: CI installs Debian's chromium package. Playwright's own browser
download (`playwright install`) is never used.
"""

import re
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.management.commands.ensure_admin import DEFAULT_EMAIL
from accounts.models import User
from issues.models import Issue
from issues.seed import EMAIL, token_for
from tests.environment import cannot_run

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "the browser test's admin passphrase"
TIMEOUT_MS = 20_000


def require_browser() -> None:
    """Skip when the browser cannot run here; on CI (CI=true) fail instead."""
    problem = None
    if not CHROMIUM.exists():
        problem = (
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install chromium) to run the browser test"
        )
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed: pip install -r requirements.txt"
    if problem is not None:
        cannot_run(problem, tests="the browser test")


@pytest.mark.django_db(transaction=True)
def test_an_admin_resolves_pump_station_1_in_a_real_browser(live_server, monkeypatch):
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    # The world and the admin login of `make run`.
    call_command("seed_example", stdout=StringIO())
    monkeypatch.setenv("ISSUES_API_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.delenv("ISSUES_API_ADMIN_EMAIL", raising=False)
    call_command("ensure_admin", stdout=StringIO())
    admin = User.objects.get(email=DEFAULT_EMAIL)
    issue = Issue.objects.get(project__slug="pump-station", short_id=1)
    # The operator belongs to no organization: the reference user's token reads the result.
    token = token_for(User.objects.get(email=EMAIL))
    base = live_server.url

    # No ORM while the browser runs: Playwright's sync API keeps an event loop in this thread.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)

            page.goto(f"{base}/admin/")
            expect(page).to_have_url(re.compile(r"/admin/login/"))
            page.fill("#id_username", DEFAULT_EMAIL)
            page.fill("#id_password", ADMIN_PASSWORD)
            page.click("input[type=submit]")
            expect(page).to_have_url(f"{base}/admin/")

            page.goto(f"{base}/admin/issues/issue/")
            page.fill("#searchbar", "PUMP-STATION-1")
            page.press("#searchbar", "Enter")
            rows = page.locator("#result_list tbody tr")
            expect(rows).to_have_count(1)
            rows.first.get_by_role("link", name="PUMP-STATION-1", exact=True).click()

            # The change page keeps the search in _changelist_filters.
            expect(page).to_have_url(re.compile(rf"/admin/issues/issue/{issue.pk}/change/"))
            expect(page.locator("#id_status")).to_have_value("unresolved")
            page.select_option("#id_status", "resolved")
            page.click("input[name=_save]")

            expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
            expect(page.locator("#result_list")).to_be_visible()
        finally:
            browser.close()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get(f"/api/0/issues/{issue.pk}/")
    assert response.status_code == 200, response.content
    document = response.json()
    assert document["status"] == "resolved"
    resolved = [item for item in document["activity"] if item["type"] == "set_resolved"]
    assert [item["user"]["email"] for item in resolved] == [admin.email]


def test_without_chromium_the_browser_test_skips_except_on_ci(monkeypatch, missing_program_outcome):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", Path("/nonexistent/chromium"))
    with pytest.raises(missing_program_outcome, match="chromium is missing"):
        require_browser()

"""The client keys in the admin: the DSN to copy, and what an operator may change."""

import html

import pytest

from accounts.models import ProjectKey
from tests.admin.conftest import add_url, change_url, changelist_url, results
from tests.factories import ProjectKeyFactory

pytestmark = pytest.mark.django_db


def default_key(project) -> ProjectKey:
    return ProjectKey.objects.get(project=project, label="Default")


def test_the_change_page_shows_the_dsn_in_a_read_only_field(admin_client, project, settings):
    settings.ISSUES_API_URL_PREFIX = "https://example.com/sentry"
    key = default_key(project)

    response = admin_client.get(change_url(key))

    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    dsn = f"https://{key.public_key}@example.com/sentry/{project.pk}"
    assert f'value="{dsn}"' in body
    field = body[body.index(f'value="{dsn}"') - 200 : body.index(f'value="{dsn}"') + 200]
    assert "readonly" in field and 'onfocus="this.select()"' in field
    # The secret key is never on the page.
    assert key.secret_key not in body


def test_without_a_url_prefix_the_dsn_names_the_host_of_the_request(
    admin_client, project, settings
):
    settings.ISSUES_API_URL_PREFIX = ""
    key = default_key(project)
    body = admin_client.get(change_url(key)).content.decode()
    assert f"http://{key.public_key}@testserver/{project.pk}" in body


def test_an_operator_changes_label_state_and_rate_limit(admin_client, project):
    key = default_key(project)
    public, secret = key.public_key, key.secret_key

    response = admin_client.post(
        change_url(key),
        {
            "label": "Renamed",
            "rate_limit_count": "1000",
            "rate_limit_window": "3600",
            "_save": "Save",
            # Read-only fields a crafted form might send are ignored.
            "public_key": "0" * 32,
        },
    )

    assert response.status_code == 302, response.content
    key.refresh_from_db()
    assert (key.label, key.is_active) == ("Renamed", False)
    assert (key.rate_limit_count, key.rate_limit_window) == (1000, 3600)
    assert (key.public_key, key.secret_key, key.project_id) == (public, secret, project.pk)


def test_a_rate_limit_needs_both_count_and_window(admin_client, project):
    key = default_key(project)
    response = admin_client.post(
        change_url(key),
        {"label": "Default", "is_active": "on", "rate_limit_count": "10", "_save": "Save"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    key.refresh_from_db()
    assert key.rate_limit_count is None


def test_keys_are_neither_added_nor_deleted_here(admin_client, project):
    key = default_key(project)
    assert admin_client.get(add_url(ProjectKey)).status_code == 403
    delete_url = change_url(key).replace("/change/", "/delete/")
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ProjectKey.objects.filter(pk=key.pk).exists()


def test_the_list_filters_by_state_and_finds_by_public_key(admin_client, project):
    inactive = ProjectKeyFactory(project=project, label="Old", inactive=True)
    url = changelist_url(ProjectKey)

    assert results(admin_client.get(url, {"is_active__exact": "0"})) == [inactive]
    found = results(admin_client.get(url, {"q": inactive.public_key}))
    assert found == [inactive]
    assert results(admin_client.get(url, {"q": "Old"})) == [inactive]

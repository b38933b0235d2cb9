"""Helpers for the tests of the issue lists."""


def project_url(project):
    return f"/api/0/projects/{project.organization.slug}/{project.slug}/issues/"


def org_url(organization):
    return f"/api/0/organizations/{organization.slug}/issues/"


def ids(response):
    assert response.status_code == 200, response.content
    return [int(item["id"]) for item in response.json()]

from django.urls import re_path

from releases.apis import (
    OrganizationReleaseDetailApi,
    OrganizationReleaseListApi,
    OrganizationRepositoryListApi,
    ProjectReleaseDetailApi,
    ProjectReleaseListApi,
    ReleaseDeployListApi,
    ReleasePreviousCommitsApi,
)

ORGANIZATION = r"organizations/(?P<organization_id_or_slug>[^/]+)"
PROJECT = r"projects/(?P<organization_id_or_slug>[^/]+)/(?P<project_id_or_slug>[^/]+)"
# Sentry's version pattern: anything but a slash.
VERSION = r"(?P<version>[^/]+)"

urlpatterns = [
    re_path(rf"^{ORGANIZATION}/releases/$", OrganizationReleaseListApi.as_view()),
    re_path(rf"^{ORGANIZATION}/releases/{VERSION}/$", OrganizationReleaseDetailApi.as_view()),
    re_path(rf"^{ORGANIZATION}/releases/{VERSION}/deploys/$", ReleaseDeployListApi.as_view()),
    re_path(
        rf"^{ORGANIZATION}/releases/{VERSION}/previous-with-commits/$",
        ReleasePreviousCommitsApi.as_view(),
    ),
    re_path(rf"^{ORGANIZATION}/repos/$", OrganizationRepositoryListApi.as_view()),
    re_path(rf"^{PROJECT}/releases/$", ProjectReleaseListApi.as_view()),
    re_path(rf"^{PROJECT}/releases/{VERSION}/$", ProjectReleaseDetailApi.as_view()),
]

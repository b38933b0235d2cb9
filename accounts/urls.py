from django.urls import re_path

from accounts.apis import OrganizationDetailApi, OrganizationListApi, ProjectKeyListApi
from accounts.directory_apis import (
    OrganizationMemberListApi,
    OrganizationProjectListApi,
    OrganizationTeamListApi,
    ProjectDetailApi,
    ProjectListApi,
    TeamProjectListApi,
    UserDetailApi,
)

ORGANIZATION = r"^organizations/(?P<organization_id_or_slug>[^/]+)/"

urlpatterns = [
    re_path(r"^organizations/$", OrganizationListApi.as_view()),
    re_path(
        r"^organizations/(?P<organization_id_or_slug>[^/]+)/$", OrganizationDetailApi.as_view()
    ),
    re_path(
        r"^projects/(?P<organization_id_or_slug>[^/]+)/(?P<project_id_or_slug>[^/]+)/keys/$",
        ProjectKeyListApi.as_view(),
    ),
    re_path(r"^projects/$", ProjectListApi.as_view()),
    re_path(
        r"^projects/(?P<organization_id_or_slug>[^/]+)/(?P<project_id_or_slug>[^/]+)/$",
        ProjectDetailApi.as_view(),
    ),
    re_path(ORGANIZATION + r"projects/$", OrganizationProjectListApi.as_view()),
    re_path(ORGANIZATION + r"teams/$", OrganizationTeamListApi.as_view()),
    re_path(ORGANIZATION + r"members/$", OrganizationMemberListApi.as_view()),
    re_path(
        r"^teams/(?P<organization_id_or_slug>[^/]+)/(?P<team_id_or_slug>[^/]+)/projects/$",
        TeamProjectListApi.as_view(),
    ),
    re_path(r"^users/(?P<user_id>[^/]+)/$", UserDetailApi.as_view()),
]

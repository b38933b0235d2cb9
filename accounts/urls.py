from django.urls import re_path

from accounts.apis import OrganizationDetailApi, OrganizationListApi, ProjectKeyListApi

urlpatterns = [
    re_path(r"^organizations/$", OrganizationListApi.as_view()),
    re_path(
        r"^organizations/(?P<organization_id_or_slug>[^/]+)/$", OrganizationDetailApi.as_view()
    ),
    re_path(
        r"^projects/(?P<organization_id_or_slug>[^/]+)/(?P<project_id_or_slug>[^/]+)/keys/$",
        ProjectKeyListApi.as_view(),
    ),
]

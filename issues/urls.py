from django.urls import re_path

from issues.apis import IssueDetailApi, OrganizationIssueListApi, ProjectIssueListApi
from issues.events.apis import IssueEventDetailApi, IssueEventListApi, ShortIdLookupApi
from issues.subresources.urls import urlpatterns as subresource_urlpatterns

# Sentry matches any non-slash string as the id; non-numeric ids answer 404 on legacy routes.
urlpatterns = [
    re_path(r"^(?:issues|groups)/(?P<issue_id>[^/]+)/$", IssueDetailApi.as_view()),
    re_path(
        r"^organizations/(?P<organization_id_or_slug>[^/]+)/(?:issues|groups)/(?P<issue_id>[^/]+)/$",
        IssueDetailApi.as_view(),
    ),
    re_path(
        r"^projects/(?P<organization_id_or_slug>[^/]+)/(?P<project_id_or_slug>[^/]+)/issues/$",
        ProjectIssueListApi.as_view(),
    ),
    re_path(
        r"^organizations/(?P<organization_id_or_slug>[^/]+)/issues/$",
        OrganizationIssueListApi.as_view(),
    ),
    re_path(r"^(?:issues|groups)/(?P<issue_id>[^/]+)/events/$", IssueEventListApi.as_view()),
    re_path(
        r"^(?:issues|groups)/(?P<issue_id>[^/]+)/events/(?P<event_id>[^/]+)/$",
        IssueEventDetailApi.as_view(),
    ),
    re_path(
        r"^organizations/(?P<organization_id_or_slug>[^/]+)/(?:issues|groups)/(?P<issue_id>[^/]+)/events/$",
        IssueEventListApi.as_view(),
    ),
    re_path(
        r"^organizations/(?P<organization_id_or_slug>[^/]+)/(?:issues|groups)/(?P<issue_id>[^/]+)/events/(?P<event_id>[^/]+)/$",
        IssueEventDetailApi.as_view(),
    ),
    re_path(
        r"^organizations/(?P<organization_id_or_slug>[^/]+)/shortids/(?P<short_id>[^/]+)/$",
        ShortIdLookupApi.as_view(),
    ),
]

# An issue's tags, notes, activity and hashes.
urlpatterns += subresource_urlpatterns

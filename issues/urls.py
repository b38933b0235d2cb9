from django.urls import re_path

from issues.apis import IssueDetailApi

# Sentry matches any non-slash string as the id; non-numeric ids answer 404 on legacy routes.
urlpatterns = [
    re_path(r"^(?:issues|groups)/(?P<issue_id>[^/]+)/$", IssueDetailApi.as_view()),
    re_path(
        r"^organizations/(?P<organization_id_or_slug>[^/]+)/(?:issues|groups)/(?P<issue_id>[^/]+)/$",
        IssueDetailApi.as_view(),
    ),
]

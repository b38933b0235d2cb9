"""The routes of an issue's tags, notes, activity and hashes, in Sentry's forms: legacy
(/issues/ and /groups/) and the organization's, notes under /comments/ and /notes/."""

from django.urls import re_path

from issues.subresources.apis import (
    IssueActivityListApi,
    IssueHashListApi,
    IssueNoteDetailApi,
    IssueNoteListApi,
    IssueTagDetailApi,
    IssueTagListApi,
    IssueTagValueListApi,
)

ISSUE_FORMS = (
    r"^(?:issues|groups)/(?P<issue_id>[^/]+)/",
    r"^organizations/(?P<organization_id_or_slug>[^/]+)/(?:issues|groups)/(?P<issue_id>[^/]+)/",
)
TAILS = (
    (r"tags/$", IssueTagListApi),
    (r"tags/(?P<key>[^/]+)/$", IssueTagDetailApi),
    (r"tags/(?P<key>[^/]+)/values/$", IssueTagValueListApi),
    # One pattern each: the schema's hook expands one alternation a path.
    (r"comments/$", IssueNoteListApi),
    (r"notes/$", IssueNoteListApi),
    (r"comments/(?P<note_id>[^/]+)/$", IssueNoteDetailApi),
    (r"notes/(?P<note_id>[^/]+)/$", IssueNoteDetailApi),
    (r"activities/$", IssueActivityListApi),
    (r"hashes/$", IssueHashListApi),
)

urlpatterns = [re_path(form + tail, view.as_view()) for form in ISSUE_FORMS for tail, view in TAILS]

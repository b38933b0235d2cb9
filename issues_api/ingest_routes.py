"""Where SDKs send events (Relay's routes): /api/{project_id}/envelope/ and .../store/, also
under the path of ISSUES_API_URL_PREFIX (a DSN https://KEY@example.com/sentry/42 posts to
/sentry/api/42/envelope/). Here, not in the issues app, because the chunked-body reader
(issues_api.chunked) needs the same routes to draw their larger limit."""

import re

from django.conf import settings

# For re_path (no leading slash); path_prefix is checked by the view against the setting.
INGEST_ROUTE = (
    r"^(?:(?P<path_prefix>.+)/)?api/(?P<project_id>[0-9]+)/(?P<endpoint>envelope|store)/$"
)
INGEST_PATH = re.compile("^/" + INGEST_ROUTE.removeprefix("^"))


def is_ingest_path(path: str) -> bool:
    return INGEST_PATH.match(path) is not None


def body_limit(path: str) -> int:
    """The most a request body may hold, as sent: an ingest route's own limit, or the API's."""
    if is_ingest_path(path):
        return settings.ISSUES_API_INGEST_MAX_BODY_BYTES
    return settings.ISSUES_API_MAX_BODY_BYTES

"""This service's own URL prefix: permalinks, organization links, pagination cursors and DSNs."""

from django.conf import settings

# What `make run` serves (the Makefile's HOST and PORT): the address of the service when
# neither ISSUES_API_URL_PREFIX nor a request says where it is (management commands).
LOCAL_URL_PREFIX = "http://127.0.0.1:8000"


def url_prefix(request=None) -> str:
    """ISSUES_API_URL_PREFIX (Sentry's system.url-prefix), else the request's scheme and host,
    else (no request) LOCAL_URL_PREFIX. Never with a trailing slash."""
    if settings.ISSUES_API_URL_PREFIX:
        return settings.ISSUES_API_URL_PREFIX.rstrip("/")
    if request is None:
        return LOCAL_URL_PREFIX
    return request.build_absolute_uri("/").rstrip("/")

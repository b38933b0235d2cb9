"""This service's own URL prefix: permalinks, organization links and pagination cursors."""

from django.conf import settings


def url_prefix(request) -> str:
    """ISSUES_API_URL_PREFIX (Sentry's system.url-prefix), else the request's scheme and host."""
    return settings.ISSUES_API_URL_PREFIX or request.build_absolute_uri("/").rstrip("/")

"""The DSN of a client key and the other ingest URLs Sentry derives from the same parts.

One function builds them all from the service's URL prefix (issues_api.api.prefix.url_prefix:
ISSUES_API_URL_PREFIX, else the request's scheme and host, else what `make run` serves), the
way Sentry builds them from its endpoint (system.url-prefix): a path in the prefix stays in
every URL, so https://example.com/sentry gives https://KEY@example.com/sentry/42.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class KeyUrls:
    """Sentry's `dsn` object of a key, in its order (ProjectKeySerializer)."""

    secret: str
    public: str
    csp: str
    security: str
    minidump: str
    nel: str
    unreal: str
    crons: str
    cdn: str
    playstation: str
    integration: str
    otlp_traces: str
    otlp_logs: str


def key_urls(*, project_id: int, public_key: str, secret_key: str, prefix: str) -> KeyUrls:
    """Every URL of a key of project `project_id`, under `prefix` (scheme, host and port, and
    an optional path; no trailing slash)."""
    endpoint = prefix.rstrip("/")
    parts = urlsplit(endpoint)
    where = f"{parts.netloc}{parts.path}/{project_id}"
    api = f"{endpoint}/api/{project_id}"
    query = f"?sentry_key={public_key}"
    return KeyUrls(
        secret=f"{parts.scheme}://{public_key}:{secret_key}@{where}",
        public=f"{parts.scheme}://{public_key}@{where}",
        csp=f"{api}/csp-report/{query}",
        security=f"{api}/security/{query}",
        minidump=f"{api}/minidump/{query}",
        nel=f"{api}/nel/{query}",
        unreal=f"{api}/unreal/{public_key}/",
        crons=f"{api}/cron/___MONITOR_SLUG___/{public_key}/",
        # Sentry without a loader CDN (self-hosted) serves the loader itself.
        cdn=f"{endpoint}/js-sdk-loader/{public_key}.min.js",
        playstation=f"{api}/playstation/{query}",
        integration=f"{api}/integration/",
        otlp_traces=f"{api}/integration/otlp/v1/traces",
        otlp_logs=f"{api}/integration/otlp/v1/logs",
    )


def dsn(key, *, prefix: str) -> str:
    """The DSN an SDK is configured with (Sentry's dsn_public) for a ProjectKey."""
    return key_urls(
        project_id=key.project_id,
        public_key=key.public_key,
        secret_key=key.secret_key,
        prefix=prefix,
    ).public

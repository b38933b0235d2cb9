"""Settings, read from the environment (twelve-factor).

DATABASE_URL picks the database: PostgreSQL in production and CI, an SQLite file under var/
as the zero-setup default.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from issues_api.rates import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ISSUES_API_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def development_secret_key() -> str:
    """A key kept in var/ so that development restarts keep sessions; never used when set."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# "production" requires SECRET_KEY; "development" (make run, tests) keeps one under var/.
ENVIRONMENT = os.environ.get("ISSUES_API_ENV", "development").strip().lower()
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("ISSUES_API_ENV is 'development' or 'production'.")
DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if ENVIRONMENT == "production":
        raise ImproperlyConfigured("SECRET_KEY must be set when ISSUES_API_ENV=production.")
    SECRET_KEY = development_secret_key()
elif ENVIRONMENT == "production" and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    # Django's own rule (check --deploy, security.W009): a guessable key signs sessions that
    # anyone can forge. Refused rather than warned about, as a placeholder key would be.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for ISSUES_API_ENV=production: give 50 or more random "
        "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# The prefix of permalinks, as Sentry's system.url-prefix (e.g. https://sentry.io).
# Empty: derived from the request's scheme and host.
ISSUES_API_URL_PREFIX = os.environ.get("ISSUES_API_URL_PREFIX", "").rstrip("/")

# Rate limit per user (per client address without valid credentials), e.g. "5/1s"; empty (the
# default) turns it off, as in Sentry 2020-03.
ISSUES_API_RATE_LIMIT = os.environ.get("ISSUES_API_RATE_LIMIT", "")
try:
    parse_rate(ISSUES_API_RATE_LIMIT)
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
# How many proxies stand in front of the app (1 behind nginx): the client's address is then
# the entry that many from the right of X-Forwarded-For, for DRF's throttles and the admin's
# login lockout alike; with 0 it is the connection's own address (the header is ignored).
ISSUES_API_NUM_PROXIES = int(os.environ.get("ISSUES_API_NUM_PROXIES", "0"))

# The admin's login (django-axes): after this many failed logins from one address, that
# address cannot log in for the cool-off period, whatever account it names (one address trying
# every name it guesses costs a password hash each: 4 login posters slowed the API's GETs
# twenty times); and after as many failures on one account, from any addresses, that account
# cannot (a guesser spread over many addresses). `manage.py axes_reset` lifts every lockout.
AXES_FAILURE_LIMIT = int(os.environ.get("ISSUES_API_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(
    seconds=int(os.environ.get("ISSUES_API_LOGIN_COOLOFF_SECONDS", str(15 * 60)))
)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# No start-up banner on every manage.py command and gunicorn worker.
AXES_VERBOSE = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "issues_api.proxies.client_address"
# The admin's login form and authenticate() call it "username" (it holds the email).
AXES_USERNAME_FORM_FIELD = "username"

# Request bodies above this size answer 413.
ISSUES_API_MAX_BODY_BYTES = int(os.environ.get("ISSUES_API_MAX_BODY_BYTES", str(256 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = ISSUES_API_MAX_BODY_BYTES

# An accepted event's commit is durable (synchronous_commit as the server sets it) unless
# this is off: then the ingest endpoints answer before PostgreSQL has flushed the queue's
# INSERT, and a crash of the database server loses what it accepted in its last moments
# (up to three times wal_writer_delay, 600 ms by default). Anything but a clear on or off
# refuses to start: a typo must not trade durability away.
_synchronous_commit = os.environ.get("ISSUES_API_INGEST_SYNCHRONOUS_COMMIT", "on").strip().lower()
if _synchronous_commit not in {"on", "off", "1", "0", "true", "false"}:
    raise ImproperlyConfigured("ISSUES_API_INGEST_SYNCHRONOUS_COMMIT must be on or off.")
ISSUES_API_INGEST_SYNCHRONOUS_COMMIT = _synchronous_commit in {"on", "1", "true"}

# The ingest routes (/api/{project_id}/envelope/ and /store/) have their own limits, Relay's:
# a body as sent (compressed or not; nginx draws the same line), an event (decompressed), and
# a whole body once decompressed (an envelope may carry attachments, which are skipped but
# read). The decompressed bound is also what a decompression bomb may cost in memory.
ISSUES_API_INGEST_MAX_BODY_BYTES = int(
    os.environ.get("ISSUES_API_INGEST_MAX_BODY_BYTES", str(20 * 1024 * 1024))
)
ISSUES_API_INGEST_MAX_EVENT_BYTES = int(
    os.environ.get("ISSUES_API_INGEST_MAX_EVENT_BYTES", str(1024 * 1024))
)
ISSUES_API_INGEST_MAX_DECOMPRESSED_BYTES = int(
    os.environ.get("ISSUES_API_INGEST_MAX_DECOMPRESSED_BYTES", str(100 * 1024 * 1024))
)
# How long an ingest process keeps a client key it read (0: read it for every request). A key
# disabled or deleted in the admin is refused by the other processes after this at most.
ISSUES_API_INGEST_KEY_CACHE_SECONDS = float(
    os.environ.get("ISSUES_API_INGEST_KEY_CACHE_SECONDS", "10")
)

# Shared by every gunicorn worker: Redis when REDIS_URL is set, else a database table
# (created by a migration of accounts). The rate-limit counters are in Redis when it is the
# cache, else in a table of their own (accounts.RateLimitCounter, atomic increments).
CACHE_TABLE = "issues_api_cache"
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            # A Redis that does not answer must cost a request little: the rate limit lets
            # requests through while it is down (issues_api.api.ratelimit).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
        }
    }
# The rate-limit counters' model, named as AUTH_USER_MODEL is: the rate limit is project
# plumbing (issues_api.api.ratelimit), which imports no app.
ISSUES_API_RATE_LIMIT_COUNTER_MODEL = "accounts.RateLimitCounter"

# How long a deleted issue stays (hidden) before run_deletions removes it; Sentry waits an hour.
ISSUES_API_DELETION_GRACE_SECONDS = int(os.environ.get("ISSUES_API_DELETION_GRACE_SECONDS", "3600"))

# Days an event is kept (Sentry's default: 90); manage_event_partitions drops the weekly
# partitions of the events wholly older than this, on PostgreSQL. 0 keeps every event.
ISSUES_API_EVENT_RETENTION_DAYS = int(os.environ.get("ISSUES_API_EVENT_RETENTION_DAYS", "90"))
if ISSUES_API_EVENT_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("ISSUES_API_EVENT_RETENTION_DAYS is 0 (keep all) or more.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "releases",
    "issues",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside the others, so that what they answer gets every header.
    "issues_api.api.headers.SentryHeadersMiddleware",
    "issues_api.api.errors.RejectNulMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "issues_api.urls"
WSGI_APPLICATION = "issues_api.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # Off by default: a check is a `SELECT 1` round trip before every request's first
        # query, which the issue GET paid on top of its two (issue 10). Without it, a
        # connection that died with its server fails one request (503, Retry-After) and is
        # then replaced; with it, that request is served on a new connection.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False),
    )
}

# Every PostgreSQL statement runs under this budget, in milliseconds (0: none). A statement
# that outruns it is cancelled and the request answers 503 (issues_api.api.outage) rather
# than holding a worker. It rides in the connection's start-up packet (libpq's "options"), so
# it costs no query (through a pooler it is the role's default instead: DATABASE_POOLER);
# `migrate` lifts it (a schema change on a big table may take minutes).
ISSUES_API_STATEMENT_TIMEOUT_MS = int(os.environ.get("ISSUES_API_STATEMENT_TIMEOUT_MS", "5000"))
if ISSUES_API_STATEMENT_TIMEOUT_MS < 0:
    raise ImproperlyConfigured("ISSUES_API_STATEMENT_TIMEOUT_MS is 0 (off) or more.")
# PostgreSQL's random_page_cost for the service's connections (0: the server's setting).
try:
    ISSUES_API_RANDOM_PAGE_COST = float(os.environ.get("ISSUES_API_RANDOM_PAGE_COST", "1.1"))
except ValueError:
    raise ImproperlyConfigured("ISSUES_API_RANDOM_PAGE_COST is a number.") from None
if not 0 <= ISSUES_API_RANDOM_PAGE_COST < 1000:
    raise ImproperlyConfigured("ISSUES_API_RANDOM_PAGE_COST is 0 (the server's) or more.")
# A connection pooler between the service and PostgreSQL: "pgbouncer" (PgBouncer in
# transaction mode, many app nodes x workers sharing a few server connections), or empty
# (the default: each process holds its own server connection). Through the pooler one client
# connection's transactions run on whichever server connection is free, so nothing may
# outlive a transaction on it: the connection settings below cannot ride in the start-up
# packet (PgBouncer refuses libpq's "options") and are the role's defaults in the database
# instead, which `migrate` sets (docs/scaling.md, "Connection pooler"); statements are not
# prepared (ISSUES_API_PREPARED_STATEMENTS; psycopg's own are off, Django's default), and
# Django's server-side cursors (WITH HOLD, kept past the transaction) are off, as Django's
# documentation asks.
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "").strip().lower()
if DATABASE_POOLER not in {"", "pgbouncer"}:
    raise ImproperlyConfigured("DATABASE_POOLER is pgbouncer or empty (no pooler).")
postgresql = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
# The settings of the service's PostgreSQL sessions, by name (None: the server's own).
ISSUES_API_CONNECTION_SETTINGS = {
    # The statements issues_api.jsonrows prepares are planned once, generically: their
    # parameters are keys, and planning them cost more than running them (issue 10).
    "plan_cache_mode": "force_generic_plan",
    # The rows a request reads are in memory (or on SSD): an index lookup costs about what a
    # sequential page read does, not PostgreSQL's default 4 times as much, which made it scan
    # small tables whole per issue (a list of 25 issues ran its statement 35% slower).
    "random_page_cost": f"{ISSUES_API_RANDOM_PAGE_COST:g}" if ISSUES_API_RANDOM_PAGE_COST else None,
    # Always given, 0 too: the role may have a default of its own (set for a pooler).
    "statement_timeout": str(ISSUES_API_STATEMENT_TIMEOUT_MS),
}
# As libpq's options (-c name=value ...): sent in the start-up packet, unless through a pooler.
settings_of_connection = " ".join(
    f"-c {name}={value}"
    for name, value in ISSUES_API_CONNECTION_SETTINGS.items()
    if value is not None
)
if postgresql:
    database_options = DATABASES["default"].setdefault("OPTIONS", {})
    if DATABASE_POOLER:
        if database_options.get("options"):
            raise ImproperlyConfigured(
                "DATABASE_URL gives options=..., which PgBouncer refuses (DATABASE_POOLER): "
                "set them on the role instead (ALTER ROLE ... IN DATABASE ... SET)."
            )
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        # Added to any options=... that DATABASE_URL's query string already gives.
        database_options["options"] = (
            f"{database_options.get('options', '')} {settings_of_connection}".strip()
        )

# Read replicas (PostgreSQL streaming replicas of the primary), comma-separated URLs; none by
# default, and then nothing below adds anything. Each becomes a database alias (replica1, ...)
# with the primary's settings (options, statement budget, conn_max_age) and a short connect
# timeout; issues_api.db_router sends the API's reads (GET, HEAD) to one that has replayed the
# client's last write, and everything else to the primary (issues_api.replicas).
DATABASE_REPLICAS: list[str] = []
_replica_urls = env_list("DATABASE_REPLICA_URLS", "")
if _replica_urls:
    if not postgresql:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL.")
    for _number, _url in enumerate(_replica_urls, start=1):
        _replica = dj_database_url.parse(
            _url,
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=DATABASES["default"]["CONN_HEALTH_CHECKS"],
        )
        if not _replica["ENGINE"].startswith("django.db.backends.postgresql"):
            raise ImproperlyConfigured("DATABASE_REPLICA_URLS are postgres:// URLs.")
        _alias = f"replica{_number}"
        _options = _replica.setdefault("OPTIONS", {})
        if DATABASE_POOLER:
            # Through the pooler too: the settings are the role's (migrate sets them on the
            # primary, and a replica replays them), and no server-side cursor.
            _replica["DISABLE_SERVER_SIDE_CURSORS"] = True
        else:
            _options["options"] = f"{_options.get('options', '')} {settings_of_connection}".strip()
        # A replica that does not answer is skipped: it must cost a request little (libpq
        # counts whole seconds, and at least 2).
        _options.setdefault(
            "connect_timeout", os.environ.get("DATABASE_REPLICA_CONNECT_TIMEOUT", "2")
        )
        # Seen in the replica's pg_stat_activity, as the alias the service reads it by.
        _options.setdefault("application_name", f"issues-api-{_alias}")
        # The tests' database of a replica is the primary's test database, which reaches the
        # replica by replication (Django creates none on it).
        _replica["TEST"] = {"MIRROR": "default"}
        DATABASES[_alias] = _replica
        DATABASE_REPLICAS.append(_alias)
    DATABASE_ROUTERS = ["issues_api.db_router.ReplicaRouter"]
    MIDDLEWARE.append("issues_api.replicas.ReadReplicaMiddleware")
# A replica further behind than this (seconds since the last transaction it replayed, when
# it has not replayed all it received) is skipped.
DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS", "5"))
# How long a process trusts what a replica said of itself (its replay position and lag), and
# how long it leaves a replica that failed to answer alone.
DATABASE_REPLICA_STATUS_SECONDS = float(os.environ.get("DATABASE_REPLICA_STATUS_SECONDS", "0.5"))
DATABASE_REPLICA_RETRY_SECONDS = float(os.environ.get("DATABASE_REPLICA_RETRY_SECONDS", "5"))

# The statements issues_api.jsonrows runs are prepared once per connection (PostgreSQL); never
# through the pooler, where a connection's next transaction may find another server session
# (PgBouncer passes no SQL-level PREPARE between them, whatever its version).
ISSUES_API_PREPARED_STATEMENTS = env_bool("ISSUES_API_PREPARED_STATEMENTS", not DATABASE_POOLER)
if ISSUES_API_PREPARED_STATEMENTS and DATABASE_POOLER:
    raise ImproperlyConfigured(
        "ISSUES_API_PREPARED_STATEMENTS cannot be on with DATABASE_POOLER: PgBouncer in "
        "transaction mode does not keep a session's prepared statements."
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out login before the password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Security headers Sentry sends (see the reference headers).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Production runs behind a proxy that terminates TLS and sets X-Forwarded-Proto (nginx):
# cookies only over HTTPS, HSTS, plain HTTP redirected; `manage.py check --deploy` passes.
if ENVIRONMENT == "production":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Off only for a trial over plain HTTP (docker compose on http://127.0.0.1:8000/), where a
    # redirect to https:// would lead nowhere.
    SECURE_SSL_REDIRECT = env_bool("ISSUES_API_SSL_REDIRECT", True)
    # Browsers keep HSTS for this long (sent on HTTPS answers only); 0 sends none.
    SECURE_HSTS_SECONDS = int(os.environ.get("ISSUES_API_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ISSUES_API_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("ISSUES_API_HSTS_PRELOAD", True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["issues_api.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["issues_api.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "issues_api.api.exceptions.sentry_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# ---- OpenAPI (drf-spectacular) ---------------------------------------------------------------
# The service's own OpenAPI 3 schema at /api/0/schema/ and Swagger UI at /api/0/docs/, both
# public. Swagger UI's assets come from drf-spectacular-sidecar (self-hosted, no CDN). The
# operations and their documents are described in issues/openapi.py.
SPECTACULAR_SETTINGS = {
    "TITLE": "issues-api",
    "DESCRIPTION": (
        "A Sentry-compatible issue API: GET, PUT and DELETE of one issue on "
        "/api/0/issues/{issue_id}/, its alias /api/0/groups/{issue_id}/ and "
        "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/, and the list "
        "of a project's client keys (DSNs), and the release routes CI pipelines and "
        "sentry-cli call (releases, their commits and deploys). "
        "Authenticate with `Authorization: Bearer <token>`; the token's scopes decide the "
        "methods (GET event:read, PUT event:write, DELETE event:admin; client keys "
        "project:read; releases project:read to read, project:releases to write)."
    ),
    "VERSION": "0",
    "OAS_VERSION": "3.0.3",
    "SCHEMA_PATH_PREFIX": "/api/0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["issues.openapi.preprocess_issue_routes"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "issues.openapi.postprocess_issue_schema",
    ],
}
# ---- end of OpenAPI --------------------------------------------------------------------------

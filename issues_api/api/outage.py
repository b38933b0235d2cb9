"""A database that cannot answer now: 503 with Retry-After and one log line, never a 500.

Two causes share one answer. PostgreSQL cannot be reached (connection refused, lost in the
middle of a request, the server shutting down, no connection slot left), or a statement outran
the budget (ISSUES_API_STATEMENT_TIMEOUT_MS) and PostgreSQL cancelled it. Both are worth
retrying a little later, and 503 with Retry-After is the answer HTTP clients retry by
themselves (urllib3's default Retry honours Retry-After on 503, not on 504). A traceback says
nothing more than the one line does, and an outage would write one per request.

DRF's views answer through issues_api.api.exceptions, everything else (the admin, a failing
middleware) through the 500 handler in issues_api.api.errors; both ask `unavailable_detail`.
"""

import logging

import psycopg
from django.db import InterfaceError, OperationalError

logger = logging.getLogger("issues_api")

RETRY_AFTER_SECONDS = 5
UNREACHABLE = "The database is unavailable. Try again shortly."
CANCELLED = "The request took too long and was cancelled. Try again shortly."

# PostgreSQL's SQLSTATE of a statement cancelled by statement_timeout (query_canceled).
QUERY_CANCELED = "57014"
# An unreachable server: 08 connection exception, 57P operator intervention (shutting down,
# cannot connect now), 53 insufficient resources (too many connections). psycopg gives no
# SQLSTATE at all when the server never answered (refused, closed mid-query).
UNREACHABLE_CLASSES = ("08", "57P", "53")


def unavailable_detail(exc: BaseException | None) -> str | None:
    """The `detail` to answer when `exc` says the database cannot answer now, else None.

    Only PostgreSQL's errors (they carry a SQLSTATE) qualify: SQLite's OperationalError also
    means "no such table", a bug that must stay a 500 with its traceback. psycopg's own
    errors qualify as Django's wrapping of them do (the ASGI ingest front's queue,
    issues.services.accept_async, uses psycopg directly).
    """
    if isinstance(exc, InterfaceError | psycopg.InterfaceError):  # closed or unusable
        return UNREACHABLE
    if isinstance(exc, psycopg.OperationalError):
        driver_error = exc
    elif isinstance(exc, OperationalError):
        driver_error = exc.__cause__
    else:
        return None
    if not hasattr(driver_error, "sqlstate"):
        return None
    sqlstate = driver_error.sqlstate
    if sqlstate == QUERY_CANCELED:
        return CANCELLED
    if sqlstate is None or sqlstate.startswith(UNREACHABLE_CLASSES):
        return UNREACHABLE
    return None


def log_unavailable(request, exc: BaseException, detail: str) -> None:
    """One line, no traceback: the request and the database's own words."""
    log_unavailable_at(request.method, request.path, exc, detail)


def log_unavailable_at(method: str, path: str, exc: BaseException, detail: str) -> None:
    reason = " ".join(str(exc).split())[:300]
    level = logging.WARNING if detail == CANCELLED else logging.ERROR
    what = "Statement cancelled" if detail == CANCELLED else "Database unavailable"
    logger.log(level, "%s (503): %s %s: %s", what, method, path, reason)


def answered_unavailable(response):
    """Headers of a 503, and no second log line: Django logs every 5xx response again (with
    the traceback when it caught the exception) unless the response says it was logged."""
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response._has_been_logged = True
    return response

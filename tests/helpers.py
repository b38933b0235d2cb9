"""What many test files need, kept once: Sentry's error bodies and the check of an error
answer, the URLs of the issue routes, tokens and clients with the scopes a test asks for, the
reads of a JSON answer and of its pagination links, and db_state, the snapshot that shows a
refused request changed nothing. The fixtures built on these are in tests/conftest.py."""

import re
from typing import NamedTuple
from urllib.parse import parse_qs, urlparse

import orjson
import pytest
from django.conf import settings
from django.db import connection
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient

from accounts.scopes import EVENT_SCOPES
from issues.models import (
    Activity,
    Assignee,
    Bookmark,
    Issue,
    IssueHash,
    IssueSeen,
    IssueTombstone,
    Resolution,
    Share,
    Snooze,
    Subscription,
)
from tests.factories import ApiTokenFactory

# A test that ends the server session under a client's connection: through a pooler the
# client's connection is to the pooler, which replaces a lost server connection itself
# (tests/serving/test_pgbouncer.py checks that).
direct_to_postgresql = pytest.mark.skipif(
    bool(settings.DATABASE_POOLER), reason="through a pooler, it replaces lost server sessions"
)

# ---- Sentry's error bodies (docs/behaviour.md §4) -------------------------------------------

NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
INVALID_TOKEN = {"detail": "Invalid token"}
TOKEN_EXPIRED = {"detail": "Token expired"}
USER_INACTIVE = {"detail": "User inactive or deleted"}
PERMISSION_DENIED = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "The requested resource does not exist"}
TOO_LARGE = {"detail": "Request body is too large."}
# The challenge of every 401: Sentry's, whose "x" keeps a browser from asking for a password.
WWW_AUTHENTICATE = 'xBasic realm="api"'


def assert_error(response, status: int, body: dict) -> None:
    """An error answered as Sentry does: the status, a JSON body (none for HEAD), and the
    challenge on a 401."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    if response.request["REQUEST_METHOD"] != "HEAD":
        assert response.json() == body
    if status == 401:
        assert response["WWW-Authenticate"] == WWW_AUTHENTICATE


def assert_gone(client, url: str) -> None:
    """Every method on the URL of an issue that was deleted or discarded answers Sentry's 404,
    whatever the PUT asks for."""
    for response in (
        client.get(url),
        client.put(url, {"status": "resolved"}, format="json"),
        client.put(url, {"status": "unresolved"}, format="json"),
        client.put(url, {"discard": True}, format="json"),
        client.delete(url),
    ):
        assert_error(response, 404, NOT_FOUND)


# ---- URLs -----------------------------------------------------------------------------------

# The three routes of one issue: the legacy /issues/ and /groups/, and the organization's.
ROUTES = ("issues", "groups", "organization")


def org_issue_url(organization_id_or_slug, issue_id) -> str:
    return f"/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/"


def route_url(route: str, issue_id, organization=None) -> str:
    """`issue_id` on one of ROUTES: a number, a short id, or whatever a client may send; the
    organization route names `organization`."""
    if route == "issues":
        return f"/api/0/issues/{issue_id}/"
    if route == "groups":
        return f"/api/0/groups/{issue_id}/"
    if route == "organization":
        return org_issue_url(organization.slug, issue_id)
    raise ValueError(f"no route {route!r}")


def issue_url(issue, route: str = "issues") -> str:
    """The issue's own URL on one of ROUTES (only the organization route reads the project)."""
    organization = issue.project.organization if route == "organization" else None
    return route_url(route, issue.pk, organization)


def events_url(issue, *rest: str) -> str:
    """The issue's events, or one of them: events_url(issue, "latest")."""
    return "/".join([f"/api/0/issues/{issue.pk}/events", *rest]) + "/"


def short_id_url(organization, short_id) -> str:
    return f"/api/0/organizations/{organization.slug}/shortids/{short_id}/"


def project_keys_url(project, organization_id_or_slug=None, project_id_or_slug=None) -> str:
    """The project's client keys, the organization and project named by slug unless told."""
    organization = organization_id_or_slug or project.organization.slug
    return f"/api/0/projects/{organization}/{project_id_or_slug or project.slug}/keys/"


# ---- Tokens and clients ---------------------------------------------------------------------


def new_token(user, scopes=EVENT_SCOPES) -> str:
    """The plaintext of a new token of `user` holding `scopes`."""
    return ApiTokenFactory(user=user, scopes=list(scopes)).plaintext


def bearer(plaintext: str) -> dict:
    """The request header that sends a token."""
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def client_for(user, scopes=EVENT_SCOPES) -> APIClient:
    """A new API client sending a new token of `user`, holding `scopes`, with every request."""
    client = APIClient()
    client.credentials(**bearer(new_token(user, scopes)))
    return client


def send(client, method: str, url: str, *, token: str | None = None, body=None):
    """`method` on `url`, with the token `token` when given; a PUT sends `body` as JSON, a
    resolve unless told otherwise, so that a matrix of methods reads as one call."""
    headers = {} if token is None else bearer(token)
    if method == "PUT":
        body = {"status": "resolved"} if body is None else body
        return client.put(url, body, format="json", **headers)
    return getattr(client, method.lower())(url, **headers)


# ---- Answers --------------------------------------------------------------------------------

# An ISO 8601 time in UTC as Sentry writes it: Z, and microseconds only when there are some.
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
LINK = re.compile(r'<([^>]+)>; rel="(previous|next)"; results="(true|false)"; cursor="([^"]+)"')


class Link(NamedTuple):
    """One link of Sentry's Link header."""

    url: str
    results: bool
    cursor: str


def get_json(client, url: str, **params):
    """The JSON of a GET that must answer 200."""
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def get_issue(client, issue) -> dict:
    """The issue's document, which must answer 200."""
    return get_json(client, issue_url(issue))


def put_issue(client, issue, body, *, url: str | None = None) -> dict:
    """The answer of a PUT of `body` to the issue (or `url`), which must be 200."""
    response = client.put(url or issue_url(issue), body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def validate(schema: dict, document) -> None:
    """`document` against an OpenAPI 3.0 schema (Sentry's published ones)."""
    OAS30Validator(schema).validate(document)


def links(response) -> dict[str, Link]:
    """The Link header's "previous" and "next", by rel."""
    return {
        rel: Link(url, results == "true", cursor)
        for url, rel, results, cursor in LINK.findall(response["Link"])
    }


def follow(client, url: str):
    """GET a URL of the Link header, its query string sent as the parameters."""
    parsed = urlparse(url)
    return client.get(
        parsed.path, {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    )


# ---- What a request could change ------------------------------------------------------------

# Every table a request to the issue routes may write to.
COUNTED = (
    Issue,
    Activity,
    Bookmark,
    Subscription,
    IssueSeen,
    Share,
    Assignee,
    Snooze,
    Resolution,
    IssueHash,
    IssueTombstone,
)


def db_state(issue) -> dict:
    """The issue's status and how many rows each COUNTED table holds, to show that a refused
    request changed nothing; in one query, as matrices take hundreds of these."""
    quote = connection.ops.quote_name
    # The names are the models' own tables; nothing comes from outside.
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})"  # noqa: S608
        for model in COUNTED
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, substatus, resolved_at, deletion_requested_at, {counts} "  # noqa: S608
            f"FROM {quote(Issue._meta.db_table)} WHERE id = %s",
            [issue.pk],
        )
        row = cursor.fetchone()
    names = ["status", "substatus", "resolved_at", "deletion_requested_at"]
    return dict(zip(names + [model.__name__ for model in COUNTED], row, strict=True))


# ---- Ingest (what SDKs send) ----------------------------------------------------------------


def ingest_url(project, endpoint: str = "envelope", prefix: str = "") -> str:
    """Where an SDK posts the project's events: endpoint "envelope" or "store"."""
    return f"{prefix}/api/{project.pk}/{endpoint}/"


def sentry_auth(public_key: str) -> dict:
    """The X-Sentry-Auth header of an SDK, for the test client."""
    return {
        "HTTP_X_SENTRY_AUTH": (
            f"Sentry sentry_key={public_key}, sentry_version=7, sentry_client=sentry.python/2.0"
        )
    }


def envelope(*items, **headers) -> bytes:
    """An envelope: `headers`, then each item, an (item headers, payload) pair whose payload
    is bytes or a JSON value; an item header without "length" gets the payload's (None: no
    length, the payload ends at its newline)."""
    lines = [orjson.dumps(headers)]
    for item_headers, payload in items:
        data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        header = {"length": len(data), **item_headers}
        header = {name: value for name, value in header.items() if value is not None}
        lines += [orjson.dumps(header), data]
    return b"\n".join(lines) + b"\n"

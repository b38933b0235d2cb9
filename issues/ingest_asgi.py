"""The ingest routes for gunicorn's ASGI worker: what production serves SDKs with
(deploy/gunicorn/ingest.py, the `ingest` service of docker-compose.yml). Every other path
goes to Django's own ASGI application.

The answers are issues.ingest.intake's, as under WSGI (issues.ingest.apis); only the
plumbing differs. One event loop a process, no threads: a request that waits for its commit
costs nothing while it waits, and the commits of all requests waiting at once are one
statement (issues.services.accept_async.AcceptQueue). Django's ORM, which is synchronous,
is used only for what the flow rarely needs: a client key no longer kept
(accounts.selectors.kept_project_key), a key's rate limit, and the queue on a database
other than PostgreSQL.

Measured with the same envelopes (make bench's, on 2 cores, nothing else running): the
workers spent 0.94 to 0.96 ms of CPU on each envelope under gthread threads with Django's
WSGI handler, 0.39 to 0.43 ms here; PostgreSQL 0.28 ms against 0.11 to 0.14 ms.
"""

import json
import logging
import os
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issues_api.settings")
django_application = get_asgi_application()

from django.db import close_old_connections, connections  # noqa: E402

from accounts.selectors import NOT_KEPT, kept_project_key, project_key_by_public_key  # noqa: E402
from issues.ingest.intake import (  # noqa: E402
    Answer,
    CountRequest,
    FindKey,
    Intake,
    ReadBody,
    Store,
    intake,
)
from issues.services import events_accept  # noqa: E402
from issues.services.accept_async import AcceptQueue  # noqa: E402
from issues.services.ingest import accepted_rows  # noqa: E402
from issues_api.api.errors import path_or_query_refusal  # noqa: E402
from issues_api.api.outage import (  # noqa: E402
    RETRY_AFTER_SECONDS,
    log_unavailable_at,
    unavailable_detail,
)
from issues_api.api.ratelimit import count_request  # noqa: E402
from issues_api.ingest_routes import INGEST_PATH  # noqa: E402

logger = logging.getLogger("django.request")


def _fresh(function):
    """`function` in Django's thread for synchronous code, on a connection that is not stale
    (what request_started does for a WSGI request)."""

    def call(*args, **kwargs):
        close_old_connections()
        return function(*args, **kwargs)

    return sync_to_async(call)


_find_key = _fresh(project_key_by_public_key)
_count_request = _fresh(count_request)
_events_accept = _fresh(events_accept)


class IngestApplication:
    def __init__(self, fallback):
        self.fallback = fallback
        self.queue = AcceptQueue()
        self.postgresql = connections["default"].vendor == "postgresql"

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        route = INGEST_PATH.match(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            return await self.fallback(scope, receive, send)
        method, path = scope["method"], scope["path"]
        try:
            answer = await self._answer(scope, route, receive)
        except Exception as error:
            detail = unavailable_detail(error)
            if detail is None:
                logger.exception("Internal Server Error: %s", path)
                answer = Answer(500, {"detail": "Internal Error"})
            else:
                log_unavailable_at(method, path, error, detail)
                answer = Answer(503, {"detail": detail}, {"Retry-After": str(RETRY_AFTER_SECONDS)})
        await _send(send, answer)

    async def _answer(self, scope, route, receive) -> Answer:
        query = scope["query_string"].decode("latin-1")
        refusal = path_or_query_refusal(scope["path"], query)
        if refusal is not None:
            return Answer(400, {"detail": refusal})
        headers = _headers(scope)
        flow = intake(
            Intake(
                method=scope["method"],
                project_id=route["project_id"],
                endpoint=route["endpoint"],
                path_prefix=route["path_prefix"],
                auth_header=headers.get("x-sentry-auth", ""),
                authorization=headers.get("authorization", ""),
                query_key=dict(parse_qsl(query, keep_blank_values=True)).get("sentry_key"),
                content_length=headers.get("content-length", ""),
                content_encoding=headers.get("content-encoding", ""),
            )
        )
        result = None
        try:
            while True:
                result = await self._fulfil(flow.send(result), receive)
        except StopIteration as stop:
            return stop.value

    async def _fulfil(self, need, receive):
        if isinstance(need, ReadBody):
            return await _body(receive, need.most)
        if isinstance(need, FindKey):
            key = kept_project_key(need.public_key)
            return await _find_key(need.public_key) if key is NOT_KEPT else key
        if isinstance(need, CountRequest):
            return await _count_request(need.client, need.rate)
        if isinstance(need, Store):
            if not self.postgresql:
                return await _events_accept(
                    project_id=need.project_id, events=need.events, received=need.received
                )
            return await self.queue.put(accepted_rows(need.project_id, need.events, need.received))
        raise TypeError(need)

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.queue.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _headers(scope) -> dict[str, str]:
    """The request's headers by lowercase name; one sent twice is joined with commas, as
    gunicorn joins it for WSGI."""
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        name, value = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


async def _body(receive, most: int) -> bytes:
    """The body, or its first bytes once it is longer than `most`."""
    parts, size = [], 0
    while size <= most:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        part = message.get("body", b"")
        parts.append(part)
        size += len(part)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


async def _send(send, answer: Answer) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers.items()
    ]
    if answer.body is None:  # the preflight's, as Django's HttpResponse() answers it
        body, content_type = b"", b"text/html; charset=utf-8"
    else:  # Django's JsonResponse writes the same bytes
        body, content_type = json.dumps(answer.body).encode(), b"application/json"
    headers.append((b"content-type", content_type))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


application = IngestApplication(django_application)

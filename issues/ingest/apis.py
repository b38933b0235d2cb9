"""The ingest endpoints SDKs post to, served by Django: POST /api/{project_id}/envelope/ and
.../store/ (also under the path of ISSUES_API_URL_PREFIX), and their CORS preflight.

Not DRF endpoints: no bearer token, session or CSRF; a project key instead, read as Relay
reads it. What they answer is issues.ingest.intake's flow; this view gives it what it asks
for, synchronously. Production serves these routes from gunicorn's ASGI worker instead
(issues.ingest_asgi), with the same flow.
"""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.selectors import project_key_by_public_key
from issues.ingest.intake import (
    CountRequest,
    FindKey,
    Intake,
    ReadBody,
    Store,
    intake,
)
from issues.services import events_accept
from issues_api.api.ratelimit import count_request


def _fulfil(request, need):
    if isinstance(need, ReadBody):
        return request.read(need.most + 1)
    if isinstance(need, FindKey):
        return project_key_by_public_key(need.public_key)
    if isinstance(need, CountRequest):
        return count_request(need.client, need.rate)
    if isinstance(need, Store):
        return events_accept(project_id=need.project_id, events=need.events, received=need.received)
    raise TypeError(need)


def run(flow, fulfil):
    """Drives an intake flow to its Answer, doing what it asks with `fulfil(need)`."""
    result = None
    try:
        while True:
            result = fulfil(flow.send(result))
    except StopIteration as stop:
        return stop.value


@csrf_exempt
def ingest_api(request, project_id: str, endpoint: str, path_prefix: str | None = None):
    meta = request.META
    flow = intake(
        Intake(
            method=request.method,
            project_id=project_id,
            endpoint=endpoint,
            path_prefix=path_prefix,
            auth_header=meta.get("HTTP_X_SENTRY_AUTH", ""),
            authorization=meta.get("HTTP_AUTHORIZATION", ""),
            query_key=request.GET.get("sentry_key"),
            content_length=meta.get("CONTENT_LENGTH") or "",
            content_encoding=meta.get("HTTP_CONTENT_ENCODING", ""),
        )
    )
    answer = run(flow, lambda need: _fulfil(request, need))
    if answer.body is None:
        response = HttpResponse(status=answer.status)
    else:
        response = JsonResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    return response

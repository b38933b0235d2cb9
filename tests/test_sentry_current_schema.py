"""Every answer of the routes that Sentry's current OpenAPI describes
(contract/sentry-openapi-current-routes.json) validated against that schema: each route and
method, over rich data (issues with events, tags, users, releases, an assignee, activity, a
share, a snooze, a resolution) and the query parameters Sentry documents, and over its error
answers. A status the schema does not list fails, unless RELAXATIONS documents it.

Sentry's schema is stricter than Sentry's code in places (keys its serializers send only on
`expand=`, statuses its endpoints answer but the schema leaves out, values its code sends as
null that the schema types as non-null). Where it is, the test follows the code: RELAXATIONS
is the one table of those cases, each with its reason and the Sentry source that proves it,
and docs/behaviour.md §17 describes each.
"""

import copy
import re
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from django.utils import timezone
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient

from issues.models import Event
from issues.seed import (
    PUMP_STATION_VERSION,
    build_reference_world,
    python_sample_event,
    token_for,
)
from issues.services import record_event
from tests.contract import CONTRACT_DIR, CURRENT_OPENAPI
from tests.factories import ApiTokenFactory, make_issue, make_organization
from tests.helpers import bearer, links
from tests.test_openapi import dereference

pytestmark = pytest.mark.django_db
REPOSITORY = CONTRACT_DIR.parent

ROUTES = {
    "organizations": "/api/0/organizations/",
    "organization": "/api/0/organizations/{organization_id_or_slug}/",
    "organization_issues": "/api/0/organizations/{organization_id_or_slug}/issues/",
    "short_id": "/api/0/organizations/{organization_id_or_slug}/shortids/{issue_id}/",
    "project_issues": "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/",
    "issue": "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/",
    "issue_events": "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/events/",
    "issue_event": (
        "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/events/{event_id}/"
    ),
}


# ---- Where Sentry's schema is stricter than its code (docs/behaviour.md §17) ----------------


class Relaxation(NamedTuple):
    """What Sentry's code does that its schema does not allow, for one (route, method, status):
    keys it leaves out (`optional`), keys it may send as null (`nullable`), both as paths
    ("group/title") in the answer's document (an array's item), or a status the schema leaves out
    (`status`)."""

    reason: str
    source: str
    optional: frozenset[str] = frozenset()
    nullable: frozenset[str] = frozenset()
    status: bool = False


GROUP_STREAM = "getsentry/sentry:src/sentry/api/serializers/models/group_stream.py"
GROUP = "getsentry/sentry:src/sentry/api/serializers/models/group.py"
ORGANIZATION_GROUP_INDEX = (
    "getsentry/sentry:src/sentry/issues/endpoints/organization_group_index.py"
)
PROJECT_GROUP_INDEX = "getsentry/sentry:src/sentry/issues/endpoints/project_group_index.py"

# What the organization's list leaves out with collapse=base: all of the base serializer's keys
# but the id, the seen stats and isUnhandled.
COLLAPSED_BY_BASE = frozenset(
    {
        "annotations",
        "assignedTo",
        "culprit",
        "hasSeen",
        "isBookmarked",
        "isPublic",
        "isSubscribed",
        "issueCategory",
        "issueType",
        "level",
        "logger",
        "metadata",
        "numComments",
        "permalink",
        "platform",
        "priority",
        "priorityLockedAt",
        "project",
        "seerAutofixLastTriggered",
        "seerExplorerAutofixLastTriggered",
        "seerFixabilityScore",
        "shareId",
        "shortId",
        "status",
        "statusDetails",
        "subscriptionDetails",
        "substatus",
        "title",
        "type",
    }
)

# Keyed by (route, method, status), or (route, method, status, parameter) for what only a
# request with that query parameter gets ("name": any value, "name=value": that value).
RELAXATIONS: dict[tuple, Relaxation] = {
    ("organization_issues", "get", 200): Relaxation(
        reason=(
            "StreamGroupSerializerSnuba adds inbox, owners, integrationIssues, sentryAppIssues, "
            "latestEventHasAttachments and sessionCount only for the matching expand= value "
            "(sessionCount: expand=sessions), matchingEventId only when the query is an event "
            "id that names one issue; derivedData is not among the keys its response type "
            "declares. inbox, owners and sessionCount are null when there is nothing to show "
            "(get_inbox_details(...).get(id): an issue not in the inbox; "
            "get_owner_details(...).get(id); a project without sessions)."
        ),
        source=f"{GROUP_STREAM} (StreamGroupSerializerSnuba.serialize); "
        f"{ORGANIZATION_GROUP_INDEX} (get: matchingEventId)",
        optional=frozenset(
            {
                "inbox",
                "owners",
                "integrationIssues",
                "sentryAppIssues",
                "latestEventHasAttachments",
                "sessionCount",
                "matchingEventId",
                "matchingEventEnvironment",
                "derivedData",
            }
        ),
        nullable=frozenset({"inbox", "owners", "sessionCount"}),
    ),
    ("organization_issues", "get", 200, "groupStatsPeriod="): Relaxation(
        reason=(
            "groupStatsPeriod='' turns the series off: calculate_stats_period gives no stats "
            "period, and StreamGroupSerializerSnuba adds stats only with one."
        ),
        source=f"{ORGANIZATION_GROUP_INDEX} (get: calculate_stats_period); {GROUP_STREAM} "
        "(StreamGroupSerializerSnuba.serialize)",
        optional=frozenset({"stats"}),
    ),
    ("organization_issues", "get", 200, "collapse=stats"): Relaxation(
        reason="collapse=stats leaves out the series, lifetime and filtered.",
        source=f"{GROUP_STREAM} (StreamGroupSerializerSnuba.serialize: _collapse('stats'))",
        optional=frozenset({"stats", "lifetime", "filtered"}),
    ),
    ("organization_issues", "get", 200, "collapse=lifetime"): Relaxation(
        reason="collapse=lifetime leaves out lifetime.",
        source=f"{GROUP_STREAM} (StreamGroupSerializerSnuba.serialize: _collapse('lifetime'))",
        optional=frozenset({"lifetime"}),
    ),
    ("organization_issues", "get", 200, "collapse=unhandled"): Relaxation(
        reason=(
            "collapse=unhandled skips the unhandled query, so isUnhandled is not in the "
            "attributes and not sent."
        ),
        source=f"{GROUP} (GroupSerializerSnuba._get_group_snuba_stats, "
        "GroupSerializerBase.serialize)",
        optional=frozenset({"isUnhandled"}),
    ),
    ("organization_issues", "get", 200, "collapse=base"): Relaxation(
        reason=(
            "collapse=base sends only the id, the seen stats (count, userCount, firstSeen, "
            "lastSeen), isUnhandled and the stats part (stats, lifetime, filtered)."
        ),
        source=f"{GROUP_STREAM} (StreamGroupSerializerSnuba.serialize: _collapse('base'))",
        optional=COLLAPSED_BY_BASE,
    ),
    ("project_issues", "get", 200, "statsPeriod="): Relaxation(
        reason=(
            "statsPeriod='' turns the stats off: StreamGroupSerializer adds stats only when "
            "it has a stats period."
        ),
        source=f"{PROJECT_GROUP_INDEX} (get: 'disable stats'); {GROUP_STREAM} "
        "(StreamGroupSerializer.serialize)",
        optional=frozenset({"stats"}),
    ),
    ("project_issues", "get", 400): Relaxation(
        reason=(
            "The project's list answers 400 {'detail': ...} for a statsPeriod it does not "
            "know and for a search it cannot parse; the schema lists only 200 and 403."
        ),
        source=f"{PROJECT_GROUP_INDEX} (get: ERR_INVALID_STATS_PERIOD, InvalidSearchQuery)",
        status=True,
    ),
    ("project_issues", "get", 401): Relaxation(
        reason="Every endpoint answers 401 without credentials; the schema leaves it out here.",
        source=f"{PROJECT_GROUP_INDEX} (ProjectEndpoint, ProjectEventPermission)",
        status=True,
    ),
    ("project_issues", "get", 404): Relaxation(
        reason="ProjectEndpoint.convert_args answers 404 for an unknown project or organization.",
        source="getsentry/sentry:src/sentry/api/bases/project.py (convert_args)",
        status=True,
    ),
    ("issue_events", "get", 200, "full"): Relaxation(
        reason=(
            "full=true serializes each event with EventSerializer, the event detail's shape, "
            "whose type is under `type`, not SimpleEventSerializer's `event.type`."
        ),
        source="getsentry/sentry:src/sentry/issues/endpoints/group_events.py (_get_events_snuba)",
        optional=frozenset({"event.type"}),
    ),
    ("issue", "put", 204): Relaxation(
        reason="discard answers 204 with no body once the issue is discarded.",
        source="getsentry/sentry:src/sentry/api/helpers/group_index/update.py (handle_discard)",
        status=True,
    ),
}

# The keys of the organization's issue list that `expand=` asks for: Sentry's code sends each
# when asked (sessionCount with the stats), so a relaxation's `optional` does not cover them
# then. latestEventHasAttachments stays optional: Sentry sends it only with the
# event-attachments feature and a latest event.
EXPANDED = {
    "inbox": "inbox",
    "owners": "owners",
    "integrationIssues": "integrationIssues",
    "sentryAppIssues": "sentryAppIssues",
    "sessions": "sessionCount",
}

# ---- The data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    organization: str
    project: str
    issue: int
    short_id: str
    event_id: str
    ignored: int
    resolved: int
    outsider_organization: str
    outsider_project: str
    outsider_issue: int
    outsider_short_id: str
    tokens: dict


@pytest.fixture(scope="module")
def world(module_db) -> World:
    """The reference world, made rich: its issue 1 assigned, bookmarked, subscribed, seen,
    shared and commented on; a second issue ignored by count, a third resolved in a release,
    events in two environments with tags, users and releases; and an organization the user is
    not a member of."""
    with module_db():
        user, issue = build_reference_world()
        organization = issue.project.organization
        project = issue.project
        owner = token_for(user)
        client = APIClient()
        client.credentials(**bearer(owner))
        # One more event of issue 1, in another environment, by another user, of a new release.
        payload = python_sample_event(
            event_id="f" * 32, timestamp=timezone.now().isoformat(), release="staging-1"
        )
        record_event(
            project=project,
            payload={**payload, "environment": "staging", "user": {"id": "42", "email": "a@b.c"}},
        )
        url = ROUTES["issue"].format(organization_id_or_slug=organization.slug, issue_id=issue.pk)
        for change in (
            {"assignedTo": user.email},
            {"isBookmarked": True, "isSubscribed": True, "hasSeen": True, "isPublic": True},
        ):
            assert client.put(url, change, format="json").status_code == 200
        note = client.post(url + "comments/", {"text": "Looking into it"}, format="json")
        assert note.status_code == 201, note.content

        ignored = make_issue(project, message="Ignored until it happens again")
        url = ROUTES["issue"].format(organization_id_or_slug=organization.slug, issue_id=ignored.pk)
        team = project.teams.first()
        change = {"status": "ignored", "ignoreCount": 10, "assignedTo": f"team:{team.pk}"}
        assert client.put(url, change, format="json").status_code == 200

        resolved = make_issue(project, message="Fixed in a release", release=PUMP_STATION_VERSION)
        url = ROUTES["issue"].format(
            organization_id_or_slug=organization.slug, issue_id=resolved.pk
        )
        change = {"status": "resolved", "statusDetails": {"inRelease": PUMP_STATION_VERSION}}
        assert client.put(url, change, format="json").status_code == 200

        outsider = make_organization()
        outsider_issue = make_issue(outsider.projects.get())
        tokens = {
            "owner": owner,
            "reader": ApiTokenFactory(user=user, scopes=["event:read", "org:read"]).plaintext,
            "writer": ApiTokenFactory(user=user, scopes=["event:write", "org:read"]).plaintext,
            "orgless": ApiTokenFactory(user=user, scopes=["project:read"]).plaintext,
        }
        return World(
            organization=organization.slug,
            project=project.slug,
            issue=issue.pk,
            short_id=issue.qualified_short_id,
            event_id=Event.objects.filter(issue=issue).order_by("pk").first().event_id,
            ignored=ignored.pk,
            resolved=resolved.pk,
            outsider_organization=outsider.slug,
            outsider_project=outsider.projects.get().slug,
            outsider_issue=outsider_issue.pk,
            outsider_short_id=outsider_issue.qualified_short_id,
            tokens=tokens,
        )


# ---- The requests -----------------------------------------------------------------------------


class Case(NamedTuple):
    """One request: `route` and `method`, the URL's parts as World attributes (or "unknown"),
    the query or the body (a "next" cursor: the one of the first page's next link), the token
    (None: no credentials; "bogus": one that names no token) and the status Sentry answers."""

    route: str
    method: str
    status: int
    params: dict | None = None
    body: dict | None = None
    token: str | None = "owner"
    organization: str = "organization"
    project: str = "project"
    issue: str = "issue"
    event: str = "event_id"
    # False where an empty list is the answer (nothing in it to validate).
    listed: bool = True


def organization_issues(status=200, **fields):
    return Case("organization_issues", "get", status, **fields)


def project_issues(status=200, **fields):
    return Case("project_issues", "get", status, **fields)


def issue(method="get", status=200, **fields):
    return Case("issue", method, status, **fields)


def events(status=200, **fields):
    return Case("issue_events", "get", status, **fields)


def event(status=200, **fields):
    return Case("issue_event", "get", status, **fields)


def errors(route, method="get", *, forbidden: dict, not_found: dict):
    """A route's 401s (no credentials, a token that names nothing), its 403 and its 404."""
    return [
        Case(route, method, 401, token=None),
        Case(route, method, 401, token="bogus"),
        Case(route, method, 403, **forbidden),
        Case(route, method, 404, **not_found),
    ]


ISSUE_ERRORS = {
    "forbidden": {"organization": "outsider_organization", "issue": "outsider_issue"},
    "not_found": {"issue": "unknown"},
}
CASES = [
    # Organizations.
    Case("organizations", "get", 200),
    Case("organizations", "get", 200, params={"owner": "1"}),
    Case("organizations", "get", 200, params={"query": "slug:the-interstellar-jurisdiction"}),
    Case("organizations", "get", 200, params={"sortBy": "projects", "per_page": "1"}),
    Case("organizations", "get", 200, params={"cursor": "next", "per_page": "1"}, listed=False),
    Case("organizations", "get", 401, token=None),
    Case("organizations", "get", 401, token="bogus"),
    Case("organization", "get", 200),
    Case("organization", "get", 200, params={"detailed": "0"}),
    Case("organization", "get", 200, token="reader"),
    *errors(
        "organization",
        forbidden={"organization": "outsider_organization"},
        not_found={"organization": "unknown"},
    ),
    Case("organization", "get", 403, token="orgless"),
    # The organization's issues.
    organization_issues(),
    organization_issues(params={"query": ""}),
    organization_issues(params={"query": "", "statsPeriod": "14d", "groupStatsPeriod": "14d"}),
    organization_issues(params={"query": "", "groupStatsPeriod": "24h", "sort": "freq"}),
    organization_issues(params={"query": "", "groupStatsPeriod": "", "sort": "new"}),
    organization_issues(params={"query": "", "groupStatsPeriod": "auto", "sort": "user"}),
    organization_issues(params={"environment": "staging", "limit": "1"}),
    organization_issues(params={"project": "-1", "query": "is:ignored"}),
    organization_issues(params={"query": "is:resolved", "shortIdLookup": "1"}),
    organization_issues(params={"query": "PUMP-STATION-1", "shortIdLookup": "1"}),
    organization_issues(params={"query": "f" * 32}),
    organization_issues(params={"query": "", "cursor": "next", "limit": "1"}),
    organization_issues(params={"query": "", "collapse": ["stats", "lifetime", "unhandled"]}),
    organization_issues(params={"query": "", "collapse": "base"}),
    organization_issues(params={"query": "", "expand": ["inbox", "owners"]}),
    organization_issues(params={"expand": ["integrationIssues", "sentryAppIssues"]}),
    organization_issues(params={"expand": "sessions"}),
    organization_issues(params={"expand": "latestEventHasAttachments"}),
    organization_issues(400, params={"statsPeriod": "forever"}),
    organization_issues(400, params={"query": "is:nonsense"}),
    *errors(
        "organization_issues",
        forbidden={"organization": "outsider_organization"},
        not_found={"organization": "unknown"},
    ),
    # Short ids.
    Case("short_id", "get", 200, issue="short_id"),
    Case("short_id", "get", 200, issue="short_id", params={"collapse": ["stats", "tags"]}),
    Case("short_id", "get", 200, issue="short_id", token="reader"),
    *errors(
        "short_id",
        forbidden={"organization": "outsider_organization", "issue": "outsider_short_id"},
        not_found={"issue": "unknown"},
    ),
    # The project's issues.
    project_issues(),
    project_issues(params={"query": "", "statsPeriod": "14d", "sort": "freq"}),
    project_issues(params={"query": "", "statsPeriod": "", "sort": "new", "limit": "2"}),
    project_issues(params={"query": "is:ignored assigned:#" + "powerful-abolitionist"}),
    project_issues(params={"query": "PUMP-STATION-1", "shortIdLookup": "1"}),
    project_issues(params={"query": "", "cursor": "next", "limit": "1"}),
    project_issues(400, params={"statsPeriod": "forever"}),
    project_issues(400, params={"query": "is:nonsense"}),
    *errors(
        "project_issues",
        forbidden={"organization": "outsider_organization", "project": "outsider_project"},
        not_found={"project": "unknown"},
    ),
    # One issue: GET.
    issue(),
    issue(issue="ignored"),
    issue(issue="resolved"),
    issue(issue="short_id"),
    issue(params={"environment": "staging"}),
    issue(params={"environment": ["prod", "staging"], "collapse": ["release", "tags"]}),
    issue(params={"collapse": "stats"}),
    issue(params={"expand": ["inbox", "owners", "forecast", "integrationIssues"]}),
    issue(params={"expand": ["sentryAppIssues", "latestEventHasAttachments"]}),
    issue(token="reader"),
    issue(status=404, params={"environment": "nowhere"}),
    *errors("issue", **ISSUE_ERRORS),
    # PUT.
    issue("put", body={"status": "resolved"}),
    issue("put", body={"status": "resolvedInNextRelease"}),
    issue("put", body={"status": "resolved", "statusDetails": {"inRelease": "latest"}}),
    issue("put", body={"status": "ignored", "statusDetails": {"ignoreDuration": 30}}),
    issue("put", body={"status": "ignored", "ignoreUserCount": 2, "ignoreUserWindow": 60}),
    issue("put", body={"status": "unresolved"}, issue="resolved"),
    issue("put", body={"assignedTo": None, "isBookmarked": False, "isPublic": False}),
    issue("put", body={"hasSeen": False, "isSubscribed": False}),
    issue("put", body={"priority": "high"}),
    issue("put", body={}, token="writer"),
    issue("put", status=204, body={"discard": True}),
    issue("put", status=400, body={"status": "sideways"}),
    issue("put", status=400, body={"assignedTo": "nobody@nowhere.invalid"}),
    issue("put", status=403, token="reader", body={"status": "resolved"}),
    *errors("issue", "put", **ISSUE_ERRORS),
    # DELETE.
    issue("delete", status=202),
    issue("delete", status=403, token="writer"),
    *errors("issue", "delete", **ISSUE_ERRORS),
    # The issue's events.
    events(),
    events(params={"full": "true"}),
    events(params={"full": "1", "environment": "staging", "statsPeriod": "90d"}),
    events(params={"start": "2020-03-22T00:00:00", "end": "2020-03-23T00:00:00"}),
    events(params={"query": "user.id:42", "per_page": "1"}),
    events(params={"sample": "true", "cursor": "next", "per_page": "1"}),
    events(token="reader"),
    events(400, params={"statsPeriod": "forever"}),
    events(400, params={"start": "yesterday", "end": "today"}),
    events(200, params={"environment": "nowhere"}, listed=False),
    *errors("issue_events", **ISSUE_ERRORS),
    # One event.
    event(),
    event(event="latest"),
    event(event="oldest", params={"environment": "prod"}),
    event(event="recommended"),
    event(event="latest", params={"environment": "staging"}),
    event(token="reader"),
    event(404, event="unknown"),
    *errors("issue_event", **ISSUE_ERRORS),
]


def case_id(case: Case) -> str:
    parts = [case.method, case.route, str(case.status)]
    if case.token != "owner":
        parts.append(f"token={case.token}")
    for name in ("organization", "project", "issue", "event"):
        if getattr(case, name) != Case._field_defaults[name]:
            parts.append(f"{name}={getattr(case, name)}")
    parts += [f"{key}={value}" for key, value in (case.params or case.body or {}).items()]
    return ",".join(parts)


def url(case: Case, world: World) -> str:
    def part(name: str):
        # A World attribute, or the URL's text itself ("unknown", "latest", ...).
        value = getattr(case, name)
        return getattr(world, value, value)

    return ROUTES[case.route].format(
        organization_id_or_slug=part("organization"),
        project_id_or_slug=part("project"),
        issue_id=part("issue"),
        event_id=part("event"),
    )


def send(case: Case, world: World, settings):
    settings.ISSUES_API_URL_PREFIX = "https://sentry.io"
    client = APIClient()
    if case.token is not None:
        client.credentials(**bearer(world.tokens.get(case.token, "nonexistent-token")))
    target = url(case, world)
    if case.method == "put":
        return client.put(target, case.body, format="json")
    params = dict(case.params or {})
    if params.get("cursor") == "next":
        first = client.get(target, {key: value for key, value in params.items() if key != "cursor"})
        params["cursor"] = links(first)["next"].cursor
    return getattr(client, case.method)(target, params)


# ---- The check --------------------------------------------------------------------------------


def node_at(document: dict, path: list[str]) -> dict:
    for key in path:
        document = document["properties"][key]
    return document


def relaxed(schema: dict, *, optional=frozenset(), nullable=frozenset()) -> dict:
    """The schema with the dotted paths of `optional` no longer required and those of
    `nullable` allowed to be null, in the answer's document (an array's item); a path names
    nested keys with "/" ("event.type" is one key)."""
    schema = copy.deepcopy(schema)
    document = schema["items"] if schema.get("type") == "array" else schema
    for path in optional:
        *parents, key = path.split("/")
        node = node_at(document, parents)
        assert key in node["properties"], f"{path} is not a key of Sentry's schema"
        node["required"] = [name for name in node.get("required", []) if name != key]
    for path in nullable:
        node_at(document, path.split("/"))["nullable"] = True
    return schema


def listed(params: dict, name: str) -> list:
    value = params.get(name, [])
    return value if isinstance(value, list) else [value]


def applies(parameter: str, params: dict) -> bool:
    """Whether a RELAXATIONS key's parameter ("name" or "name=value", the value one of a
    repeated parameter's) is in `params`."""
    name, equals, value = parameter.partition("=")
    return name in params and (not equals or value in listed(params, name))


def relaxation_of(case: Case, status: int) -> Relaxation | None:
    """The RELAXATIONS entries that apply to the case's answer, as one."""
    found = [
        relaxation
        for (route, method, answered, *parameter), relaxation in RELAXATIONS.items()
        if (route, method, answered) == (case.route, case.method, status)
        and all(applies(name, case.params or {}) for name in parameter)
    ]
    if not found:
        return None
    return Relaxation(
        reason="; ".join(entry.reason for entry in found),
        source="; ".join(entry.source for entry in found),
        optional=frozenset().union(*(entry.optional for entry in found)),
        nullable=frozenset().union(*(entry.nullable for entry in found)),
        status=any(entry.status for entry in found),
    )


def conform(case: Case, response) -> None:
    """The answer validates against Sentry's schema for its status, as RELAXATIONS relax
    it."""
    status = response.status_code
    operation = CURRENT_OPENAPI["paths"][ROUTES[case.route]][case.method]
    relaxation = relaxation_of(case, status)
    documented = operation["responses"].get(str(status))
    if documented is None:
        assert relaxation is not None and relaxation.status, (
            f"{status} is not in Sentry's schema for {case.method.upper()} {case.route}"
        )
    if status == 204 or status == 202:
        assert response.content == b""
        return
    body = response.json()
    if status >= 400:
        # Sentry's schema gives its errors no body; ours are Sentry's: a detail or a field map.
        assert isinstance(body, dict) and body, body
        return
    content = documented["content"]["application/json"]["schema"]
    expanded = {EXPANDED.get(value) for value in listed(case.params or {}, "expand")}
    schema = relaxed(
        dereference(content, CURRENT_OPENAPI),
        optional=(relaxation.optional if relaxation else frozenset()) - expanded,
        nullable=relaxation.nullable if relaxation else frozenset(),
    )
    OAS30Validator(schema).validate(body)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_answer_matches_sentrys_current_schema(world, case, settings):
    response = send(case, world, settings)
    assert response.status_code == case.status, response.content
    if case.status == 200 and case.listed and isinstance(response.json(), list):
        assert response.json(), "a list case must list something to be validated"
    conform(case, response)


# ---- The tables themselves ----------------------------------------------------------------------


def test_every_relaxation_is_exercised_by_a_case():
    for route, method, status, *parameter in RELAXATIONS:
        assert any(
            (case.route, case.method, case.status) == (route, method, status)
            and all(applies(name, case.params or {}) for name in parameter)
            for case in CASES
        ), (route, method, status, *parameter)


def test_every_relaxation_names_keys_of_sentrys_schema_and_a_source():
    for (route, method, status, *_), relaxation in RELAXATIONS.items():
        assert relaxation.reason and "getsentry/sentry:src/sentry/" in relaxation.source
        response = CURRENT_OPENAPI["paths"][ROUTES[route]][method]["responses"]
        assert (str(status) not in response) == relaxation.status, (route, method, status)
        if relaxation.optional or relaxation.nullable:
            schema = response[str(status)]["content"]["application/json"]["schema"]
            relaxed(schema, optional=relaxation.optional, nullable=relaxation.nullable)


def test_every_relaxation_is_described_in_the_behaviour_page():
    page = (REPOSITORY / "docs" / "behaviour.md").read_text()
    section = page.split("## 17. ", 1)[1].split("\n## ", 1)[0]
    for relaxation in RELAXATIONS.values():
        for path in re.findall(r"src/sentry/[\w/]+\.py", relaxation.source):
            assert path.rsplit("/", 1)[1] in section, path
        for key in relaxation.optional | relaxation.nullable:
            assert f"`{key}`" in section, key

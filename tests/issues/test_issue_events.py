"""GET of an issue's events: the list (cursor-paginated) and one event (by id, latest, oldest,
recommended), in Sentry's shapes, over HTTP."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from issues.models import Event, IssueStatus
from issues.seed import python_sample_event
from tests.factories import make_event, make_issue
from tests.helpers import (
    DATETIME,
    NOT_FOUND,
    PERMISSION_DENIED,
    assert_error,
    events_url,
    follow,
    get_json,
    links,
    validate,
)

pytestmark = pytest.mark.django_db


# ---- Sentry's published schemas (getsentry/sentry-api-schema), the parts our data fills ----
# Sentry answers null for user attributes the SDK did not send (its own latest-event example
# has "username": null), so name, email, ip_address and data are nullable here too.
NULLABLE_STRING = {"type": "string", "nullable": True}
EVENT_USER = {
    "type": "object",
    "nullable": True,
    "required": ["username", "name", "ip_address", "email", "data", "id"],
    "properties": {
        "username": NULLABLE_STRING,
        "name": NULLABLE_STRING,
        "ip_address": NULLABLE_STRING,
        "email": NULLABLE_STRING,
        "data": {"type": "object", "nullable": True},
        "id": NULLABLE_STRING,
    },
}
TAGS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["key", "value"],
        "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
    },
}
# components/schemas/event.json#/Event: an item of GET /issues/{id}/events/.
EVENT = {
    "type": "object",
    "required": [
        "eventID",
        "tags",
        "dateCreated",
        "user",
        "message",
        "id",
        "platform",
        "event.type",
        "groupID",
    ],
    "properties": {
        "eventID": {"type": "string"},
        "tags": TAGS,
        "dateCreated": {"type": "string"},
        "user": EVENT_USER,
        "message": {"type": "string"},
        "id": {"type": "string"},
        "platform": {"type": "string"},
        "event.type": {"type": "string"},
        "groupID": {"type": "string"},
    },
}
# components/schemas/event.json#/EventDetailed, with required keys for what we always send.
# nextEventID is nullable as in the schema's Stacktrace variant (Sentry sends null at the end).
RELEASE = {
    "type": "object",
    "nullable": True,
    "required": ["version", "shortVersion", "dateCreated", "newGroups", "projects"],
    "properties": {
        "version": {"type": "string"},
        "shortVersion": {"type": "string"},
        "dateCreated": {"type": "string"},
        "dateReleased": NULLABLE_STRING,
        "newGroups": {"type": "integer"},
        "commitCount": {"type": "integer"},
        "deployCount": {"type": "integer"},
        "url": NULLABLE_STRING,
        "ref": NULLABLE_STRING,
        "firstEvent": {"type": "string"},
        "lastEvent": {"type": "string"},
        "lastCommit": {"type": "object", "nullable": True},
        "lastDeploy": {"type": "object", "nullable": True},
        "authors": {"type": "array"},
        "projects": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "slug": {"type": "string"}},
            },
        },
    },
}
EVENT_DETAILED = {
    "type": "object",
    "required": [
        "eventID",
        "id",
        "message",
        "platform",
        "type",
        "metadata",
        "tags",
        "dateCreated",
        "dateReceived",
        "user",
        "entries",
        "errors",
        "sdk",
        "contexts",
        "context",
        "fingerprints",
        "release",
        "groupID",
        "previousEventID",
        "nextEventID",
        "location",
        "dist",
    ],
    "properties": {
        "eventID": {"type": "string"},
        "dist": NULLABLE_STRING,
        "previousEventID": NULLABLE_STRING,
        "nextEventID": NULLABLE_STRING,
        "message": {"type": "string"},
        "id": {"type": "string"},
        "errors": {"type": "array"},
        "platform": {"type": "string"},
        "location": NULLABLE_STRING,
        "type": {"type": "string"},
        "metadata": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["type", "value"],
                    "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
                },
                {
                    "type": "object",
                    "required": ["title"],
                    "properties": {"title": {"type": "string"}},
                },
            ]
        },
        "tags": TAGS,
        "dateCreated": {"type": "string"},
        "dateReceived": {"type": "string"},
        "user": EVENT_USER,
        "entries": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "data"],
                "properties": {"type": {"type": "string"}, "data": {"type": "object"}},
            },
        },
        "sdk": {
            "type": "object",
            "nullable": True,
            "properties": {"version": {"type": "string"}, "name": {"type": "string"}},
        },
        "contexts": {"type": "object"},
        "context": {"type": "object"},
        "fingerprints": {"type": "array", "items": {"type": "string"}},
        "release": RELEASE,
        "groupID": {"type": "string"},
    },
}
# components/schemas/entries.json: each entry's data, by type.
STRING_PAIRS = {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}
FRAME = {
    "type": "object",
    "required": [
        "function",
        "errors",
        "colNo",
        "vars",
        "package",
        "absPath",
        "inApp",
        "lineNo",
        "module",
        "filename",
        "platform",
        "instructionAddr",
        "context",
        "symbolAddr",
        "trust",
        "symbol",
    ],
    "properties": {
        "function": {"type": "string"},
        "errors": NULLABLE_STRING,
        "colNo": {"type": "integer", "nullable": True},
        "vars": {"type": "object", "nullable": True},
        "package": NULLABLE_STRING,
        "absPath": NULLABLE_STRING,
        "inApp": {"type": "boolean"},
        "lineNo": {"type": "integer"},
        "module": {"type": "string"},
        "filename": {"type": "string"},
        "platform": NULLABLE_STRING,
        "instructionAddr": NULLABLE_STRING,
        "context": {
            "type": "array",
            "items": {
                "type": "array",
                "items": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            },
        },
        "symbolAddr": NULLABLE_STRING,
        "trust": NULLABLE_STRING,
        "symbol": NULLABLE_STRING,
    },
}
ENTRY_DATA = {
    "breadcrumbs": {
        "type": "object",
        "required": ["values"],
        "properties": {
            "values": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "category",
                        "level",
                        "event_id",
                        "timestamp",
                        "data",
                        "message",
                        "type",
                    ],
                    "properties": {
                        "category": {"type": "string"},
                        "level": {"type": "string"},
                        "event_id": NULLABLE_STRING,
                        "timestamp": {"type": "string"},
                        "data": {"type": "object", "nullable": True},
                        "message": NULLABLE_STRING,
                        "type": {"type": "string"},
                    },
                },
            }
        },
    },
    "request": {
        "type": "object",
        "required": [
            "fragment",
            "cookies",
            "inferredContentType",
            "env",
            "headers",
            "url",
            "query",
            "data",
            "method",
        ],
        "properties": {
            "fragment": NULLABLE_STRING,
            "cookies": {**STRING_PAIRS, "nullable": True},
            "inferredContentType": NULLABLE_STRING,
            "env": {"type": "object", "nullable": True},
            "headers": STRING_PAIRS,
            "url": {"type": "string"},
            "query": STRING_PAIRS,
            "data": {"type": "object", "nullable": True},
            "method": NULLABLE_STRING,
        },
    },
    "message": {"type": "object", "properties": {"formatted": {"type": "string"}}},
    "exception": {
        "type": "object",
        "required": ["excOmitted", "hasSystemFrames", "values"],
        "properties": {
            "excOmitted": {"type": "array", "nullable": True, "items": {"type": "integer"}},
            "hasSystemFrames": {"type": "boolean"},
            "values": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "stacktrace",
                        "module",
                        "rawStacktrace",
                        "mechanism",
                        "threadId",
                        "value",
                        "type",
                    ],
                    "properties": {
                        "stacktrace": {
                            "type": "object",
                            "nullable": True,
                            "required": ["frames", "framesOmitted", "registers", "hasSystemFrames"],
                            "properties": {
                                "frames": {"type": "array", "items": FRAME},
                                "framesOmitted": NULLABLE_STRING,
                                "registers": {"nullable": True},
                                "hasSystemFrames": {"type": "boolean"},
                            },
                        },
                        "module": NULLABLE_STRING,
                        "rawStacktrace": {"type": "object", "nullable": True},
                        "mechanism": {
                            "type": "object",
                            "nullable": True,
                            "properties": {
                                "type": {"type": "string"},
                                "handled": {"type": "boolean"},
                            },
                        },
                        "threadId": NULLABLE_STRING,
                        "value": {"type": "string"},
                        "type": {"type": "string"},
                    },
                },
            },
        },
    },
}

SUMMARY_KEYS = {
    "id",
    "eventID",
    "event.type",
    "groupID",
    "projectID",
    "title",
    "message",
    "location",
    "culprit",
    "user",
    "tags",
    "platform",
    "dateCreated",
    "metadata",
    "crashFile",
}
FULL_KEYS = {
    "id",
    "eventID",
    "groupID",
    "projectID",
    "title",
    "message",
    "location",
    "culprit",
    "type",
    "metadata",
    "platform",
    "dateCreated",
    "dateReceived",
    "environment",
    "dist",
    "tags",
    "user",
    "contexts",
    "context",
    "sdk",
    "packages",
    "fingerprints",
    "errors",
    "entries",
    "size",
    "crashFile",
    "occurrence",
    "_meta",
}
DETAIL_KEYS = FULL_KEYS | {
    "release",
    "userReport",
    "sdkUpdates",
    "resolvedWith",
    "previousEventID",
    "nextEventID",
}

# token, its last-used time (fresh tokens), issue with the membership, one page of events.
LIST_QUERIES = 4
# token, last-used, issue with the membership, and one statement for the event with its
# environment, release (owner and emails, last commit, last deploy, projects) and the ids
# of its neighbours.
DETAIL_QUERIES = 4


def validate_detail(document):
    validate(EVENT_DETAILED, document)
    for entry in document["entries"]:
        validate(ENTRY_DATA[entry["type"]], entry["data"])


def sample(project, *, minutes_ago=5, **payload):
    """Sentry's python sample event (as the seed records it), at a time of our choosing."""
    body = python_sample_event(
        event_id=uuid.uuid4().hex,
        timestamp=(timezone.now() - timedelta(minutes=minutes_ago)).isoformat(),
        release="1.0.0",
    )
    body.update(payload)
    return make_event(project, **body)


def exception_payload(**payload):
    frames = [
        {
            "filename": "django/core/handlers/base.py",
            "abs_path": "/srv/app/.venv/lib/django/core/handlers/base.py",
            "module": "django.core.handlers.base",
            "function": "get_response",
            "lineno": 113,
            "colno": 1,
            "in_app": False,
            "pre_context": ["try:", "    callback = resolve(path)"],
            "context_line": "    response = callback(request)",
            "post_context": ["except Exception:"],
            "vars": {"path": "'/'"},
        },
        {
            "filename": "app/views.py",
            "abs_path": "/srv/app/app/views.py",
            "module": "app.views",
            "function": "index",
            "lineno": 7,
            "colno": 5,
            "in_app": True,
            "context_line": "    raise ValueError('bad input')",
        },
    ]
    return {
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "bad input",
                    "module": "builtins",
                    "mechanism": {"type": "django", "handled": False},
                    "stacktrace": {"frames": frames},
                }
            ]
        },
        **payload,
    }


# ---- the list -------------------------------------------------------------------------------


def test_list_items_have_sentrys_event_shape(api, project):
    event = sample(project)
    [item] = get_json(api, events_url(event.issue))
    validate(EVENT, item)
    assert set(item) == SUMMARY_KEYS
    assert item["id"] == item["eventID"] == event.event_id
    assert item["groupID"] == str(event.issue_id)
    assert item["projectID"] == str(project.pk)
    assert item["event.type"] == "default"
    assert item["title"] == item["message"] == "This is an example python exception"
    assert item["metadata"] == {"title": "This is an example python exception"}
    assert item["culprit"] == "raven.scripts.runner in main"
    assert item["location"] is None
    assert item["platform"] == "python"
    assert DATETIME.match(item["dateCreated"])
    assert item["user"] == {
        "id": "1",
        "username": "getsentry",
        "email": "foo@example.com",
        "ip_address": "127.0.0.1",
        "name": None,
        "data": None,
    }


def test_tags_are_key_value_pairs_sorted_with_the_sentry_prefix_stripped(api, project):
    event = sample(project)
    [item] = get_json(api, events_url(event.issue))
    keys = [tag["key"] for tag in item["tags"]]
    assert keys == sorted(keys)
    tags = {tag["key"]: tag["value"] for tag in item["tags"]}
    assert tags["release"] == "1.0.0"
    assert tags["user"] == "id:1"
    assert tags["environment"] == "prod"
    assert not any(key.startswith("sentry:") for key in keys)


def test_list_is_newest_first_with_ties_broken_by_arrival(api, project):
    now = timezone.now()
    same_time = (now - timedelta(minutes=30)).isoformat()
    oldest = make_event(project, timestamp=(now - timedelta(hours=2)).isoformat())
    tie_first = make_event(project, timestamp=same_time)
    tie_second = make_event(project, timestamp=same_time)
    newest = make_event(project, timestamp=(now - timedelta(minutes=1)).isoformat())
    items = get_json(api, events_url(newest.issue))
    assert [item["eventID"] for item in items] == [
        newest.event_id,
        tie_second.event_id,
        tie_first.event_id,
        oldest.event_id,
    ]


def test_full_list_items_are_full_events_with_entries(api, project):
    event = sample(project)
    [item] = get_json(api, events_url(event.issue), full="true")
    assert set(item) == FULL_KEYS
    assert [entry["type"] for entry in item["entries"]] == ["message", "breadcrumbs", "request"]


def test_an_event_listed_again_shows_its_row_as_it_is_now(api, project):
    """A process keeps the list items it made, by the text of the event's row
    (issues.events.pages): the same row gives the same item, a row that changed (its
    payload, tags, message or issue) shows as it is now, and the short and full shapes of
    one row are kept apart."""
    event = make_event(project, message="before")
    url = events_url(event.issue)
    [first] = get_json(api, url)
    assert get_json(api, url) == [first]
    [full] = get_json(api, url, full="true")
    assert set(full) == FULL_KEYS and set(first) == SUMMARY_KEYS

    data = {**event.data, "message": "after", "logentry": {"formatted": "after"}}
    data["user"] = {"id": "42"}
    Event.objects.filter(pk=event.pk).update(
        data=data, message="after", tags=[["level", "warning"]]
    )
    [item] = get_json(api, url)
    assert (item["title"], item["message"]) == ("after", "after")
    assert item["user"]["id"] == "42"
    assert item["tags"] == [{"key": "level", "value": "warning"}]
    [full] = get_json(api, url, full="true")
    assert full["message"] == "after" and full["user"]["id"] == "42"

    # The same event moved to another issue (as a merge does): its item says so.
    other = make_issue(project, message="another problem")
    Event.objects.filter(pk=event.pk).update(issue=other)
    assert [item["groupID"] for item in get_json(api, events_url(other))] == [str(other.pk)] * 2


def test_list_only_shows_the_issues_own_events(api, project):
    mine = make_event(project, message="one problem")
    make_event(project, message="another problem")
    items = get_json(api, events_url(mine.issue))
    assert [item["eventID"] for item in items] == [mine.event_id]


def test_environment_narrows_the_list(api, project):
    production = make_event(project, environment="production")
    make_event(project, environment="staging")
    items = get_json(api, events_url(production.issue), environment="production")
    assert [item["eventID"] for item in items] == [production.event_id]


# ---- pagination -----------------------------------------------------------------------------


def test_pagination_walks_to_the_end_with_sentry_cursors(api, project):
    now = timezone.now()
    events = [
        make_event(project, timestamp=(now - timedelta(minutes=minute)).isoformat())
        for minute in range(7)
    ]
    issue = events[0].issue
    response = api.get(events_url(issue), {"per_page": 3})
    pages, cursors = [], []
    while True:
        assert response.status_code == 200, response.content
        pages.append([item["eventID"] for item in response.json()])
        page_links = links(response)
        cursors.append((page_links["previous"], page_links["next"]))
        if not page_links["next"].results:
            break
        response = follow(api, page_links["next"].url)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [event_id for page in pages for event_id in page] == [e.event_id for e in events]
    assert [(p.cursor, n.cursor) for p, n in cursors] == [
        ("0:0:1", "0:3:0"),
        ("0:0:1", "0:6:0"),
        ("0:3:1", "0:9:0"),
    ]
    assert [(p.results, n.results) for p, n in cursors] == [
        (False, True),
        (True, True),
        (True, False),
    ]
    # The previous cursor of the last page leads back to the second page.
    back = follow(api, cursors[-1][0].url)
    assert [item["eventID"] for item in back.json()] == pages[1]


def test_link_urls_keep_other_parameters_and_replace_the_cursor(api, project):
    event = make_event(project, environment="production")
    response = api.get(events_url(event.issue), {"environment": "production", "cursor": "0:0:0"})
    assert response.status_code == 200, response.content
    url = links(response)["next"].url
    assert url == (
        f"http://testserver/api/0/issues/{event.issue_id}/events/"
        "?environment=production&cursor=0:100:0"
    )


def test_link_without_parameters_is_written_as_sentry_writes_it(api, project):
    event = make_event(project)
    response = api.get(events_url(event.issue))
    base = f"http://testserver/api/0/issues/{event.issue_id}/events/"
    assert response["Link"] == (
        f'<{base}?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", '
        f'<{base}?&cursor=0:100:0>; rel="next"; results="false"; cursor="0:100:0"'
    )


def test_link_urls_use_the_configured_url_prefix(api, project, settings):
    settings.ISSUES_API_URL_PREFIX = "https://errors.example.org"
    event = make_event(project)
    response = api.get(events_url(event.issue))
    for link in links(response).values():
        assert link.url.startswith(
            f"https://errors.example.org/api/0/issues/{event.issue_id}/events/?"
        )


def test_link_urls_default_to_the_request_host(api, project, settings):
    settings.ALLOWED_HOSTS = ["issues.example.test"]
    event = make_event(project)
    response = api.get(events_url(event.issue), HTTP_HOST="issues.example.test")
    assert response.status_code == 200, response.content
    for link in links(response).values():
        assert link.url.startswith("http://issues.example.test/api/0/issues/")


def test_limit_is_an_alias_of_per_page(api, project):
    now = timezone.now()
    for minute in range(3):
        event = make_event(project, timestamp=(now - timedelta(minutes=minute)).isoformat())
    assert len(get_json(api, events_url(event.issue), limit=2)) == 2


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"per_page": "101"}, "Invalid per_page value. Cannot exceed 100."),
        ({"per_page": "0"}, "Invalid per_page parameter."),
        ({"per_page": "ten"}, "Invalid per_page parameter."),
        ({"cursor": "nonsense"}, "Invalid cursor parameter."),
        ({"cursor": "0:-1:0"}, "Invalid cursor parameter."),
        ({"cursor": "0:99999999999999999999:0"}, "Invalid cursor parameter."),
        # int() refuses strings of more than 4300 digits: never a 500.
        ({"per_page": "9" * 5000}, "Invalid per_page parameter."),
        ({"cursor": f"0:{'9' * 5000}:0"}, "Invalid cursor parameter."),
        ({"cursor": f"{'9' * 5000}:0:0"}, "Invalid cursor parameter."),
        ({"per_page": "1000000000000"}, "Invalid per_page value. Cannot exceed 100."),
    ],
)
def test_bad_pagination_parameters_are_400(api, issue, params, detail):
    response = api.get(events_url(issue), params)
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": detail}


def test_a_cursor_past_the_end_gives_an_empty_page(api, issue):
    response = api.get(events_url(issue), {"cursor": "0:500:0"})
    assert response.status_code == 200, response.content
    assert response.json() == []
    assert links(response)["previous"].results is True
    assert links(response)["next"].results is False


# ---- one event ------------------------------------------------------------------------------


def test_event_detail_has_sentrys_detailed_shape(api, project):
    event = sample(project)
    document = get_json(api, events_url(event.issue, event.event_id))
    validate_detail(document)
    assert set(document) == DETAIL_KEYS
    assert document["eventID"] == event.event_id
    assert document["type"] == "default"
    assert document["environment"] == "prod"
    assert document["dateReceived"] == document["dateCreated"]
    assert document["sdk"] == {"name": "raven-python", "version": "6.0.0"}
    assert document["contexts"]["client_os"] == {"name": "Windows", "version": "8", "type": "os"}
    assert document["context"]["session"] == {"foo": "bar"}
    assert document["errors"] == []
    assert document["previousEventID"] is None
    assert document["nextEventID"] is None


def test_event_fingerprint_is_the_hash_that_grouped_it(api, project):
    first = sample(project)
    second = sample(project, minutes_ago=1)
    assert first.issue_id == second.issue_id
    one = get_json(api, events_url(first.issue, first.event_id))["fingerprints"]
    other = get_json(api, events_url(first.issue, second.event_id))["fingerprints"]
    assert one == other
    assert len(one) == 1 and re.fullmatch(r"[0-9a-f]{32}", one[0])


def test_entries_are_built_from_the_payload_in_sentrys_order(api, project):
    event = sample(project)
    entries = get_json(api, events_url(event.issue, "latest"))["entries"]
    assert [entry["type"] for entry in entries] == ["message", "breadcrumbs", "request"]
    message, breadcrumbs, request = (entry["data"] for entry in entries)
    assert message == {
        "formatted": "This is an example python exception",
        "message": None,
        "params": None,
    }
    assert breadcrumbs["values"][0] == {
        "type": "http",
        "timestamp": "2020-03-22T15:23:59Z",
        "level": "info",
        "message": None,
        "category": "http",
        "data": {"method": "GET", "url": "http://example.com/foo", "status_code": 200},
        "event_id": None,
    }
    assert breadcrumbs["values"][1]["timestamp"] == "2020-03-22T15:23:59.500000Z"
    assert breadcrumbs["values"][1]["type"] == "default"
    assert request["url"] == "http://example.com/foo"
    assert request["method"] == "GET"
    assert request["query"] == [["foo", "bar"]]
    assert request["data"] == {"hello": "world"}
    assert request["env"] == {"ENV": "prod"}
    assert request["inferredContentType"] == "application/json"
    assert request["headers"][0] == ["Content-Type", "application/json"]
    assert request["cookies"] == []
    assert request["fragment"] is None


def test_request_query_fragment_and_cookies_are_split_out(api, project):
    event = make_event(
        project,
        request={
            "url": "https://shop.example.com/cart?item=3&empty=#totals",
            "method": "post",
            "headers": {"cookie": "session=abc; theme=dark", "content-type": "text/plain"},
            "data": "raw body",
        },
    )
    [entry] = get_json(api, events_url(event.issue, "latest"))["entries"][1:]
    assert entry["type"] == "request"
    request = entry["data"]
    assert request["url"] == "https://shop.example.com/cart"
    assert request["query"] == [["item", "3"], ["empty", ""]]
    assert request["fragment"] == "totals"
    assert request["method"] == "POST"
    assert request["headers"] == [["Content-Type", "text/plain"]]
    assert request["cookies"] == [["session", "abc"], ["theme", "dark"]]
    assert request["data"] == "raw body"
    assert request["inferredContentType"] == "text/plain"


def test_exception_entry_has_frames_context_and_system_frames(api, project):
    event = make_event(project, **exception_payload())
    document = get_json(api, events_url(event.issue, event.event_id))
    validate_detail(document)
    assert document["type"] == "error"
    assert document["title"] == "ValueError: bad input"
    assert document["metadata"]["type"] == "ValueError"
    assert document["location"] == "app/views.py"
    assert [entry["type"] for entry in document["entries"]] == ["message", "exception"]
    exception = document["entries"][1]["data"]
    assert exception["hasSystemFrames"] is True
    assert exception["excOmitted"] is None
    [value] = exception["values"]
    assert value["type"] == "ValueError"
    assert value["value"] == "bad input"
    assert value["mechanism"] == {"type": "django", "handled": False}
    assert value["rawStacktrace"] is None
    system, application = value["stacktrace"]["frames"]
    assert system["context"] == [
        [111, "try:"],
        [112, "    callback = resolve(path)"],
        [113, "    response = callback(request)"],
        [114, "except Exception:"],
    ]
    assert system["inApp"] is False
    assert system["absPath"] == "/srv/app/.venv/lib/django/core/handlers/base.py"
    assert system["lineNo"] == 113
    assert system["vars"] == {"path": "'/'"}
    assert application["inApp"] is True
    assert application["context"] == [[7, "    raise ValueError('bad input')"]]


def test_an_all_in_app_stacktrace_has_no_system_frames(api, project):
    payload = exception_payload()
    for frame in payload["exception"]["values"][0]["stacktrace"]["frames"]:
        frame["in_app"] = True
    event = make_event(project, **payload)
    entries = get_json(api, events_url(event.issue, "latest"))["entries"]
    assert entries[1]["data"]["hasSystemFrames"] is False


def test_logentry_with_params_is_formatted(api, project):
    event = make_event(
        project,
        message=None,
        logentry={"message": "User %s failed %d times", "params": ["ana", 3]},
    )
    [entry] = get_json(api, events_url(event.issue, "latest"))["entries"]
    assert entry == {
        "type": "message",
        "data": {
            "formatted": "User ana failed 3 times",
            "message": "User %s failed %d times",
            "params": ["ana", 3],
        },
    }


def test_user_data_collects_unknown_attributes_and_no_user_is_null(api, project):
    with_user = make_event(project, message="a", user={"id": 7, "segment": "paid"})
    without_user = make_event(project, message="b", user=None)
    document = get_json(api, events_url(with_user.issue, "latest"))
    assert document["user"] == {
        "id": "7",
        "email": None,
        "username": None,
        "ip_address": None,
        "name": None,
        "data": {"segment": "paid"},
    }
    assert get_json(api, events_url(without_user.issue, "latest"))["user"] is None


def test_event_release_is_sentrys_release_object_or_null(api, project):
    with_release = sample(project)
    without_release = make_event(project, message="no release")
    release = get_json(api, events_url(with_release.issue, "latest"))["release"]
    validate(RELEASE, release)
    assert release["version"] == release["shortVersion"] == "1.0.0"
    assert release["projects"] == [{"name": project.name, "slug": project.slug}]
    assert release["newGroups"] == 1
    assert get_json(api, events_url(without_release.issue, "latest"))["release"] is None


@pytest.fixture
def three_events(project):
    """Events of one issue, oldest first; the two newest share a timestamp."""
    now = timezone.now()
    same_time = (now - timedelta(minutes=10)).isoformat()
    return [
        make_event(project, timestamp=(now - timedelta(hours=1)).isoformat(), environment="a"),
        make_event(project, timestamp=same_time, environment="b"),
        make_event(project, timestamp=same_time, environment="a"),
    ]


@pytest.mark.parametrize(("alias", "index"), [("latest", -1), ("recommended", -1), ("oldest", 0)])
def test_latest_oldest_and_recommended(api, three_events, alias, index):
    issue = three_events[0].issue
    document = get_json(api, events_url(issue, alias))
    assert document["eventID"] == three_events[index].event_id
    validate_detail(document)


def test_previous_and_next_ids_walk_the_issue_by_time_then_id(api, three_events):
    issue = three_events[0].issue
    ids = [event.event_id for event in three_events]
    neighbours = []
    for event_id in ids:
        document = get_json(api, events_url(issue, event_id))
        neighbours.append((document["previousEventID"], document["nextEventID"]))
    assert neighbours == [(None, ids[1]), (ids[0], ids[2]), (ids[1], None)]


def test_environment_narrows_latest_oldest_and_neighbours(api, three_events):
    issue = three_events[0].issue
    oldest_a, _, newest_a = (event.event_id for event in three_events)
    latest = get_json(api, events_url(issue, "latest"), environment="a")
    assert latest["eventID"] == newest_a
    assert latest["previousEventID"] == oldest_a
    assert get_json(api, events_url(issue, "oldest"), environment="b")["eventID"] == (
        three_events[1].event_id
    )


def test_several_environments_narrow_together(api, three_events):
    # The newest of each environment's newest, then the neighbours across all of them.
    issue = three_events[0].issue
    ids = [event.event_id for event in three_events]
    both = {"environment": ["a", "b"]}
    latest = get_json(api, events_url(issue, "latest"), **both)
    assert (latest["eventID"], latest["previousEventID"], latest["nextEventID"]) == (
        ids[2],
        ids[1],
        None,
    )
    oldest = get_json(api, events_url(issue, "oldest"), **both)
    assert (oldest["eventID"], oldest["previousEventID"], oldest["nextEventID"]) == (
        ids[0],
        None,
        ids[1],
    )
    # An event named by id is shown whatever its environment; its neighbours are narrowed.
    middle = get_json(api, events_url(issue, ids[1]), environment="a")
    assert (middle["eventID"], middle["previousEventID"], middle["nextEventID"]) == (
        ids[1],
        ids[0],
        ids[2],
    )


def test_event_id_is_matched_without_dashes_and_case(api, project):
    event = make_event(project)
    dashed = str(uuid.UUID(event.event_id)).upper()
    assert get_json(api, events_url(event.issue, dashed))["eventID"] == event.event_id


@pytest.mark.parametrize("event_id", ["0" * 32, "not-an-event-id", "f" * 40, "newest"])
def test_unknown_event_is_404(api, issue, event_id):
    response = api.get(events_url(issue, event_id))
    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def test_event_of_another_issue_is_404(api, project):
    mine = make_event(project, message="mine")
    theirs = make_event(project, message="theirs")
    response = api.get(events_url(mine.issue, theirs.event_id))
    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


# ---- routes and access ----------------------------------------------------------------------


def test_every_route_answers(api, project):
    event = make_event(project)
    issue = event.issue
    org = project.organization.slug
    for base in (
        f"/api/0/issues/{issue.pk}/events/",
        f"/api/0/groups/{issue.pk}/events/",
        f"/api/0/organizations/{org}/issues/{issue.pk}/events/",
        f"/api/0/organizations/{org}/issues/{issue.qualified_short_id}/events/",
        f"/api/0/organizations/{project.organization.pk}/groups/{issue.pk}/events/",
    ):
        assert [item["eventID"] for item in get_json(api, base)] == [event.event_id]
        assert get_json(api, f"{base}latest/")["eventID"] == event.event_id
        assert get_json(api, f"{base}{event.event_id}/")["eventID"] == event.event_id


def test_organization_route_of_another_organization_is_404(api, issue, other_organization):
    other = other_organization
    response = api.get(f"/api/0/organizations/{other.slug}/issues/{issue.pk}/events/")
    assert response.status_code == 404, response.content


def test_unauthenticated_is_401(api_client, issue):
    for url in (events_url(issue), events_url(issue, "latest")):
        response = api_client.get(url)
        assert response.status_code == 401, response.content


@pytest.mark.parametrize("scopes", [["org:read"], ["project:read", "member:read"]])
def test_token_without_an_event_scope_is_403(scoped_api, issue, scopes):
    client = scoped_api(scopes)
    for url in (events_url(issue), events_url(issue, "latest")):
        assert_error(client.get(url), 403, PERMISSION_DENIED)


def test_non_member_is_403_and_unknown_issue_is_404(api, foreign_issue):
    for url in (events_url(foreign_issue), events_url(foreign_issue, "latest")):
        assert_error(api.get(url), 403, PERMISSION_DENIED)
    for url in ("/api/0/issues/999999999/events/", "/api/0/issues/999999999/events/latest/"):
        assert_error(api.get(url), 404, NOT_FOUND)


def test_hidden_issue_is_404(api, issue):
    issue.status = IssueStatus.PENDING_DELETION
    issue.save()
    for url in (events_url(issue), events_url(issue, "latest")):
        assert api.get(url).status_code == 404


# ---- query counts ---------------------------------------------------------------------------


def many_events(project, count):
    for number in range(count):
        event = sample(
            project,
            minutes_ago=count - number,
            environment=f"env-{number % 3}",
            release=f"2.0.{number % 4}",
            user={"id": str(number), "email": f"u{number}@example.com"},
        )
    return event.issue


@pytest.mark.parametrize("count", [1, 30])
@pytest.mark.parametrize("full", [False, True], ids=["summary", "full"])
def test_list_runs_a_fixed_number_of_queries(api, project, count, full, django_assert_num_queries):
    issue = many_events(project, count)
    params = {"full": "true"} if full else {}
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get(events_url(issue), params)
    assert response.status_code == 200, response.content
    assert len(response.json()) == count


@pytest.mark.parametrize("count", [1, 30])
def test_detail_runs_a_fixed_number_of_queries(api, project, count, django_assert_num_queries):
    issue = many_events(project, count)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = api.get(events_url(issue, "latest"))
    assert response.status_code == 200, response.content

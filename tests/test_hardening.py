"""Bad input and serving safely: every bad request is a 4xx with a JSON body and changes
nothing; crashes are a JSON 500 without internals; production settings refuse to start
without a secret key.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from issues.models import Issue, IssueStatus
from tests.factories import ApiTokenFactory, ReleaseProjectFactory
from tests.helpers import NOT_FOUND, NOT_PROVIDED, TOO_LARGE, db_state, issue_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]

BASE_DIR = Path(__file__).resolve().parent.parent
UNKNOWN_ACTOR = {"assignedTo": ["Unknown actor input"]}
NON_TEAM_MEMBER = {"assignedTo": ["Cannot assign to non-team member"]}
TEAM_WITHOUT_ACCESS = {"assignedTo": ["Cannot assign to a team without access to the project"]}
NUL_IN_JSON = {"detail": "JSON parse error - NUL characters are not allowed"}
NUL_IN_URL = {"detail": "NUL characters are not allowed."}
SURROGATE_IN_JSON = {"detail": "JSON parse error - unpaired surrogate characters are not allowed"}
NOT_UTF8_IN_URL = {"detail": "The query string is not valid UTF-8."}
NO_RELEASE = {"statusDetails": {"inRelease": ["Unable to find a release with the given version."]}}
MAX_COUNT = "Ensure this value is less than or equal to 2147483647."

# The headers of Sentry's reference response (retrieve-issue.example.headers.txt).
REFERENCE_HEADERS = {
    "X-XSS-Protection": "1; mode=block",
    "X-Content-Type-Options": "nosniff",
    "Content-Language": "en",
    "Access-Control-Expose-Headers": "X-Sentry-Error, Retry-After",
    "Access-Control-Allow-Methods": "GET, PUT, DELETE, HEAD, OPTIONS",
    "Allow": "GET, PUT, DELETE, HEAD, OPTIONS",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": (
        "X-Sentry-Auth, X-Requested-With, Origin, Accept, Content-Type, Authentication, "
        "Authorization"
    ),
    "Content-Type": "application/json",
    "X-Frame-Options": "deny",
}


def json_body(response) -> object:
    """The body, which must be JSON and say so."""
    assert response["Content-Type"] == "application/json", (
        response["Content-Type"],
        response.content[:200],
    )
    return json.loads(response.content)


def put_raw(client, issue, raw, content_type="application/json"):
    return client.generic("PUT", issue_url(issue), raw, content_type=content_type)


def put_json(client, issue, body):
    return put_raw(client, issue, json.dumps(body))


def assert_refused_put(response, issue, before, status=400):
    assert response.status_code == status, response.content
    body = json_body(response)
    assert db_state(issue) == before
    return body


# Bodies that are not a JSON object


NOT_JSON = [
    "not json",
    "{",
    '{"status": "resolved"',
    "{'status': 'resolved'}",
    '{"status": resolved}',
    '{"status": "resolved",}',
    "\ufeff{}",
    b'{"status": "\xff\xfe"}',
    '{"status": "resol\nved"}',
    '{"status": "resolved"} trailing',
]


def test_put_with_an_empty_body_changes_nothing_and_answers_200(api, issue):
    """An empty body is an empty PUT (docs/behaviour.md §3.1), not bad JSON."""
    before = db_state(issue)

    response = put_raw(api, issue, "")

    assert response.status_code == 200, response.content
    assert json_body(response)["status"] == "unresolved"
    assert db_state(issue) == before


def test_put_with_a_charset_that_is_not_a_text_encoding_is_400(api, issue, subtests):
    """Django takes any codec codecs.lookup() knows as the request's encoding, also ones that
    are not text encodings (DRF's own JSONParser refuses those with a 400)."""
    api.raise_request_exception = False
    for charset in ("bz2_codec", "zlib_codec", "base64_codec", "hex_codec", "rot13"):
        with subtests.test(charset=charset):
            before = db_state(issue)
            content_type = f"application/json; charset={charset}"
            response = put_raw(api, issue, '{"status": "resolved"}', content_type)
            assert_refused_put(response, issue, before)


def test_put_with_a_text_charset_that_does_not_fit_the_bytes_is_400(api, issue):
    before = db_state(issue)
    raw = b'{"status": "resolved"}'

    response = put_raw(api, issue, raw, "application/json; charset=utf-16")

    assert_refused_put(response, issue, before)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_put_with_another_content_type_is_415(api, issue, content_type):
    before = db_state(issue)
    raw = "status=resolved" if "form" in content_type else '{"status": "resolved"}'

    response = put_raw(api, issue, raw, content_type)

    body = assert_refused_put(response, issue, before, status=415)
    assert body == {"detail": f'Unsupported media type "{content_type}" in request.'}


def test_put_with_multipart_is_415(api, issue):
    before = db_state(issue)

    response = api.put(issue_url(issue), {"status": "resolved"}, format="multipart")

    body = assert_refused_put(response, issue, before, status=415)
    assert re.fullmatch(
        r'Unsupported media type "multipart/form-data; boundary=.+" in request\.', body["detail"]
    )


def test_put_over_the_body_limit_is_413(api, issue, settings):
    settings.ISSUES_API_MAX_BODY_BYTES = 1024
    before = db_state(issue)
    raw = json.dumps({"status": "resolved", "padding": "x" * 1024})

    body = assert_refused_put(put_raw(api, issue, raw), issue, before, status=413)

    assert body == TOO_LARGE


def test_put_at_the_body_limit_is_accepted(api, issue, settings):
    settings.ISSUES_API_MAX_BODY_BYTES = 1024
    raw = json.dumps({"status": "resolved", "padding": ""})
    raw = raw.replace('""', '"' + "x" * (1024 - len(raw)) + '"')
    assert len(raw) == 1024

    response = put_raw(api, issue, raw)

    assert response.status_code == 200, response.content
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED


def test_put_over_the_default_body_limit_is_413(api, issue):
    before = db_state(issue)
    raw = json.dumps({"status": "resolved", "padding": "x" * (256 * 1024)})

    body = assert_refused_put(put_raw(api, issue, raw), issue, before, status=413)

    assert body == TOO_LARGE


DEEP = {
    "open-arrays": "[" * 100_000,
    "closed-arrays": "[" * 100_000 + "]" * 100_000,
    "objects": '{"a": ' * 5000 + "1" + "}" * 5000,
    "in-status-details": (
        '{"status": "resolved", "statusDetails": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    ),
    "in-a-list": '{"status": "resolved", "x": ' + "[" * 5000 + "]" * 5000 + "}",
}


def nested(depth: int, leaf="resolved"):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def test_put_with_nested_values_below_the_parse_limit_is_400(api, issue, subtests):
    """Nesting the parser still accepts must not blow up later (repr of the value in an error
    message, validation of nested data)."""
    for field in ("status", "assignedTo", "hasSeen", "ignoreCount", "statusDetails"):
        for depth in (200, 600, 900, 990):
            with subtests.test(field=field, depth=depth):
                before = db_state(issue)
                response = put_raw(api, issue, json.dumps({field: nested(depth)}))
                assert response.status_code == 400, response.content[:300]
                json_body(response)
                assert db_state(issue) == before


DUPLICATES = [
    '{"status": "resolved", "status": "ignored"}',
    '{"status": "resolved", "status": "resolved"}',
    '{"statusDetails": {"ignoreCount": 1, "ignoreCount": 2}, "status": "ignored"}',
    '{"assignedTo": "", "assignedTo": null}',
    '{"x": [{"a": 1, "a": 1}], "status": "resolved"}',
]


# Bodies the JSON parser refuses, by kind: {label: body}, and how the error starts.
UNREADABLE = {
    "not-json": ({repr(raw): raw for raw in NOT_JSON}, "JSON parse error - "),
    "deeply-nested": (DEEP, "JSON parse error - "),
    "duplicate-keys": ({raw: raw for raw in DUPLICATES}, "JSON parse error - duplicate key "),
}


@pytest.mark.parametrize("kind", UNREADABLE)
def test_put_with_a_body_the_json_parser_refuses_is_400(api, issue, subtests, kind):
    bodies, detail = UNREADABLE[kind]
    for label, raw in bodies.items():
        with subtests.test(label):
            before = db_state(issue)
            body = assert_refused_put(put_raw(api, issue, raw), issue, before)
            assert body["detail"].startswith(detail), body


def test_put_with_a_body_that_is_not_an_object_is_400(api, issue, subtests):
    for raw in (
        "[]",
        '[{"status": "resolved"}]',
        '"resolved"',
        "5",
        "1.5",
        "null",
        "true",
        "false",
    ):
        with subtests.test(raw=raw):
            before = db_state(issue)
            body = assert_refused_put(put_raw(api, issue, raw), issue, before)
            assert isinstance(body, dict)
            assert body


# A wrong type for every field

WRONG = ["maybe", [], {}]
WRONG_TYPES = [
    ("status", 5),
    ("status", True),
    ("status", None),
    ("status", []),
    ("status", {}),
    ("status", "maybe"),
    ("statusDetails", "x"),
    ("statusDetails", []),
    ("statusDetails", 5),
    ("statusDetails", True),
    *(("statusDetails.inNextRelease", value) for value in WRONG),
    ("statusDetails.inRelease", []),
    ("statusDetails.inRelease", {}),
    ("statusDetails.inRelease", None),
    ("statusDetails.inRelease", "x" * 251),
    ("statusDetails.inCommit", "x"),
    ("statusDetails.inCommit", []),
    ("statusDetails.inCommit", 5),
    ("statusDetails.inCommit", {}),
    ("statusDetails.inCommit", {"commit": [], "repository": "repo"}),
    ("statusDetails.inCommit", {"commit": "abc", "repository": {}}),
    ("statusDetails.inCommit", {"commit": None, "repository": None}),
    *(
        (f"{where}{field}", value)
        for where in ("statusDetails.", "")
        for field in (
            "ignoreDuration",
            "ignoreCount",
            "ignoreWindow",
            "ignoreUserCount",
            "ignoreUserWindow",
        )
        for value in ("abc", [], {})
    ),
    ("statusDetails.ignoreWindow", -1),
    ("ignoreUserCount", -1),
    *((f"{where}ignoreCount", value) for where in ("statusDetails.", "") for value in (1.5, True)),
    *(("snoozeDuration", value) for value in ("abc", [], {}, 1.5, -1)),
    ("assignedTo", []),
    ("assignedTo", {}),
    ("assignedTo", True),
    ("assignedTo", 1.5),
    ("assignedTo", ["user:1"]),
    *(
        (field, value)
        for field in ("hasSeen", "isBookmarked", "isSubscribed", "isPublic", "merge", "discard")
        for value in WRONG
    ),
    ("hasSeen", 2),
    ("isPublic", None),
    ("discard", "yes please"),
    *(("priority", value) for value in ("urgent", "", None, [], {}, 1.5, True, 50)),
]


def body_for(path: str, value) -> dict:
    """{"statusDetails": {"inRelease": value}} for "statusDetails.inRelease"."""
    head, _, rest = path.partition(".")
    if not rest:
        return {head: value}
    return {"status": "resolved", head: {rest: value}}


def test_put_with_a_wrong_type_is_400_naming_the_field(api, issue, subtests):
    for path, value in WRONG_TYPES:
        with subtests.test(path=path, value=value):
            before = db_state(issue)
            body = assert_refused_put(put_json(api, issue, body_for(path, value)), issue, before)
            head, _, rest = path.partition(".")
            assert list(body) == [head], body
            if rest:
                assert rest in body[head] or "non_field_errors" in body[head], body


def test_every_field_of_the_validator_is_tried_with_a_wrong_type():
    from issues.validators import IssueUpdateValidator, StatusDetailsValidator

    tried = {path for path, _ in WRONG_TYPES}
    fields = set(IssueUpdateValidator().fields)
    details = {f"statusDetails.{name}" for name in StatusDetailsValidator().fields}

    assert fields | details <= tried


# Strings: unicode, NUL characters, SQL

UNICODE_ACTORS = [
    "\U0001f600",
    "\u202emoc.elpmaxe@resu",
    "\u05de\u05e9\u05ea\u05de\u05e9",
    "e\u0301\u0301\u0301",
    "user:\u0661\u0662",
    "team:\u0663",
    "\uff11\uff12",
    "user:\U0001f600",
    "\ufeffuser:1",
    "\u200b",
    "a" * 10_000,
]


def test_put_with_unicode_actor_is_unknown_actor(api, issue, subtests):
    for value in UNICODE_ACTORS:
        with subtests.test(value=value[:20]):
            before = db_state(issue)
            body = assert_refused_put(put_json(api, issue, {"assignedTo": value}), issue, before)
            assert body == UNKNOWN_ACTOR


def test_put_with_unicode_status_echoes_it_in_the_error(api, issue):
    before = db_state(issue)
    value = "r\u00e9solu \u202e\U0001f600"

    body = assert_refused_put(put_json(api, issue, {"status": value}), issue, before)

    assert body == {"status": [f'"{value}" is not a valid choice.']}


NUL_BODIES = [
    {"assignedTo": "\u0000"},
    {"assignedTo": "user\u0000:1"},
    {"status": "resolved\u0000"},
    {"status": "\u0000"},
    {"\u0000": 1},
    {"status": "resolved", "\u0000": "x"},
    {"status": "resolved", "statusDetails": {"inRelease": "1.0\u0000"}},
    {"status": "resolved", "statusDetails": {"in\u0000Release": "1.0"}},
    {"unknown": ["ok", {"deep": "\u0000"}]},
]


# Lone UTF-16 surrogates: valid JSON, but no UTF-8 encoding and no PostgreSQL text holds them.
SURROGATE_BODIES = [
    r'{"assignedTo": "\ud800"}',
    r'{"assignedTo": "user:\udfff"}',
    r'{"assignedTo": "a\ud83d"}',  # the first half of an emoji, without the second
    r'{"status": "\ud800"}',
    r'{"status": "resolved", "statusDetails": {"inRelease": "\udc00"}}',
    r'{"status": "resolved", "statusDetails": {"inCommit": {"commit": "\ud800"}}}',
    r'{"\ud800": 1}',
    r'{"unknown": ["ok", {"deep": "\udbff"}]}',
]


@pytest.mark.parametrize(
    ("bodies", "error"),
    [
        ([json.dumps(body) for body in NUL_BODIES], NUL_IN_JSON),
        (SURROGATE_BODIES, SURROGATE_IN_JSON),
    ],
    ids=["nul", "lone-surrogate"],
)
def test_put_with_a_string_no_database_text_holds_is_400(api, issue, subtests, bodies, error):
    for raw in bodies:
        with subtests.test(raw=raw):
            before = db_state(issue)
            response = put_raw(api, issue, raw)
            assert assert_refused_put(response, issue, before) == error


def test_put_with_both_halves_of_a_surrogate_pair_is_read_as_one_character(api, issue):
    before = db_state(issue)
    response = put_raw(api, issue, r'{"assignedTo": "\ud83d\ude00"}')
    assert assert_refused_put(response, issue, before) == UNKNOWN_ACTOR


SQL_LIKE = [
    "' OR 1=1 --",
    "1; DROP TABLE issues_issue",
    "1' ; DROP TABLE accounts_user; --",
    "admin'--",
    '" OR ""="',
    "%' OR '%'='",
    "%",
    "_",
]


def assert_tables_still_there():
    tables = set(connection.introspection.table_names())
    assert {"issues_issue", "accounts_user", "releases_release"} <= tables
    assert Issue.objects.exists()


def test_put_with_sql_in_assigned_to_is_unknown_actor(api, issue, subtests):
    for value in SQL_LIKE:
        for form in (value, f"user:{value}", f"team:{value}"):
            with subtests.test(form=form):
                before = db_state(issue)
                body = assert_refused_put(put_json(api, issue, {"assignedTo": form}), issue, before)
                assert body == UNKNOWN_ACTOR
    assert_tables_still_there()


def test_put_with_sql_in_in_release_is_unknown_release(api, issue, subtests):
    ReleaseProjectFactory(project=issue.project, release__organization=issue.project.organization)
    for value in SQL_LIKE:
        with subtests.test(value=value):
            before = db_state(issue)
            body = {"status": "resolved", "statusDetails": {"inRelease": value}}
            assert assert_refused_put(put_json(api, issue, body), issue, before) == NO_RELEASE
    assert_tables_still_there()


def test_put_with_sql_in_status_is_not_a_valid_choice(api, issue, subtests):
    for value in SQL_LIKE:
        with subtests.test(value=value):
            before = db_state(issue)
            body = assert_refused_put(put_json(api, issue, {"status": value}), issue, before)
            assert body == {"status": [f'"{value}" is not a valid choice.']}
    assert_tables_still_there()


# Numbers past 64 bits

HUGE = "9" * 5000  # past Python's 4300-digit limit for int(str)

NUMBERS = [
    *(
        ({"status": "ignored", field: value}, {field: [MAX_COUNT]})
        for field in ("ignoreCount", "ignoreUserCount")
        for value in (2**31, 2**63, 2**64, 10**30, 10**4000)
    ),
    *(
        ({"status": "ignored", field: value}, field)
        for field in ("ignoreDuration", "ignoreWindow", "ignoreUserWindow", "snoozeDuration")
        for value in (2**63, 2**64, 10**30)
    ),
    (
        {"status": "ignored", "statusDetails": {"ignoreCount": 2**64}},
        {"statusDetails": {"ignoreCount": [MAX_COUNT]}},
    ),
    ({"status": "ignored", "ignoreCount": -(2**63) - 1}, "ignoreCount"),
]


def test_put_with_numbers_past_the_limits_is_400(api, issue, subtests):
    for body, expected in NUMBERS:
        with subtests.test(body=str(body)[:60]):
            before = db_state(issue)
            answer = assert_refused_put(put_json(api, issue, body), issue, before)
            if isinstance(expected, dict):
                assert answer == expected
            else:
                assert list(answer) == [expected]
                assert answer[expected][0].startswith("Ensure this value is "), answer


RAW_NUMBERS = [
    '{"status": "ignored", "ignoreCount": ' + HUGE + "}",
    '{"status": "ignored", "ignoreCount": 1e400}',
    '{"status": "ignored", "ignoreCount": -1e400}',
    '{"status": "ignored", "ignoreCount": NaN}',
    '{"status": "ignored", "ignoreCount": Infinity}',
    '{"status": "ignored", "ignoreCount": 1e20}',
    '{"assignedTo": ' + HUGE + "}",
    '{"assignedTo": 1e400}',
    '{"assignedTo": NaN}',
    '{"assignedTo": -Infinity}',
]


def test_put_with_numbers_json_cannot_hold_is_400(api, issue, subtests):
    for raw in RAW_NUMBERS:
        with subtests.test(raw=raw[:60]):
            before = db_state(issue)
            assert_refused_put(put_raw(api, issue, raw), issue, before)


ACTOR_IDS = [
    (2**63, NON_TEAM_MEMBER),
    (2**64, NON_TEAM_MEMBER),
    (10**30, NON_TEAM_MEMBER),
    (10**4000, NON_TEAM_MEMBER),
    (-(2**63) - 1, NON_TEAM_MEMBER),
    (-1, NON_TEAM_MEMBER),
    (str(2**64), NON_TEAM_MEMBER),
    (str(10**30), NON_TEAM_MEMBER),
    (f"user:{2**64}", NON_TEAM_MEMBER),
    (f"user:{10**30}", NON_TEAM_MEMBER),
    (str(-(2**63) - 1), UNKNOWN_ACTOR),
    (f"user:{-(2**63) - 1}", UNKNOWN_ACTOR),
    (f"team:{2**63}", TEAM_WITHOUT_ACCESS),
    (f"team:{2**64}", TEAM_WITHOUT_ACCESS),
    (f"team:{10**30}", TEAM_WITHOUT_ACCESS),
]


def test_put_assigning_an_id_past_bigint_is_400(api, issue, subtests):
    for value, expected in ACTOR_IDS:
        with subtests.test(value=str(value)[:40]):
            before = db_state(issue)
            body = assert_refused_put(put_json(api, issue, {"assignedTo": value}), issue, before)
            assert body == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HUGE, NON_TEAM_MEMBER),
        (f"user:{HUGE}", NON_TEAM_MEMBER),
        (f"team:{HUGE}", TEAM_WITHOUT_ACCESS),
    ],
    ids=["digits", "user", "team"],
)
def test_put_assigning_an_id_of_5000_digits_is_400(api, issue, value, expected):
    """int() refuses strings of more than 4300 digits with a ValueError."""
    before = db_state(issue)
    api.raise_request_exception = False

    body = assert_refused_put(put_json(api, issue, {"assignedTo": value}), issue, before)

    assert body == expected


def test_ids_past_bigint_in_the_url_are_404(api, issue, organization, subtests):
    before = db_state(issue)
    for issue_id in (2**63, 2**64, 10**30):
        for url in (
            f"/api/0/issues/{issue_id}/",
            f"/api/0/groups/{issue_id}/",
            f"/api/0/organizations/{organization.slug}/issues/{issue_id}/",
            f"/api/0/organizations/{issue_id}/issues/{issue.pk}/",
        ):
            for method in ("GET", "PUT", "DELETE"):
                with subtests.test(method=method, url=url):
                    response = api.generic(
                        method, url, '{"status": "resolved"}', "application/json"
                    )
                    assert response.status_code == 404, response.content
                    assert json_body(response) == NOT_FOUND
    assert db_state(issue) == before


def test_ids_of_5000_digits_in_the_url_are_404(api, issue, organization, subtests):
    """int() refuses strings of more than 4300 digits with a ValueError."""
    api.raise_request_exception = False
    before = db_state(issue)
    for name, url in (
        ("issues", f"/api/0/issues/{HUGE}/"),
        ("groups", f"/api/0/groups/{HUGE}/"),
        ("org-issue", f"/api/0/organizations/{organization.slug}/issues/{HUGE}/"),
        ("org", f"/api/0/organizations/{HUGE}/issues/{issue.pk}/"),
    ):
        for method in ("GET", "PUT", "DELETE"):
            with subtests.test(method=method, route=name):
                response = api.generic(method, url, '{"status": "resolved"}', "application/json")
                assert response.status_code == 404, response.content
                assert json_body(response) == NOT_FOUND
    assert db_state(issue) == before


TRAVERSALS = [
    "../1",
    "..%2F1",
    "%2e%2e%2f",
    "%2e%2e",
    "..",
    ".",
    "1%00",
    "%00",
    "1/../2",
    "1%2F..%2F2",
    "%252e%252e%252f1",
    "..\\1",
    "1;2",
    "1%0a",
    "%20",
    "1%20",
    "+1",
    "1.",
]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_path_tricks_in_the_id_are_404_or_400_json(api, issue, organization, method, subtests):
    api.raise_request_exception = False
    before = db_state(issue)
    for trick in TRAVERSALS:
        issue_id = trick.replace("1", str(issue.pk))
        for url in (
            f"/api/0/issues/{issue_id}/",
            f"/api/0/organizations/{organization.slug}/issues/{issue_id}/",
            f"/api/0/organizations/{issue_id}/issues/{issue.pk}/",
        ):
            with subtests.test(url=url):
                response = api.generic(method, url, '{"status": "resolved"}', "application/json")
                assert response.status_code in (400, 404), (response.status_code, response.content)
                assert "detail" in json_body(response)
    assert db_state(issue) == before


# Query strings and unknown routes


# Query strings the API refuses, and what it answers. %ED%A0%80 is a lone surrogate in UTF-8's
# form; Django would read it, and the other bytes that are not UTF-8, as U+FFFD and go on with
# text the client never sent.
BAD_QUERIES = {
    "nul": (
        ("environment=%00", "environment=prod%00", "%00=1", "x=%00", "collapse=%00"),
        NUL_IN_URL,
    ),
    "not-utf8": (
        ("environment=%ED%A0%80", "query=%ED%B0%80", "x=%FF", "%C0%80=1"),
        NOT_UTF8_IN_URL,
    ),
}


@pytest.mark.parametrize("kind", BAD_QUERIES)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_bad_query_string_is_400(api, issue, method, kind, subtests):
    queries, error = BAD_QUERIES[kind]
    for query in queries:
        with subtests.test(query=query):
            before = db_state(issue)
            response = api.generic(
                method, f"{issue_url(issue)}?{query}", '{"status": "resolved"}', "application/json"
            )
            assert response.status_code == 400, response.content
            assert json_body(response) == error
            assert db_state(issue) == before


def test_lists_refuse_a_query_string_that_is_not_utf8(api, issue):
    organization = issue.project.organization
    for url in (
        f"/api/0/organizations/{organization.slug}/issues/",
        f"/api/0/projects/{organization.slug}/{issue.project.slug}/issues/",
    ):
        for query in ("query=%ED%A0%80", "environment=%ED%A0%80", "statsPeriod=%ED%A0%80"):
            response = api.get(f"{url}?{query}")
            assert response.status_code == 400, response.content
            assert json_body(response) == NOT_UTF8_IN_URL
        assert api.get(f"{url}?query=%C3%A9").status_code == 200  # é, in UTF-8


def test_unknown_url_is_404_json(api, settings, subtests):
    assert settings.DEBUG is False
    for url in ("/api/0/nothing/", "/api/0/", "/api/0/issues/", "/nothing", "/api/1/issues/1/"):
        with subtests.test(url=url):
            response = api.get(url)
            assert response.status_code == 404, response.content
            assert json_body(response) == NOT_FOUND


def test_unknown_url_is_404_json_without_credentials(api_client):
    response = api_client.get("/api/0/nothing/")

    assert response.status_code == 404
    assert json_body(response) == NOT_FOUND


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_on_the_issue_are_405(api, issue, method):
    before = db_state(issue)

    response = api.generic(method, issue_url(issue), '{"status": "resolved"}', "application/json")

    assert response.status_code == 405, response.content
    assert json_body(response) == {"detail": f'Method "{method}" not allowed.'}
    assert response["Allow"] == REFERENCE_HEADERS["Allow"]
    assert db_state(issue) == before


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_without_credentials_are_401(api_client, issue, method):
    response = api_client.generic(method, issue_url(issue), "{}", "application/json")

    assert response.status_code == 401
    assert json_body(response) == NOT_PROVIDED


# Crashes


def test_unhandled_error_in_the_view_is_a_json_500_without_internals(
    api, issue, monkeypatch, caplog
):
    def explode(*args, **kwargs):
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr("issues.apis.read_issues", explode)
    api.raise_request_exception = False

    response = api.get(issue_url(issue))

    assert response.status_code == 500
    body = json_body(response)
    assert set(body) == {"detail", "errorId"}
    assert body["detail"] == "Internal Error"
    assert re.fullmatch(r"[0-9a-f]{32}", body["errorId"])
    for leak in (
        b"Traceback",
        b"RuntimeError",
        b"secret-internal-detail",
        b"gather_issues",
        b".py",
    ):
        assert leak not in response.content
    # The error id is in the log, next to the traceback, so that the two can be matched.
    assert any(body["errorId"] in record.getMessage() for record in caplog.records)


def test_each_500_has_its_own_error_id(api, issue, monkeypatch):
    monkeypatch.setattr("issues.apis.read_issues", lambda *a, **k: 1 / 0)
    api.raise_request_exception = False

    ids = {api.get(issue_url(issue)).json()["errorId"] for _ in range(3)}

    assert len(ids) == 3


def test_a_crash_in_the_middle_of_a_put_changes_nothing(api, issue, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("late failure")

    # Status and bookmark are applied before isPublic; the failure must undo them.
    monkeypatch.setattr("issues.services.updates._set_public", explode)
    api.raise_request_exception = False
    before = db_state(issue)

    response = put_json(api, issue, {"status": "resolved", "isBookmarked": True, "isPublic": True})

    assert response.status_code == 500
    assert json_body(response)["detail"] == "Internal Error"
    assert db_state(issue) == before


def test_a_crash_outside_the_api_view_is_a_json_500(api, issue, monkeypatch):
    from issues_api.api.errors import RejectNulMiddleware

    def explode(self, request):
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(RejectNulMiddleware, "__call__", explode)
    api.raise_request_exception = False

    response = api.get(issue_url(issue))

    assert response.status_code == 500
    assert json_body(response)["detail"] == "Internal Error"
    assert b"secret-internal-detail" not in response.content


# Headers on error responses


def error_responses(api, issue, user, settings, monkeypatch):
    url = issue_url(issue)
    anonymous = APIClient()
    scopeless = ApiTokenFactory(user=user, scopes=["org:read"]).plaintext
    yield "401", anonymous.get(url)
    yield "401-bad-token", anonymous.get(url, HTTP_AUTHORIZATION="Bearer nope")
    yield "403", APIClient().get(url, HTTP_AUTHORIZATION=f"Bearer {scopeless}")
    yield "404", api.get("/api/0/issues/987654321/")
    yield "405", api.generic("POST", url, "{}", "application/json")
    yield "400", put_raw(api, issue, "not json")
    yield "415", put_raw(api, issue, "status=resolved", "text/plain")
    settings.ISSUES_API_MAX_BODY_BYTES = 16
    yield "413", put_json(api, issue, {"status": "resolved"})
    monkeypatch.setattr("issues.apis.read_issues", lambda *a, **k: 1 / 0)
    api.raise_request_exception = False
    yield "500", api.get(url)


def test_error_responses_carry_the_reference_headers(
    api, issue, user, settings, monkeypatch, subtests
):
    for name, response in error_responses(api, issue, user, settings, monkeypatch):
        with subtests.test(name):
            assert response.status_code >= 400, response.content
            for header, value in REFERENCE_HEADERS.items():
                assert response.get(header) == value, (header, response.get(header))
            assert {"Accept-Language", "Cookie"} <= {
                part.strip() for part in response["Vary"].split(",")
            }


@pytest.mark.parametrize(
    "url", ["/api/0/nothing/", "/api/0/issues/1/?environment=%00"], ids=["unknown-url", "nul"]
)
def test_errors_answered_outside_the_api_view_carry_the_security_headers(api, url):
    response = api.get(url)

    assert response.status_code in (400, 404)
    assert response.get("X-Content-Type-Options") == "nosniff"
    assert (response.get("X-Frame-Options") or "").lower() == "deny"


# Settings: production needs a secret key, DEBUG is off unless asked for

# A key as `secrets.token_urlsafe(50)` makes one (production refuses weak keys).
STRONG_KEY = "Zq7u0L1v-8hQeR3tY2wXk9Jm5NcB4aGdFs6Hp_VoIyEiTlUrWjKnMzPbxCSgODAf"


def settings_process(var_dir, **env):
    """Import the settings module in a clean process with only `env` (and PATH) set."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "issues_api.settings",
        "ISSUES_API_VAR_DIR": str(var_dir),
        **env,
    }
    code = "import json, issues_api.settings as s; print(json.dumps({'DEBUG': s.DEBUG}))"
    return subprocess.Popen(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def test_production_settings_need_a_secret_key_and_debug_is_off_by_default(tmp_path):
    cases = {
        "no-key": {"ISSUES_API_ENV": "production"},
        "empty-key": {"ISSUES_API_ENV": "production", "SECRET_KEY": ""},
        "key": {"ISSUES_API_ENV": "production", "SECRET_KEY": STRONG_KEY},
        "debug": {"SECRET_KEY": STRONG_KEY, "DEBUG": "1"},
        "debug-0": {"SECRET_KEY": STRONG_KEY, "DEBUG": "0"},
        "development": {},
    }
    # Started together, as each takes a moment to import Django.
    processes = {name: settings_process(tmp_path / name, **env) for name, env in cases.items()}
    results = {name: finish(process) for name, process in processes.items()}

    for name in ("no-key", "empty-key"):
        code, stdout, stderr = results[name]
        assert code != 0, (name, stdout)
        assert "ImproperlyConfigured" in stderr, stderr
        assert "SECRET_KEY must be set when ISSUES_API_ENV=production." in stderr
    for name in ("key", "debug", "debug-0", "development"):
        assert results[name][0] == 0, (name, results[name][2][-2000:])
    debug = {name: json.loads(results[name][1])["DEBUG"] for name in cases if not results[name][0]}
    assert debug == {"key": False, "debug": True, "debug-0": False, "development": False}
    # Only development keeps a key of its own; production never writes one.
    assert (tmp_path / "development" / "secret_key").exists()
    assert not (tmp_path / "key" / "secret_key").exists()
    assert not (tmp_path / "no-key" / "secret_key").exists()

"""Grouping (issue 12, point 3; docs/grouping.md): which events make one issue.

Pairs of payloads that must group together, and pairs that must not, are recorded through
record_event into a project of the newest version and read back through the API (the number
of issues, each issue's `count`). A legacy project keeps the hashes it always had (pinned as
literals, computed by the code before grouping versions existed), the migration pins existing
projects to legacy, and the admin shows the version.
"""

import importlib

import pytest
from django.apps import apps as installed_apps

from accounts.models import Project
from issues.ingest.grouping import NEWEST, grouping_hash
from issues.ingest.parameterize import parameterize
from issues.models import IssueHash
from issues.services import record_event
from tests.admin.conftest import add_url, change_url, changelist_url
from tests.factories import EventPayloadFactory, ProjectFactory
from tests.helpers import events_url, get_json
from tests.issues.lists import project_url

# One organization, project, member and token for the module (conftest.shared_rows); what a
# test records is rolled back after it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_rows")]

LEGACY = Project.GroupingConfig.LEGACY


def frame(module, function, *, in_app=True, lineno=10, **extra):
    return {"module": module, "function": function, "in_app": in_app, "lineno": lineno, **extra}


def error(*exceptions, **payload):
    """An error event's overrides: exceptions as (type, value, frames) triples."""
    values = [
        {"type": kind, "value": value, "stacktrace": {"frames": list(frames)}}
        for kind, value, frames in exceptions
    ]
    return {"message": "", "exception": {"values": values}, **payload}


VIEW = frame("shop.views", "checkout")
SYSTEM = frame("django.core.handlers", "inner", in_app=False)
JS = {"filename": "https://cdn.example.com/static/app.js?v=1", "function": "pay", "in_app": True}

# Pairs of events (payload overrides) that make ONE issue under the newest version.
TOGETHER = {
    "line numbers": (
        error(("ValueError", "bad", [VIEW])),
        error(("ValueError", "bad", [{**VIEW, "lineno": 99, "colno": 7, "context_line": "x"}])),
    ),
    "raw value, when in-app frames exist": (
        error(("ValueError", "Order 4711 not found", [VIEW])),
        error(("ValueError", "Customer jane@example.org has no card", [VIEW])),
    ),
    "values of a cause, when in-app frames exist": (
        error(("KeyError", "'a'", []), ("ValueError", "first", [VIEW])),
        error(("KeyError", "'b'", []), ("ValueError", "second", [VIEW])),
    ),
    "numbers, uuids, ips in a message": (
        {"message": "Timeout after 30 ms on 10.0.0.1 for 550e8400-e29b-41d4-a716-446655440000"},
        {"message": "Timeout after 45 ms on 10.0.0.2 for 123e4567-e89b-12d3-a456-426614174000"},
    ),
    "a parameterised value, without in-app frames": (
        error(("ConnectionError", "connect to 10.0.0.1:5432 failed after 3 tries", [SYSTEM])),
        error(("ConnectionError", "connect to 10.0.0.9:5432 failed after 5 tries", [])),
    ),
    "the message template, formatted differently": (
        {"message": "", "logentry": {"message": "User %s failed", "formatted": "User bob failed"}},
        {"message": "", "logentry": {"message": "User %s failed", "formatted": "User amy failed"}},
    ),
    "transaction": (
        # No culprit: the legacy version would read the transaction as one.
        error(("ValueError", "bad", [VIEW]), transaction="/orders/", culprit=None),
        error(("ValueError", "bad", [VIEW]), transaction="/carts/", culprit=None),
    ),
    "transaction of a message": (
        {"message": "Payment declined", "transaction": "/orders/", "culprit": None},
        {"message": "Payment declined", "transaction": "/carts/", "culprit": None},
    ),
    "culprit": (
        error(("ValueError", "bad", [VIEW]), culprit="shop.views in checkout"),
        error(("ValueError", "bad", [VIEW]), culprit="somewhere else"),
    ),
    "system frames": (
        error(("ValueError", "bad", [SYSTEM, VIEW])),
        error(("ValueError", "bad", [frame("gunicorn.workers", "run", in_app=False), VIEW])),
    ),
    "file path, query string and fragment": (
        error(("TypeError", "x is undefined", [JS]), platform="javascript"),
        error(
            ("TypeError", "y is undefined", [{**JS, "filename": "/assets/app.js?v=2#top"}]),
            platform="javascript",
        ),
    ),
    "recursion depth": (
        error(("RecursionError", "deep", [VIEW, VIEW, VIEW])),
        error(("RecursionError", "deep", [VIEW])),
    ),
    "{{ default }} spelled otherwise": (
        {"message": "Payment declined", "fingerprint": ["{{default}}"]},
        {"message": "Payment declined", "fingerprint": ["{{ DEFAULT }}"]},
    ),
}

# Pairs of events that make TWO issues.
APART = {
    "type": (
        error(("ValueError", "bad", [VIEW])),
        error(("KeyError", "bad", [VIEW])),
    ),
    "in-app function": (
        error(("ValueError", "bad", [VIEW])),
        error(("ValueError", "bad", [frame("shop.views", "refund")])),
    ),
    "in-app module": (
        error(("ValueError", "bad", [VIEW])),
        error(("ValueError", "bad", [frame("shop.api", "checkout")])),
    ),
    "an exception of the chain": (
        error(("KeyError", "'a'", []), ("ValueError", "bad", [VIEW])),
        error(("ValueError", "bad", [VIEW])),
    ),
    "words of a value, without in-app frames": (
        error(("OSError", "connection refused", [SYSTEM])),
        error(("OSError", "permission denied", [SYSTEM])),
    ),
    "message template": (
        {"message": "", "logentry": {"message": "User %s failed", "formatted": "User 1 failed"}},
        {"message": "", "logentry": {"message": "Order %s failed", "formatted": "Order 1 failed"}},
    ),
    "custom fingerprint": (
        {"message": "Payment declined"},
        {"message": "Payment declined", "fingerprint": ["payments"]},
    ),
    "{{ default }} with an extra component": (
        {"message": "Payment declined", "fingerprint": ["{{ default }}", "stripe"]},
        {"message": "Payment declined", "fingerprint": ["{{ default }}", "adyen"]},
    ),
}


def record(project, overrides: dict):
    return record_event(project=project, payload=EventPayloadFactory(**overrides))


def issue_counts(api, project, *events) -> list[str]:
    """The `count` of each issue of these events, read in the project's issue list (beside the
    issue every test of the module starts with)."""
    ids = {str(event.issue_id) for event in events}
    listed = get_json(api, project_url(project), query="")
    assert {item["id"] for item in listed} >= ids
    assert len(listed) == len(ids) + 1  # nothing else was made
    return sorted(item["count"] for item in listed if item["id"] in ids)


@pytest.mark.parametrize(("first", "second"), TOGETHER.values(), ids=list(TOGETHER))
def test_events_differing_only_in_this_make_one_issue(api, project, first, second):
    assert project.grouping_config == NEWEST
    one, other = record(project, first), record(project, second)
    assert one.issue_id == other.issue_id
    assert issue_counts(api, project, one, other) == ["2"]


@pytest.mark.parametrize(("first", "second"), APART.values(), ids=list(APART))
def test_events_differing_in_this_make_two_issues(api, project, first, second):
    one, other = record(project, first), record(project, second)
    assert one.issue_id != other.issue_id
    assert issue_counts(api, project, one, other) == ["1", "1"]


def test_a_fingerprint_without_default_groups_by_its_own_values_only(api, project):
    first = record(project, error(("ValueError", "bad", [VIEW]), fingerprint=["payments", 42]))
    second = record(project, {"message": "other", "fingerprint": ["payments", "42"]})
    third = record(project, {"message": "other", "fingerprint": ["payments"]})
    assert first.issue_id == second.issue_id != third.issue_id
    assert issue_counts(api, project, first, second, third) == ["1", "2"]


def test_the_event_fingerprint_is_the_hash_that_grouped_it(api, project):
    payload = EventPayloadFactory(**error(("ValueError", "bad", [VIEW])))
    event = record_event(project=project, payload=payload)
    document = get_json(api, events_url(event.issue, event.event_id))
    assert document["fingerprints"] == [grouping_hash(payload, version=NEWEST)]
    assert IssueHash.objects.get(issue=event.issue).hash == document["fingerprints"][0]


# ---- A legacy project --------------------------------------------------------------------------

# Hashes computed by normalize.py as it was before grouping versions (commit 5d9e793).
LEGACY_HASHES = {
    "message": (
        {"message": "Something broke", "culprit": "app.views in index"},
        "c5f433908a8d2b603b00b58ed0f3e058",
    ),
    "exception": (
        {
            "message": "",
            "culprit": None,
            "exception": {
                "values": [
                    {
                        "type": "ValueError",
                        "value": "bad 1",
                        "stacktrace": {
                            "frames": [
                                {"module": "django.core", "function": "run", "in_app": False},
                                {
                                    "module": "app.views",
                                    "function": "index",
                                    "lineno": 10,
                                    "in_app": True,
                                },
                            ]
                        },
                    }
                ]
            },
        },
        "227db016ff6f297db8d9ebb8530b5671",
    ),
    "transaction": (
        {
            "message": "",
            "culprit": None,
            "transaction": "/orders/{id}",
            "exception": {"values": [{"type": "KeyError", "value": "'id'"}]},
        },
        "f9e863c4b45dfe7783ee85b80803dfaa",
    ),
    "fingerprint": (
        {"message": "Timeout 3", "culprit": None, "fingerprint": ["{{ default }}", "db"]},
        "3eb949a95f62cf9eb88af8f35330c17b",
    ),
}


@pytest.fixture
def legacy_project(project):
    project.grouping_config = LEGACY
    project.save(update_fields=["grouping_config"])
    return project


@pytest.mark.parametrize(("overrides", "expected"), LEGACY_HASHES.values(), ids=list(LEGACY_HASHES))
def test_a_legacy_project_keeps_the_hashes_it_always_had(api, legacy_project, overrides, expected):
    event = record(legacy_project, overrides)
    assert IssueHash.objects.get(issue=event.issue).hash == expected
    document = get_json(api, events_url(event.issue, event.event_id))
    assert document["fingerprints"] == [expected]


def test_a_legacy_project_still_splits_what_the_newest_version_groups(api, legacy_project):
    first, second = (record(legacy_project, payload) for payload in TOGETHER["transaction"])
    assert first.issue_id != second.issue_id
    assert issue_counts(api, legacy_project, first, second) == ["1", "1"]


def test_moving_a_project_to_the_newest_version_starts_new_issues(api, legacy_project):
    """What docs/grouping.md warns of: the same error, before and after the move, is two
    issues, which is why a project moves only when told to."""
    before = record(legacy_project, {"message": "Payment declined"})
    legacy_project.grouping_config = NEWEST
    legacy_project.save(update_fields=["grouping_config"])
    after = record(legacy_project, {"message": "Payment declined"})
    again = record(legacy_project, {"message": "Payment declined"})
    assert before.issue_id != after.issue_id == again.issue_id
    assert issue_counts(api, legacy_project, before, after, again) == ["1", "2"]


# ---- The version of a project ------------------------------------------------------------------


def test_new_projects_take_the_newest_version(organization):
    assert ProjectFactory(organization=organization).grouping_config == NEWEST
    assert Project.GroupingConfig.NEWSTYLE == NEWEST


def test_the_migration_pins_existing_projects_to_legacy(organization):
    projects = [ProjectFactory(organization=organization) for _ in range(2)]
    migration = importlib.import_module("accounts.migrations.0006_project_grouping_config")

    migration.pin_existing_projects_to_legacy(installed_apps, None)

    for project in projects:
        project.refresh_from_db()
        assert project.grouping_config == LEGACY
    # The column's default, for projects made after the migration, stays the newest.
    assert ProjectFactory(organization=organization).grouping_config == NEWEST


def test_the_project_admin_shows_and_changes_the_version(admin_client, project):
    listed = admin_client.get(changelist_url(Project), {"grouping_config": NEWEST})
    assert listed.status_code == 200
    assert project in listed.context["cl"].result_list
    assert NEWEST in listed.content.decode()

    page = admin_client.get(change_url(project))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form["grouping_config"].value() == NEWEST
    assert {value for value, _ in form.fields["grouping_config"].choices} == {LEGACY, NEWEST}
    assert "splits issues" in page.content.decode()

    # A new project takes the newest version: the add page shows it, read-only.
    added = admin_client.get(add_url(Project))
    assert "grouping_config" not in added.context["adminform"].form.fields
    assert "grouping version" in added.content.decode().lower()


# ---- Parameterisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Order 4711 not found", "Order <int> not found"),
        ("user 550e8400-e29b-41d4-a716-446655440000 gone", "user <uuid> gone"),
        ("from 10.0.0.1 and 2001:db8::8a2e:370:7334", "from <ip> and <ip>"),
        ("mail bob@example.com about https://x.io/a?b=1", "mail <email> about <url>"),
        ("at 2024-01-02T10:00:00Z, 12:30:45", "at <date>, <date>"),
        ("ptr 0xdeadBEEF digest d41d8cd98f00b204e9800998ecf8427e", "ptr <hex> digest <hex>"),
        ("took 1.5s, -3 left of 2.25", "took <duration>, <int> left of <float>"),
        ("name='Bob' ok", "name=<quoted_str> ok"),
        ("Foo::bar in v1.2.3 of abc123", "Foo::bar in v1.2.3 of abc123"),
        ("one\n\ntwo\nthree", "one\ntwo..."),
    ],
)
def test_parameterisation_replaces_what_varies_between_events(text, expected):
    assert parameterize(text) == expected

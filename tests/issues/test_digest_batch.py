"""A batch digest leaves exactly what the same events recorded one by one leave (issue 12,
point 6): the same stream of events goes into project P1 through record_event, one at a time,
and into twin projects through events_accept and events_digest in batches of 1, 7 and 100;
every issue's document, events and activity, and each release's new issues, then read the
same. Also: the queries of a batch do not grow with its events, and one event the batch
cannot apply is set aside while the others are applied.

The projects share one organization (so its environments and releases) and are set up alike
before any stream arrives: issues resolved (in a release, in the next release, plainly),
ignored (until a count, a count in a window, a user count in a window, forever) and
discarded. The world is built once for the module (module_db); each test's digest is rolled
back after it.
"""

import html
import logging
import random
from datetime import timedelta

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from issues.models import (
    Activity,
    ActivityType,
    Event,
    IngestFailure,
    IngestItem,
    Issue,
    IssueStatus,
)
from issues.services import events_accept, events_digest, issue_discard, record_event
from issues.services.digest import Incoming, apply_events
from releases.models import ReleaseProject
from tests.conftest import new_member
from tests.factories import OrganizationFactory, ProjectFactory, TeamFactory
from tests.helpers import client_for, events_url, issue_url

pytestmark = pytest.mark.django_db

RELEASES = ["app@0.9.0", "app@1.0.0", "app@1.1.0", "app@2.0.0"]
ENVIRONMENTS = ["production", "staging", ""]
# Issue title -> the PUT that sets it up (None: left unresolved; "discard": discarded).
SET_UP = {
    "Resolved in release": {"status": "resolved", "statusDetails": {"inRelease": "app@1.0.0"}},
    "Resolved in next release": {"status": "resolved", "statusDetails": {"inNextRelease": True}},
    "Resolved": {"status": "resolved"},
    "Ignored until 5 more": {"status": "ignored", "statusDetails": {"ignoreCount": 5}},
    "Ignored until 3 an hour": {
        "status": "ignored",
        "statusDetails": {"ignoreCount": 3, "ignoreWindow": 60},
    },
    "Ignored until 2 users an hour": {
        "status": "ignored",
        "statusDetails": {"ignoreUserCount": 2, "ignoreUserWindow": 60},
    },
    "Ignored forever": {"status": "ignored"},
    "Unresolved": None,
    "Discarded": "discard",
}
NEW_TITLES = ["Brand new", "Another new one"]
# Keys whose values name a project's own rows; the rest must match.
OWN_KEYS = {"id", "shortId", "permalink", "project", "groupID", "projectID", "issue"}


def payload(rng: random.Random, now, title: str, n: int) -> dict:
    """An event of `title` at a time of the last three days (or the last hour), in an
    environment and release of the org, by one of a few users, with repeated tag values."""
    minutes = rng.choice([rng.randint(0, 59), rng.randint(60, 3 * 24 * 60)])
    if "an hour" in title:
        minutes = rng.randint(0, 90)  # in the window, or just out of it
    return {
        "event_id": f"{n:032x}",
        "message": title,
        "fingerprint": [title],
        "timestamp": (now - timedelta(minutes=minutes, seconds=rng.random() * 60)).isoformat(),
        "level": rng.choice(["error", "warning", "info"]),
        "culprit": rng.choice(["app.views in index", "app.jobs in run"]),
        "platform": "python",
        "environment": rng.choice(ENVIRONMENTS),
        "release": rng.choice([*RELEASES, None]),
        "user": rng.choice([{"id": str(rng.randint(1, 4))}, None]),
        "tags": {"server_name": rng.choice(["web01", "web02"]), "color": rng.choice("rgb")},
    }


def stream(now) -> list[dict]:
    """About 100 events over every issue of SET_UP and two new ones, out of time order, with
    an SDK's retry of an event id."""
    rng = random.Random(12)
    # The windowed snoozes get more events, so that they end within the stream.
    titles = [
        *SET_UP,
        *NEW_TITLES,
        *["Ignored until 3 an hour", "Ignored until 2 users an hour"] * 2,
    ]
    events = [payload(rng, now, rng.choice(titles), n) for n in range(100)]
    events.insert(60, dict(events[10]))  # the retry, after the first one was counted
    return events


def set_up(client, project, now) -> None:
    """Each SET_UP issue with two events (releases 0.9.0 and 1.0.0), then its PUT."""
    for n, (title, change) in enumerate(SET_UP.items()):
        for m, release in enumerate(RELEASES[:2]):
            record_event(
                project=project,
                payload={
                    "event_id": f"{n:016x}{m:016x}",
                    "message": title,
                    "fingerprint": [title],
                    "timestamp": (now - timedelta(hours=80 - m)).isoformat(),
                    "release": release,
                    "environment": "production",
                    "user": {"id": "1"},
                },
                now=now - timedelta(hours=79),
            )
        issue = Issue.objects.get(project=project, metadata__title=title)
        if change == "discard":
            issue_discard(issue_id=issue.pk, actor=None)
        elif change is not None:
            response = client.put(issue_url(issue), change, format="json")
            assert response.status_code == 200, response.content


@pytest.fixture(scope="module")
def world(module_db):
    """P1 with the stream recorded one by one; twins set up alike, the stream not yet sent."""
    with module_db():
        now = timezone.now().replace(microsecond=0)
        organization = OrganizationFactory()
        team = TeamFactory(organization=organization)
        user = new_member(organization, team)
        client = client_for(user)
        projects = [ProjectFactory(organization=organization, teams=[team]) for _ in range(4)]
        for project in projects:
            set_up(client, project, now)
        for event in stream(now):
            record_event(project=projects[0], payload=event, now=now)
    return {"user": user.pk, "projects": [project.pk for project in projects], "now": now}


def without_own_keys(value):
    """The value without the keys that name a project's own rows, nor the time of the set-up's
    PUTs (each project's came a moment later than the previous one's)."""
    if isinstance(value, dict) and value.get("type") in {
        "set_resolved",
        "set_resolved_in_release",
        "set_ignored",
    }:
        value = {k: v for k, v in value.items() if k != "dateCreated"}
    if isinstance(value, dict):
        return {k: without_own_keys(v) for k, v in value.items() if k not in OWN_KEYS}
    if isinstance(value, list):
        return [without_own_keys(item) for item in value]
    return value


def differences(got, expected, path="") -> list[str]:
    """Where two read-backs differ, as paths with both values (a readable failure)."""
    if isinstance(got, dict) and isinstance(expected, dict):
        found = []
        for key in sorted(got.keys() | expected.keys(), key=str):
            found += differences(got.get(key), expected.get(key), f"{path}/{key}")
        return found
    if isinstance(got, list | tuple) and isinstance(expected, list | tuple):
        if len(got) != len(expected):
            return [f"{path}: {len(got)} items, expected {len(expected)}"]
        found = []
        for index, (a, b) in enumerate(zip(got, expected, strict=True)):
            found += differences(a, b, f"{path}[{index}]")
        return found
    return [] if got == expected else [f"{path}: {got!r}, expected {expected!r}"]


def read_back(client, project_id: int) -> dict:
    """What a client sees of the project's issues (documents, events, activity) and what
    the project's releases count of them."""
    issues = Issue.objects.filter(project_id=project_id).order_by("short_id")
    seen = {}
    for issue in issues:
        document = client.get(issue_url(issue))
        events = client.get(events_url(issue), {"full": "true"})
        # A discarded issue answers 404, as in every project.
        seen[issue.short_id] = {
            "document": (document.status_code, without_own_keys(document.json())),
            "events": (events.status_code, without_own_keys(events.json())),
        }
    seen["new_groups"] = sorted(
        ReleaseProject.objects.filter(project_id=project_id).values_list(
            "release__version", "new_groups"
        )
    )
    return seen


@pytest.mark.parametrize(("twin", "batch"), [(1, 1), (2, 7), (3, 100)])
def test_a_batch_digest_leaves_what_one_by_one_leaves(world, twin, batch):
    from accounts.models import User

    client = client_for(User.objects.get(pk=world["user"]))
    project_id = world["projects"][twin]
    now = world["now"]
    events_accept(
        project_id=project_id, events=[(e["event_id"], e) for e in stream(now)], received=now
    )
    while events_digest(batch=batch):
        pass

    expected = read_back(client, world["projects"][0])
    assert differences(read_back(client, project_id), expected) == []
    # The stream did what it is there for: regressions, ended snoozes, new issues (and the
    # discarded issue's events dropped).
    documents = [
        value["document"][1]
        for key, value in expected.items()
        if key != "new_groups" and value["document"][0] == 200
    ]
    assert {(d["title"], d["status"], d["substatus"]) for d in documents} == {
        ("Resolved in release", "unresolved", "regressed"),
        ("Resolved in next release", "unresolved", "regressed"),
        ("Resolved", "unresolved", "regressed"),
        ("Ignored until 5 more", "unresolved", "ongoing"),
        ("Ignored until 3 an hour", "unresolved", "ongoing"),
        ("Ignored until 2 users an hour", "unresolved", "ongoing"),
        ("Ignored forever", "ignored", "archived_forever"),
        ("Unresolved", "unresolved", "new"),
        ("Brand new", "unresolved", "new"),
        ("Another new one", "unresolved", "new"),
    }


def queued_digest_queries(project, events, *, now) -> int:
    """Queue the events, then the queries of the one events_digest that applies them all."""
    events_accept(project_id=project.pk, events=[(e["event_id"], e) for e in events], received=now)
    with CaptureQueriesContext(connection) as queries:
        assert events_digest(batch=1000) == len(events)
    return len(queries)


def steady_event(n: int, *, now, title: str = "Old", **fields) -> dict:
    """An event of a known issue, environment and release, by a new user, newer than any."""
    return {
        "event_id": f"{n:032x}",
        "message": title,
        # One issue per title: grouping alone would take the numbers out ("New <int>").
        "fingerprint": [title],
        "timestamp": (now + timedelta(seconds=n)).isoformat(),
        "environment": ["production", "staging"][n % 2],
        "release": ["app@1.0.0", "app@1.1.0"][n % 2],
        "user": {"id": f"user-{n}"},
        "tags": {"server_name": f"web{n % 3}", "color": "rgb"[n % 3]},
        **fields,
    }


# The test's savepoint (a worker's BEGIN and COMMIT), the claim, the projects, the batch's
# savepoint; duplicates, hashes, environments, releases and their project links; the issues
# locked and six read-model reads; the events inserted, the issues updated, the new users, seven
# upserts (the hourly and daily totals among them, summed from the per-environment rows read);
# the releases' first and last event (locked, updated); the savepoint released, the claimed
# rows deleted, the test's savepoint released.
STEADY_BATCH_QUERIES = 31
# New issues instead: no issue to lock, read-model rows to read or issues to update (-8), but
# the projects locked, their hashes read again, the short-id counters, the issues and their
# hashes inserted and the releases' new issues counted (+6).
NEW_ISSUES_BATCH_QUERIES = STEADY_BATCH_QUERIES - 8 + 6


def test_the_queries_of_a_batch_do_not_grow_with_its_events(project):
    now = timezone.now().replace(microsecond=0) - timedelta(days=1)
    for n in range(4):
        title = "Old" if n < 2 else "Other"
        record_event(project=project, payload=steady_event(10_000 + n, now=now, title=title))

    one = queued_digest_queries(project, [steady_event(1, now=now)], now=now)
    many = queued_digest_queries(
        project,
        [steady_event(n, now=now, title=["Old", "Other"][n % 2]) for n in range(2, 102)],
        now=now,
    )

    assert (one, many) == (STEADY_BATCH_QUERIES, STEADY_BATCH_QUERIES)
    assert Issue.objects.get(project=project, metadata__title="Old").times_seen == 2 + 1 + 50


def test_the_queries_of_a_batch_of_new_issues_do_not_grow_with_them(project):
    now = timezone.now().replace(microsecond=0) - timedelta(days=1)
    record_event(project=project, payload=steady_event(10_000, now=now))
    record_event(project=project, payload=steady_event(10_001, now=now))

    one = queued_digest_queries(project, [steady_event(1, now=now, title="New 1")], now=now)
    many = queued_digest_queries(
        project, [steady_event(n, now=now, title=f"New {n % 10 + 2}") for n in range(100)], now=now
    )

    assert (one, many) == (NEW_ISSUES_BATCH_QUERIES, NEW_ISSUES_BATCH_QUERIES)
    assert Issue.objects.filter(project=project).count() == 1 + 1 + 10


def test_a_resolved_issue_a_batch_regresses_costs_one_query_more(api, project):
    now = timezone.now().replace(microsecond=0) - timedelta(days=1)
    issues = [
        record_event(
            project=project, payload=steady_event(10_000 + n, now=now, title=f"R{n}")
        ).issue
        for n in range(3)
    ]
    for issue in issues:
        response = api.put(issue_url(issue), {"status": "resolved"}, format="json")
        assert response.status_code == 200, response.content

    one = queued_digest_queries(project, [steady_event(1, now=now, title="R0")], now=now)
    two = queued_digest_queries(
        project, [steady_event(n, now=now, title=f"R{n % 2 + 1}") for n in range(2, 40)], now=now
    )

    assert two == one + 1  # the second issue's resolution; the rest is written together
    assert {issue.status for issue in Issue.objects.filter(pk__in=[i.pk for i in issues])} == {
        IssueStatus.UNRESOLVED
    }
    assert Activity.objects.filter(issue__in=issues, type=ActivityType.SET_REGRESSION).count() == 3


# A poison in the middle of a batch


@pytest.mark.parametrize(
    "poison",
    [
        pytest.param({"tags": 5}, id="unreadable"),
        pytest.param({"message": "nul \x00 byte"}, id="refused-by-postgresql"),
    ],
)
def test_a_poison_event_is_set_aside_with_its_error_and_the_batch_goes_on(
    project, admin_client, caplog, poison
):
    if "message" in poison and connection.vendor != "postgresql":
        pytest.skip("SQLite stores a NUL character: nothing refuses it")
    now = timezone.now()
    good = [steady_event(n, now=now - timedelta(hours=1)) for n in range(4)]
    events_accept(
        project_id=project.pk, events=[(e["event_id"], e) for e in good[:2]], received=now
    )
    # Written past the accept check, as an older version of it could have let through.
    IngestItem.objects.create(
        project=project,
        event_id="f" * 32,
        payload=orjson.dumps({"event_id": "f" * 32, **poison}).decode(),
        received=now,
    )
    events_accept(
        project_id=project.pk, events=[(e["event_id"], e) for e in good[2:]], received=now
    )

    with caplog.at_level(logging.WARNING, logger="issues.ingest"):
        assert events_digest(batch=10) == 5

    assert IngestItem.objects.count() == 0
    assert sorted(Event.objects.filter(project=project).values_list("event_id", flat=True)) == [
        e["event_id"] for e in good
    ]
    failure = IngestFailure.objects.get()
    assert (failure.project, failure.event_id) == (project, "f" * 32)
    assert failure.error.startswith("ValueError" if "tags" in poison else "DataError")
    assert any("f" * 32 in record.getMessage() for record in caplog.records)
    page = admin_client.get("/admin/issues/ingestfailure/")
    assert page.status_code == 200
    assert "f" * 32 in page.content.decode()
    assert failure.error[:40] in html.unescape(page.content.decode())


def test_a_repeated_event_id_within_a_batch_counts_once_the_first_wins(project):
    now = timezone.now()
    first = steady_event(1, now=now - timedelta(hours=1), title="First")
    again = {**first, "message": "Again"}

    outcomes = apply_events([Incoming(project, first, now), Incoming(project, again, now)])

    assert outcomes[0].event is not None
    assert (outcomes[1].event, outcomes[1].duplicate) == (None, True)
    assert Event.objects.get(project=project).issue.title == "First"
    assert Issue.objects.get(project=project).times_seen == 1


def test_an_event_the_digest_fails_on_unexpectedly_is_set_aside_too(project, monkeypatch):
    """Not only the database's refusals: whatever one event makes the digest raise (a bug a
    payload finds) sets that event aside, rather than stopping the queue behind it."""
    from issues.services import digest

    def normalized(project, payload, now):
        if payload.get("message") == "boom":
            raise RuntimeError("a bug this payload finds")
        return original(project, payload, now)

    original = digest.normalized
    monkeypatch.setattr(digest, "normalized", normalized)
    now = timezone.now()
    events = [
        steady_event(n, now=now - timedelta(hours=1), **({"message": "boom"} if n == 1 else {}))
        for n in range(3)
    ]
    events_accept(project_id=project.pk, events=[(e["event_id"], e) for e in events], received=now)

    assert events_digest(batch=10) == 3

    assert IngestItem.objects.count() == 0
    assert Event.objects.filter(project=project).count() == 2
    failure = IngestFailure.objects.get()
    assert (failure.event_id, failure.error) == (
        events[1]["event_id"],
        "RuntimeError: a bug this payload finds",
    )

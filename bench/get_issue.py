"""Benchmark: GET /api/0/issues/{id}/ on a one-event issue and on a big one.

The claim to check: a GET costs the same number of queries, and about the same time, whatever
the issue's size, because it reads counters and read models, never the events.

    .venv/bin/python bench/get_issue.py                      # SQLite (a throw-away test DB)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/issues_api .venv/bin/python bench/get_issue.py

It builds its data in Django's test database (test_<name>, created and dropped here), through
record_event like real events, then times GETs in-process with Django's test client.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issues_api.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


def build(events: int, extras: int):
    from accounts.models import ApiToken, Organization, OrganizationMember, Project, Team, User
    from accounts.scopes import EVENT_SCOPES
    from issues.models import Activity, ActivityType, IssueSeen, Subscription
    from issues.services import record_event

    user = User.objects.create_user("bench@example.com", password=None)
    organization = Organization.objects.create(name="Bench", slug="bench")
    team = Team.objects.create(organization=organization, name="Bench", slug="bench")
    member = OrganizationMember.objects.create(organization=organization, user=user)
    member.teams.add(team)
    project = Project.objects.create(organization=organization, name="Bench", slug="bench")
    project.teams.add(team)
    _, token = ApiToken.objects.create_token(user=user, scopes=EVENT_SCOPES)

    def event(message, number):
        return record_event(
            project=project,
            payload={
                "event_id": uuid.uuid4().hex,
                "message": message,
                "timestamp": (timezone.now() - timedelta(minutes=number * 7)).isoformat(),
                "environment": f"env-{number % 5}",
                "release": f"1.0.{number % 20}",
                "user": {"id": str(number % 997)},
                "tags": {f"key_{number % 60}": f"value_{number % 300}", "server_name": "web"},
            },
        ).issue

    small = event("small issue", 0)
    started = time.perf_counter()
    for number in range(events):
        large = event("large issue", number)
    ingest_seconds = time.perf_counter() - started

    others = [User.objects.create_user(f"u{n}@example.com", password=None) for n in range(extras)]
    IssueSeen.objects.bulk_create(IssueSeen(issue=large, user=other) for other in others)
    Subscription.objects.bulk_create(Subscription(issue=large, user=other) for other in others)
    Activity.objects.bulk_create(
        Activity(
            project=project,
            issue=large,
            type=ActivityType.NOTE,
            user=others[n % len(others)],
            data={"text": str(n)},
        )
        for n in range(extras * 3)
    )
    return token, small, large, ingest_seconds


def measure(client, url, repeat):
    # The log is a bounded deque: once full, its length no longer counts new queries.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    # Counted now: the captured slice is read lazily, and later requests reset the log.
    query_count = len(queries)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "queries": query_count,
        "median_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "bytes": len(response.content),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events of the large issue")
    parser.add_argument("--extras", type=int, default=100, help="seen-by users etc.")
    parser.add_argument("--repeat", type=int, default=200, help="GETs timed per issue")
    args = parser.parse_args()

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        token, small, large, ingest = build(args.events, args.extras)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        print(f"database: {connection.vendor}; large issue: {args.events} events, ", end="")
        print(f"{args.extras} seen-by/participants, {args.extras * 3} activities")
        print(f"ingest: {args.events / ingest:.0f} events/s through record_event")
        for name, issue in (("small", small), ("large", large)):
            result = measure(client, f"/api/0/issues/{issue.pk}/", args.repeat)
            print(
                f"GET {name:5}: {result['queries']} queries, median {result['median_ms']:.2f} ms, "
                f"p95 {result['p95_ms']:.2f} ms, {result['bytes']} bytes"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

"""The benchmark's data (issue 10), on PostgreSQL, around the reference world.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/issues_api_bench \\
        .venv/bin/python bench/setup_data.py [--events 1000000] [--filler 30]

Run it once on a database that `manage.py migrate` made (`make bench` makes a new one each
time). It builds the reference world when missing (as `manage.py seed_example` does), then
adds, in its organization (the-interstellar-jurisdiction) and project (pump-station):

- 200 users, members of the organization, each with a primary email;
- filler issues (30) with a few events each in the last day, so that a page of the issue
  lists holds 25 issues with stats;
- the big document: the reference issue's event under its own fingerprint, with 100 notes,
  200 seen-by users and 50 participants (subscriptions);
- the volume pair: an issue with 1,000,000 events over 90 days (5 releases, 3 environments,
  9,973 users, 8 tag keys), and an issue of one event of the same kind; each has 10 notes,
  10 seen-by users and 5 participants, so their documents are the same size;
- the write target: another copy of the reference issue, for the PUTs (they add activity);
- a token of the reference user with event:read, event:write, event:admin, org:read and
  project:read.

Events go through record_event, except the 999,999 later events of the volume issue: those
are inserted by SQL (generate_series) and the counters and read models that record_event
keeps (the issue's counters, IssueEnvironment, IssueUser, IssueHourlyCount, IssueDailyCount,
their totals IssueHourlyTotal and IssueDailyTotal, IssueTagKey, IssueTagValue, the releases'
first and last event) are then computed from the events, as record_event would have left them
had it recorded them in time order. It prints a JSON object: the token, the organization and
project slugs and the issues' ids.
"""

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issues_api.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import ApiToken, OrganizationMember, User, UserEmail  # noqa: E402
from issues.ingest import normalize_event  # noqa: E402
from issues.models import (  # noqa: E402
    Activity,
    ActivityType,
    Environment,
    Issue,
    IssueHash,
    IssueSeen,
    Subscription,
    SubscriptionReason,
)
from issues.seed import (  # noqa: E402
    PUMP_STATION_VERSION,
    SEED_TOKEN_SCOPES,
    build_reference_world,
    python_sample_event,
)
from issues.services import record_event  # noqa: E402
from issues.services.partitions import event_partitions_ensure  # noqa: E402
from releases.models import ReleaseProject  # noqa: E402
from releases.services import release_for_version  # noqa: E402

USERS = 200
FILLER_ISSUES = 30
EVENTS = 1_000_000
# The big document (the goal: at most 3 times the reference issue's cost).
DOCUMENT = {"activities": 100, "seen_by": 200, "participants": 50}
# Both issues of the volume pair carry this much, so that only their events differ.
PAIR_DOCUMENT = {"activities": 10, "seen_by": 10, "participants": 5}

FINGERPRINTS = {
    "document": "bench-document",
    "volume": "bench-volume-1m",
    "single": "bench-volume-1",
    "write": "bench-write-target",
}

# The volume issue's events: event n is in environment VOLUME_ENVIRONMENTS[n % 10], release
# VOLUME_RELEASES[n * 5 // total] (releases follow one another in time), user n % 9973 (a
# prime, so that users cross environments), on one of 20 servers and 50 transactions.
VOLUME_ENVIRONMENTS = ("production",) * 8 + ("staging", "development")
VOLUME_RELEASES = tuple(
    hashlib.sha1(f"bench-release-{number}".encode(), usedforsecurity=False).hexdigest()
    for number in range(5)
)
VOLUME_USERS = 9973
VOLUME_SERVERS = 20
VOLUME_TRANSACTIONS = 50
VOLUME_SPAN = timedelta(days=90)
# What every event of the volume pair shares (Sentry's java sample event, abridged).
VOLUME_TEMPLATE = {
    "platform": "java",
    "level": "error",
    "logger": "",
    "message": "This is an example Java exception",
    "culprit": "com.example.application.Main in main",
    "contexts": {"runtime": {"name": "Java", "version": "1.8.0"}},
    "sdk": {"name": "sentry-java", "version": "1.7.30"},
}
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Below this many events the volume issue's event table keeps its indexes while loading.
BULK_LOAD_THRESHOLD = 100_000


@dataclass
class BenchData:
    token: str
    organization: str
    project: str
    reference: int
    reference_short_id: str
    document: int
    volume: int
    single: int
    write: int
    volume_events: int
    filler_issues: int
    project_issues: int
    seconds: float = 0.0


def event_id(fingerprint: str, number: int) -> str:
    return hashlib.md5(f"{fingerprint}-{number}".encode(), usedforsecurity=False).hexdigest()


def fingerprint_hash(fingerprint: str, *, project) -> str:
    """The hash the project's grouping version gives a fingerprint (a database built before
    grouping versions has its project on the legacy one)."""
    payload = {"message": "x", "fingerprint": [fingerprint]}
    return normalize_event(
        payload, now=timezone.now(), grouping_config=project.grouping_config
    ).fingerprint_hash


def volume_step(total: int) -> timedelta:
    return timedelta(microseconds=VOLUME_SPAN // timedelta(microseconds=1) // total)


def volume_payload(number: int, *, total: int, start: datetime, fingerprint: str) -> dict:
    """Event `number` (0 to total - 1) of a volume issue; bulk_insert_volume_events writes the
    same in SQL."""
    timestamp = start + volume_step(total) * number
    return {
        **VOLUME_TEMPLATE,
        "event_id": event_id(fingerprint, number),
        "timestamp": timestamp.strftime(TIMESTAMP_FORMAT),
        "fingerprint": [fingerprint],
        "environment": VOLUME_ENVIRONMENTS[number % len(VOLUME_ENVIRONMENTS)],
        "release": VOLUME_RELEASES[number * len(VOLUME_RELEASES) // total],
        "server_name": f"web{number % VOLUME_SERVERS:02d}.example.org",
        "user": {"id": str(number % VOLUME_USERS)},
        "tags": {"transaction": f"/checkout/step-{number % VOLUME_TRANSACTIONS}/"},
    }


# The normalized tags of a volume event (issues.ingest), as SQL expressions of n, its number,
# in the order normalize_event sorts them; bulk_insert_volume_events checks the keys against it.
VOLUME_TAGS_SQL = (
    ("environment", "env.name"),
    ("level", "'error'"),
    ("runtime", "'Java 1.8.0'"),
    ("runtime.name", "'Java'"),
    ("sentry:release", "rel.version"),
    ("sentry:user", "'id:' || (n %% {users})"),
    ("server_name", "'web' || lpad((n %% {servers})::text, 2, '0') || '.example.org'"),
    ("transaction", "'/checkout/step-' || (n %% {transactions}) || '/'"),
)


_STARTED = time.perf_counter()


def say(text: str) -> None:
    """Progress, on stderr (stdout is the JSON)."""
    print(f"  setup {time.perf_counter() - _STARTED:6.1f}s  {text}", file=sys.stderr, flush=True)


def _execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _event_indexes_and_constraints() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The issues_event table's secondary indexes (CREATE INDEX statements) and its
    constraints but the primary key (name, definition)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'issues_event'::regclass AND contype <> 'p' ORDER BY conname"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'issues_event' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'issues_event'::regclass) ORDER BY indexname"
        )
        # A partitioned table's index reads "ON ONLY issues_event": made so, it would index
        # no partition.
        indexes = [
            (name, definition.replace(" ON ONLY ", " ON "))
            for name, definition in cursor.fetchall()
        ]
    return indexes, constraints


def bulk_insert_volume_events(
    issue: Issue, *, fingerprint: str, first: int, total: int, start: datetime
) -> int:
    """Insert events first to total - 1 of a volume issue (volume_payload, in SQL).

    With many events, the event table's secondary indexes and constraints are dropped first
    and made again after (in the caller's transaction): building an index once is several
    times faster than updating six of them and queueing four foreign-key checks per row.
    """
    project = issue.project
    sample = normalize_event(
        volume_payload(first, total=total, start=start, fingerprint=fingerprint),
        now=timezone.now(),
    )
    if [key for key, _ in sample.tags] != [key for key, _ in VOLUME_TAGS_SQL]:
        raise RuntimeError(f"VOLUME_TAGS_SQL is out of date: {sample.tags}")
    environments = {
        name: Environment.objects.get_or_create(organization_id=project.organization_id, name=name)[
            0
        ].pk
        for name in set(VOLUME_ENVIRONMENTS)
    }
    releases = []
    for version in VOLUME_RELEASES:
        release = release_for_version(organization_id=project.organization_id, version=version)
        ReleaseProject.objects.get_or_create(release=release, project=project)
        releases.append(release.pk)

    tags = ", ".join(f"jsonb_build_array('{key}', {value})" for key, value in VOLUME_TAGS_SQL)
    tags = tags.format(users=VOLUME_USERS, servers=VOLUME_SERVERS, transactions=VOLUME_TRANSACTIONS)
    # Only this module's constants are formatted in; the values are parameters.
    sql = f"""
        INSERT INTO issues_event (event_id, datetime, received, platform, message, user_key,
                                  tags, data, environment_id, project_id, release_id, issue_id)
        SELECT md5(%(fingerprint)s || '-' || n), ts, ts, %(platform)s, %(message)s,
               'id:' || (n %% %(users)s),
               jsonb_build_array({tags}),
               %(template)s::jsonb || jsonb_build_object(
                   'event_id', md5(%(fingerprint)s || '-' || n),
                   'timestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   'fingerprint', jsonb_build_array(%(fingerprint)s),
                   'environment', env.name,
                   'release', rel.version,
                   'server_name', 'web' || lpad((n %% %(servers)s)::text, 2, '0')
                                  || '.example.org',
                   'user', jsonb_build_object('id', (n %% %(users)s)::text),
                   'tags', jsonb_build_object(
                       'transaction', '/checkout/step-' || (n %% %(transactions)s) || '/')),
               env.id, %(project)s, rel.id, %(issue)s
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
        CROSS JOIN LATERAL (
            SELECT %(start)s::timestamptz + n * %(step)s * interval '1 microsecond' AS ts,
                   (%(environment_names)s::text[])[n %% %(environment_count)s + 1] AS name,
                   (%(environment_ids)s::bigint[])[n %% %(environment_count)s + 1] AS id
        ) AS env
        CROSS JOIN LATERAL (
            SELECT (%(release_versions)s::text[])[n * %(release_count)s / %(total)s + 1]
                       AS version,
                   (%(release_ids)s::bigint[])[n * %(release_count)s / %(total)s + 1] AS id
        ) AS rel
    """  # noqa: S608
    params = {
        "fingerprint": fingerprint,
        "platform": VOLUME_TEMPLATE["platform"],
        "message": VOLUME_TEMPLATE["message"],
        "template": json.dumps(VOLUME_TEMPLATE),
        "users": VOLUME_USERS,
        "servers": VOLUME_SERVERS,
        "transactions": VOLUME_TRANSACTIONS,
        "project": project.pk,
        "issue": issue.pk,
        "first": first,
        "last": total - 1,
        "total": total,
        "start": start,
        "step": volume_step(total) // timedelta(microseconds=1),
        "environment_names": list(VOLUME_ENVIRONMENTS),
        "environment_ids": [environments[name] for name in VOLUME_ENVIRONMENTS],
        "environment_count": len(VOLUME_ENVIRONMENTS),
        "release_versions": list(VOLUME_RELEASES),
        "release_ids": releases,
        "release_count": len(VOLUME_RELEASES),
    }
    # On PostgreSQL the events go to partitions of their weeks, not to the default one.
    event_partitions_ensure(since=start, until=start + volume_step(total) * (total - 1))
    bulk = total - first >= BULK_LOAD_THRESHOLD
    if bulk:
        # Foreign keys checked at commit cannot be dropped with checks pending: run them now.
        _execute("SET CONSTRAINTS ALL IMMEDIATE")
        indexes, constraints = _event_indexes_and_constraints()
        for name, _ in constraints:
            _execute(f'ALTER TABLE issues_event DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            _execute(f'DROP INDEX "{name}"')
    if bulk:
        say(f"dropped {len(indexes)} indexes and {len(constraints)} constraints of issues_event")
    inserted = _execute(sql, params)
    say(f"inserted {inserted:,} events by SQL")
    if bulk:
        for _, definition in indexes:
            _execute(definition)
        for name, definition in constraints:
            _execute(f'ALTER TABLE issues_event ADD CONSTRAINT "{name}" {definition}')
        _execute("SET CONSTRAINTS ALL DEFERRED")
        say("made the indexes and constraints again")
    return inserted


READ_MODEL_SQL = (
    # The issue's counters (the newest event describes the issue: all of them are alike but
    # for their release).
    """
    UPDATE issues_issue AS issue
    SET times_seen = totals.n, user_count = totals.users, first_seen = totals.first,
        last_seen = date_trunc('second', totals.last),
        last_release_id = COALESCE(newest.release_id, issue.last_release_id)
    FROM (SELECT count(*) AS n, count(DISTINCT NULLIF(user_key, '')) AS users,
                 min(datetime) AS first, max(datetime) AS last
          FROM issues_event WHERE issue_id = %(issue)s) AS totals,
         (SELECT release_id FROM issues_event WHERE issue_id = %(issue)s
          ORDER BY datetime DESC, id DESC LIMIT 1) AS newest
    WHERE issue.id = %(issue)s
    """,
    "DELETE FROM issues_issueenvironment WHERE issue_id = %(issue)s",
    """
    INSERT INTO issues_issueenvironment (issue_id, environment_id, first_seen, last_seen,
                                         times_seen, user_count, first_release_id)
    SELECT %(issue)s, environment_id, min(datetime), date_trunc('second', max(datetime)),
           count(*), count(DISTINCT NULLIF(user_key, '')),
           (array_agg(release_id ORDER BY datetime, id))[1]
    FROM issues_event WHERE issue_id = %(issue)s GROUP BY environment_id
    """,
    "DELETE FROM issues_issueuser WHERE issue_id = %(issue)s",
    """
    INSERT INTO issues_issueuser (issue_id, environment_id, user_key)
    SELECT DISTINCT %(issue)s, environment_id, user_key FROM issues_event
    WHERE issue_id = %(issue)s AND user_key <> ''
    """,
    "DELETE FROM issues_issuehourlycount WHERE issue_id = %(issue)s",
    """
    INSERT INTO issues_issuehourlycount (issue_id, environment_id, hour, count)
    SELECT %(issue)s, environment_id,
           date_trunc('hour', datetime AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, count(*)
    FROM issues_event WHERE issue_id = %(issue)s GROUP BY environment_id, hour
    """,
    "DELETE FROM issues_issuedailycount WHERE issue_id = %(issue)s",
    """
    INSERT INTO issues_issuedailycount (issue_id, environment_id, day, count)
    SELECT %(issue)s, environment_id,
           date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, sum(count)
    FROM issues_issuehourlycount WHERE issue_id = %(issue)s GROUP BY environment_id, day
    """,
    "DELETE FROM issues_issuehourlytotal WHERE issue_id = %(issue)s",
    """
    INSERT INTO issues_issuehourlytotal (issue_id, hour, count)
    SELECT %(issue)s, hour, sum(count)
    FROM issues_issuehourlycount WHERE issue_id = %(issue)s GROUP BY hour
    """,
    "DELETE FROM issues_issuedailytotal WHERE issue_id = %(issue)s",
    """
    INSERT INTO issues_issuedailytotal (issue_id, day, count)
    SELECT %(issue)s, day, sum(count)
    FROM issues_issuedailycount WHERE issue_id = %(issue)s GROUP BY day
    """,
    "DELETE FROM issues_issuetagvalue WHERE issue_id = %(issue)s",
    "DELETE FROM issues_issuetagkey WHERE issue_id = %(issue)s",
    """
    WITH tag_values AS MATERIALIZED (
        SELECT event.environment_id, tag->>0 AS key, tag->>1 AS value, count(*) AS times_seen,
               date_trunc('second', min(event.datetime)) AS first_seen,
               date_trunc('second', max(event.datetime)) AS last_seen
        FROM issues_event AS event CROSS JOIN LATERAL jsonb_array_elements(event.tags) AS tag
        WHERE event.issue_id = %(issue)s
        GROUP BY event.environment_id, tag->>0, tag->>1
    ), inserted AS (
        INSERT INTO issues_issuetagvalue (issue_id, environment_id, key, value, times_seen,
                                          first_seen, last_seen)
        SELECT %(issue)s, environment_id, key, value, times_seen, first_seen, last_seen
        FROM tag_values
    )
    INSERT INTO issues_issuetagkey (issue_id, environment_id, key, times_seen)
    SELECT %(issue)s, environment_id, key, sum(times_seen) FROM tag_values
    GROUP BY environment_id, key
    """,
    # The releases' first and last event (second precision, as record_event keeps them).
    """
    UPDATE releases_release AS release
    SET first_event = LEAST(release.first_event, seen.first),
        last_event = GREATEST(release.last_event, seen.last)
    FROM (SELECT release_id, date_trunc('second', min(datetime)) AS first,
                 date_trunc('second', max(datetime)) AS last
          FROM issues_event WHERE issue_id = %(issue)s AND release_id IS NOT NULL
          GROUP BY release_id) AS seen
    WHERE release.id = seen.release_id
    """,
)


def rebuild_read_models(issue_id: int) -> None:
    """Compute an issue's counters and read models from its events, as record_event leaves
    them after recording those events in time order."""
    for sql in READ_MODEL_SQL:
        _execute(sql, {"issue": issue_id})


def make_users(organization, team, count: int) -> list[User]:
    """Members of the organization (on its team), with a primary email and no password."""
    users = User.objects.bulk_create(
        User(
            email=f"bench-user-{number}@example.invalid",
            username=f"bench-user-{number}@example.invalid",
            name=f"Bench User {number}",
            password=make_password(None),
        )
        for number in range(count)
    )
    UserEmail.objects.bulk_create(
        UserEmail(user=user, email=user.email, is_verified=True) for user in users
    )
    members = OrganizationMember.objects.bulk_create(
        OrganizationMember(organization=organization, user=user) for user in users
    )
    OrganizationMember.teams.through.objects.bulk_create(
        OrganizationMember.teams.through(organizationmember=member, team=team) for member in members
    )
    return users


def add_document(
    issue: Issue, users: list[User], *, activities: int, seen_by: int, participants: int
) -> None:
    """Notes by the users in turn, the first `seen_by` users as seen-by and the first
    `participants` users subscribed."""
    now = timezone.now()
    Activity.objects.bulk_create(
        Activity(
            project_id=issue.project_id,
            issue=issue,
            type=ActivityType.NOTE,
            user=users[number % len(users)],
            datetime=now - timedelta(minutes=activities - number),
            data={"text": f"Note {number}: looked into it, see the logs of web{number % 20:02d}."},
        )
        for number in range(activities)
    )
    IssueSeen.objects.bulk_create(
        IssueSeen(issue=issue, user=user, last_seen=now - timedelta(minutes=number))
        for number, user in enumerate(users[:seen_by])
    )
    Subscription.objects.bulk_create(
        Subscription(issue=issue, user=user, is_active=True, reason=SubscriptionReason.COMMENT)
        for user in users[:participants]
    )
    Issue.objects.filter(pk=issue.pk).update(num_comments=activities)


def reference_copy(project, fingerprint: str) -> Issue:
    """An issue of the reference issue's event (same time, release and payload), under its own
    fingerprint."""
    payload = python_sample_event(
        event_id=event_id(fingerprint, 0),
        timestamp="2020-03-22T15:24:00.564389Z",
        release=PUMP_STATION_VERSION,
    )
    payload["fingerprint"] = [fingerprint]
    return record_event(project=project, payload=payload).issue


def make_filler_issues(project, count: int) -> None:
    """Issues with 1 to 4 events each in the last day, in two environments."""
    now = timezone.now()
    levels = ("error", "warning", "info", "fatal")
    for number in range(count):
        for repeat in range(number % 4 + 1):
            record_event(
                project=project,
                payload={
                    "event_id": event_id(f"bench-filler-{number}", repeat),
                    "timestamp": (now - timedelta(minutes=37 * number + 5 * repeat)).isoformat(),
                    "platform": "python",
                    "level": levels[number % len(levels)],
                    "message": f"Filler issue {number}: something failed",
                    # One issue per number: grouping reads the number as a parameter.
                    "fingerprint": [f"filler-{number}"],
                    "culprit": f"app.views.filler_{number} in handle",
                    "environment": ("production", "staging")[repeat % 2],
                    "release": VOLUME_RELEASES[-1],
                    "user": {"id": str(number * 10 + repeat)},
                    "tags": {"server_name": f"web{repeat:02d}.example.org"},
                },
            )


def make_volume_pair(project, users: list[User], *, events: int) -> tuple[Issue, Issue]:
    """The issue of `events` events and the one-event issue, with the same document."""
    start = timezone.now().astimezone(UTC) - VOLUME_SPAN
    volume = record_event(
        project=project,
        payload=volume_payload(0, total=events, start=start, fingerprint=FINGERPRINTS["volume"]),
    ).issue
    if events > 1:
        bulk_insert_volume_events(
            volume, fingerprint=FINGERPRINTS["volume"], first=1, total=events, start=start
        )
        rebuild_read_models(volume.pk)
        say("computed the volume issue's counters and read models from its events")
    # The single event is the newest of its kind: the last release, now.
    single = record_event(
        project=project,
        payload=volume_payload(
            events - 1, total=events, start=start, fingerprint=FINGERPRINTS["single"]
        ),
    ).issue
    for issue in (volume, single):
        add_document(issue, users, **PAIR_DOCUMENT)
    return volume, single


def _issue(project, key: str) -> Issue:
    issue_id = IssueHash.objects.get(
        project=project, hash=fingerprint_hash(FINGERPRINTS[key], project=project)
    ).issue_id
    return Issue.objects.get(pk=issue_id)


def describe(token: str | None = None) -> BenchData:
    """The benchmark's data in a database built by build(), with a new token unless given."""
    user, reference = build_reference_world()
    project = reference.project
    if token is None:
        _, token = ApiToken.objects.create_token(user=user, scopes=SEED_TOKEN_SCOPES, name="bench")
    return BenchData(
        token=token,
        organization=project.organization.slug,
        project=project.slug,
        reference=reference.pk,
        reference_short_id=reference.qualified_short_id,
        document=_issue(project, "document").pk,
        volume=_issue(project, "volume").pk,
        single=_issue(project, "single").pk,
        write=_issue(project, "write").pk,
        volume_events=_issue(project, "volume").times_seen,
        filler_issues=Issue.objects.filter(
            project=project, metadata__title__startswith="Filler issue"
        ).count(),
        project_issues=Issue.objects.filter(project=project).count(),
    )


def vacuum_analyze() -> None:
    """Bring the planner's statistics and the visibility map up to date after the bulk load,
    as autovacuum would soon do (outside any transaction)."""
    for table in (
        "issues_event",
        "issues_issue",
        "issues_issueenvironment",
        "issues_issueuser",
        "issues_issuehourlycount",
        "issues_issuedailycount",
        "issues_issuehourlytotal",
        "issues_issuedailytotal",
        "issues_issuetagkey",
        "issues_issuetagvalue",
        "issues_activity",
        "issues_issueseen",
        "issues_subscription",
        "accounts_user",
        "accounts_useremail",
        "accounts_organizationmember",
    ):
        _execute(f"VACUUM ANALYZE {table}")


def build(
    *,
    events: int = EVENTS,
    filler: int = FILLER_ISSUES,
    vacuum: bool = True,
    token: str | None = None,
) -> BenchData:
    """Add the benchmark's data (see the module's docstring) to a migrated database; the
    token given (e.g. seed_example's) or a new one is returned with it."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The benchmark's data is built on PostgreSQL (DATABASE_URL).")
    if events < 1:
        raise ValueError("The volume issue needs at least one event.")
    global _STARTED
    started = _STARTED = time.perf_counter()
    # The bulk statements run longer than the service's statement budget.
    _execute("SET statement_timeout = 0")
    _execute("SET maintenance_work_mem = '256MB'")
    with transaction.atomic():
        user, reference = build_reference_world()
        project = reference.project
        team = project.teams.order_by("id").first()
        OrganizationMember.objects.get_or_create(
            organization=project.organization,
            user=user,
            defaults={"role": OrganizationMember.Role.OWNER},
        )
        users = make_users(project.organization, team, USERS)
        make_filler_issues(project, filler)
        say(f"{len(users)} users, {filler} filler issues")
        document = reference_copy(project, FINGERPRINTS["document"])
        add_document(document, users, **DOCUMENT)
        reference_copy(project, FINGERPRINTS["write"])
        say("the big document and the write target")
        make_volume_pair(project, users, events=events)
    say("committed")
    if vacuum:
        vacuum_analyze()
        say("VACUUM ANALYZE")
    data = describe(token)
    data.seconds = round(time.perf_counter() - started, 1)
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS, help="events of the volume issue")
    parser.add_argument("--filler", type=int, default=FILLER_ISSUES, help="filler issues")
    parser.add_argument(
        "--describe", action="store_true", help="only print the data of an earlier run"
    )
    args = parser.parse_args()
    data = describe() if args.describe else build(events=args.events, filler=args.filler)
    print(json.dumps(asdict(data), indent=2))


if __name__ == "__main__":
    main()

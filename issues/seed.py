"""The reference world of Sentry's API documentation (retrieve-issue.example.json).

Sentry's docs generator created it on 2020-03-22: john@interstellar.invalid owns "The
Interstellar Jurisdiction"; each of the projects "Pump Station" and "Prime Mover" gets a
release and two sample events (python, then java). Issue 1 is Pump Station's python event.
Everything goes through the normal models and record_event, so the document is computed, not
copied. Identities and times are those of the reference run; building is idempotent.
"""

import hashlib
import secrets
from datetime import UTC, datetime

from django.core.management.color import no_style
from django.db import connection, transaction

from accounts.models import (
    ApiToken,
    Organization,
    OrganizationMember,
    Project,
    Team,
    User,
    UserEmail,
    hash_token,
)
from accounts.scopes import EVENT_SCOPES
from issues.models import Activity, ActivityType, Event
from issues.services import record_event
from releases.models import Release, ReleaseProject

EMAIL = "john@interstellar.invalid"
ORGANIZATION_SLUG = "the-interstellar-jurisdiction"
PUMP_STATION_VERSION = "40ceb7ee278602b159a02802ccdbb1f21091fc7b"
PRIME_MOVER_VERSION = hashlib.sha1(b"prime-mover", usedforsecurity=False).hexdigest()
# The reference token reads issues and events, the organization and projects above them, and
# its members (whom an issue can be assigned to).
SEED_TOKEN_SCOPES = (*EVENT_SCOPES, "org:read", "project:read", "member:read")

# Sentry's project 1 is its internal project; the generator's first project got id 2.
PUMP_STATION_ID = 2
# Activities 1 to 3 were release activities of the generator's run; the set_private written
# by a later scenario was number 4.
SET_PRIVATE_ACTIVITY_ID = 4


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


USER_JOINED = _at("2020-03-22T15:24:00.346204")
USER_LAST_ACTIVE = _at("2020-03-22T15:24:00.346220")
RELEASE_CREATED = _at("2020-03-22T15:24:00.499157")
SET_PRIVATE_AT = _at("2020-03-22T15:24:17.878629")


def python_sample_event(*, event_id: str, timestamp: str, release: str) -> dict:
    """Sentry's python sample event (src/sentry/data/samples/python.json), abridged."""
    return {
        "event_id": event_id,
        "timestamp": timestamp,
        "platform": "python",
        "level": "error",
        "logger": "",
        "message": "This is an example python exception",
        "culprit": "raven.scripts.runner in main",
        "environment": "prod",
        "release": release,
        "server_name": "web01.example.org",
        "tags": [["server_name", "web01.example.org"]],
        "user": {
            "id": "1",
            "username": "getsentry",
            "email": "foo@example.com",
            "ip_address": "127.0.0.1",
        },
        "request": {
            "url": "http://example.com/foo",
            "method": "GET",
            "query_string": "foo=bar",
            "data": {"hello": "world"},
            "headers": [
                ["Content-Type", "application/json"],
                ["Referer", "http://example.com"],
                [
                    "User-Agent",
                    "Mozilla/5.0 (Windows NT 6.2; WOW64) AppleWebKit/537.36 "
                    "(KHTML, like Gecko) Chrome/28.0.1500.72 Safari/537.36",
                ],
            ],
            "env": {"ENV": "prod"},
        },
        "contexts": {
            "browser": {"name": "Chrome", "version": "28.0.1500", "type": "browser"},
            "client_os": {"name": "Windows", "version": "8", "type": "os"},
        },
        "breadcrumbs": {
            "values": [
                {
                    "timestamp": "2020-03-22T15:23:59.000000",
                    "category": "http",
                    "type": "http",
                    "data": {"method": "GET", "url": "http://example.com/foo", "status_code": 200},
                },
                {
                    "timestamp": "2020-03-22T15:23:59.500000",
                    "category": "query",
                    "message": "SELECT * FROM foo",
                },
            ]
        },
        "extra": {
            "emptyList": [],
            "emptyMap": {},
            "length": 10837790,
            "results": [1, 2, 3, 4, 5],
            "session": {"foo": "bar"},
            "unauthorized": False,
            "url": "http://example.org/foo/bar/",
        },
        "sdk": {"name": "raven-python", "version": "6.0.0"},
    }


def java_sample_event(*, event_id: str, timestamp: str, release: str) -> dict:
    """Sentry's java sample event, abridged."""
    return {
        "event_id": event_id,
        "timestamp": timestamp,
        "platform": "java",
        "level": "error",
        "logger": "",
        "message": "This is an example Java exception",
        "culprit": "com.example.application.Main in main",
        "environment": "prod",
        "release": release,
        "server_name": "web01.example.org",
        "user": {"id": "1", "username": "getsentry", "email": "foo@example.com"},
        "contexts": {"runtime": {"name": "Java", "version": "1.8.0"}},
        "sdk": {"name": "sentry-java", "version": "1.7.30"},
    }


def _reset_sequences(*models) -> None:
    """Rows created with explicit ids leave PostgreSQL's sequences behind; catch them up."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _create_with_id(model, preferred_id: int, **fields):
    if not model.objects.filter(pk=preferred_id).exists():
        fields["id"] = preferred_id
    obj = model.objects.create(**fields)
    _reset_sequences(model)
    return obj


def _project(organization, team, *, name, slug, preferred_id=None):
    project = Project.objects.filter(organization=organization, slug=slug).first()
    if project is None:
        fields = {"organization": organization, "name": name, "slug": slug}
        if preferred_id is None:
            project = Project.objects.create(**fields)
        else:
            project = _create_with_id(Project, preferred_id, **fields)
    project.teams.add(team)
    return project


def _release(organization, project, user, version):
    release, created = Release.objects.get_or_create(
        organization=organization, version=version, defaults={"date_added": RELEASE_CREATED}
    )
    ReleaseProject.objects.get_or_create(release=release, project=project)
    if created:
        Activity.objects.create(
            project=project,
            issue=None,
            type=ActivityType.RELEASE,
            ident=version,
            user=user,
            datetime=RELEASE_CREATED,
            data={"version": version},
        )
    return release


@transaction.atomic
def build_reference_world():
    """Build (or find) the reference world; return (user, issue 1 of Pump Station)."""
    user = User.objects.filter(email=EMAIL).first()
    if user is None:
        # The generator's user logs in with a password; ours is random and never shown.
        user = User.objects.create_user(
            EMAIL,
            password=secrets.token_urlsafe(32),
            username=EMAIL,
            name=EMAIL,
            date_joined=USER_JOINED,
            last_active=USER_LAST_ACTIVE,
        )
    elif user.is_staff or user.is_superuser:
        # Earlier versions of `make run` made this user the admin login, which shows in the
        # API (isStaff, isSuperuser): the reference user is neither (ensure_admin has its own).
        user.is_staff = user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser"])
    UserEmail.objects.get_or_create(user=user, email=EMAIL)

    organization, _ = Organization.objects.get_or_create(
        slug=ORGANIZATION_SLUG, defaults={"name": "The Interstellar Jurisdiction"}
    )
    team, _ = Team.objects.get_or_create(
        organization=organization,
        slug="powerful-abolitionist",
        defaults={"name": "Powerful Abolitionist"},
    )
    member, _ = OrganizationMember.objects.get_or_create(
        organization=organization, user=user, defaults={"role": OrganizationMember.Role.OWNER}
    )
    member.teams.add(team)

    pump_station = _project(
        organization, team, name="Pump Station", slug="pump-station", preferred_id=PUMP_STATION_ID
    )
    prime_mover = _project(organization, team, name="Prime Mover", slug="prime-mover")
    _release(organization, pump_station, user, PUMP_STATION_VERSION)
    _release(organization, prime_mover, user, PRIME_MOVER_VERSION)

    samples = [
        (pump_station, python_sample_event, "2020-03-22T15:24:00.564389Z", PUMP_STATION_VERSION),
        (pump_station, java_sample_event, "2020-03-22T15:24:03.128211Z", PUMP_STATION_VERSION),
        (prime_mover, python_sample_event, "2020-03-22T15:24:04.331952Z", PRIME_MOVER_VERSION),
        (prime_mover, java_sample_event, "2020-03-22T15:24:06.870410Z", PRIME_MOVER_VERSION),
    ]
    events = []
    for number, (project, sample, timestamp, version) in enumerate(samples, start=1):
        event_id = hashlib.md5(f"reference-{number}".encode(), usedforsecurity=False).hexdigest()
        payload = sample(event_id=event_id, timestamp=timestamp, release=version)
        events.append(record_event(project=project, payload=payload))
    issue = Event.objects.select_related("issue").get(pk=events[0].pk).issue

    if not Activity.objects.filter(issue=issue, type=ActivityType.SET_PRIVATE).exists():
        _create_with_id(
            Activity,
            SET_PRIVATE_ACTIVITY_ID,
            project=pump_station,
            issue=issue,
            type=ActivityType.SET_PRIVATE,
            user=user,
            datetime=SET_PRIVATE_AT,
            data={},
        )
    return user, issue


def token_for(user, token: str | None = None) -> str:
    """A token holding SEED_TOKEN_SCOPES: the given one (created if new), or a new one."""
    if token:
        existing = ApiToken.objects.filter(token_digest=hash_token(token)).first()
        if existing is not None:
            if existing.user_id != user.pk:
                raise ValueError("That token belongs to another user.")
            existing.scopes = sorted(set(existing.scopes) | set(SEED_TOKEN_SCOPES))
            existing.save(update_fields=["scopes"])
            return token
    _, plaintext = ApiToken.objects.create_token(
        user=user, scopes=SEED_TOKEN_SCOPES, name="seed_example", token=token
    )
    return plaintext

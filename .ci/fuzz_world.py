"""Data for .ci/fuzz, on a database that seed_example has filled: more issues, an assignable
colleague, a repository with a commit, notes, and libFuzzer dictionaries (one quoted value a line)
that .ci/schemathesis.toml binds to the parameters, so that most generated requests reach
existing issues instead of answering 404.

Usage: python .ci/fuzz_world.py OUTPUT_DIR   (from the repository root, DATABASE_URL set)
"""

import hashlib
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issues_api.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402

from accounts.models import (  # noqa: E402
    ApiToken,
    Organization,
    OrganizationMember,
    Project,
    Team,
    User,
    UserEmail,
)
from issues.models import Event  # noqa: E402
from issues.seed import PRIME_MOVER_VERSION, PUMP_STATION_VERSION, build_reference_world  # noqa: E402
from issues.services import record_event  # noqa: E402
from issues.services.notes import note_create  # noqa: E402
from releases.models import Commit, Release, Repository  # noqa: E402
from releases.services import release_record_deploy  # noqa: E402

# Issues GET and PUT draw from (PUT may discard a few), and issues only DELETE draws from.
LIVE_ISSUES = 40
DELETABLE_ISSUES = 120
NOTES = 60
# Issues of an organization of their own, which only the lists' bulk PUT and DELETE reach.
BULK_ISSUES = 30
BULK_SLUG = "bulk-fuzz"
COMMIT = "5f3c0ffee5f3c0ffee5f3c0ffee5f3c0ffee5f3c0"
REPOSITORY = "interstellar/pump-station"


def label(number: int) -> str:
    """The number in letters: grouping parameterizes the numbers of a message, so messages
    that differ only by one fall into one issue."""
    return "".join(chr(ord("a") + int(digit)) for digit in str(number))


def make_issues(project, prefix: str, count: int) -> list[int]:
    now = timezone.now()
    ids = []
    for number in range(count):
        event = record_event(
            project=project,
            payload={
                "event_id": hashlib.md5(
                    f"{prefix}-{number}".encode(), usedforsecurity=False
                ).hexdigest(),
                "timestamp": (now - timedelta(minutes=number)).isoformat(),
                "platform": "python",
                "level": ("error", "warning", "info", "fatal")[number % 4],
                "message": f"{prefix} issue {label(number)}",
                "culprit": f"app.{prefix} in handler{number}",
                "environment": ("prod", "staging")[number % 2],
                "release": PUMP_STATION_VERSION,
                "user": {"id": str(number % 7)},
                "tags": {"server_name": f"web{number % 3:02d}"},
            },
        )
        ids.append(event.issue_id)
    return ids


def make_bulk_world(user) -> tuple[Organization, Project, list[int]]:
    """A second organization of the token's user, with a project, a team and issues. A bulk
    change without ids reaches up to 1000 issues (and may discard them): the bulk routes work
    here, so that the other operations keep the reference organization's issues."""
    organization, _ = Organization.objects.get_or_create(
        slug=BULK_SLUG, defaults={"name": "Bulk Fuzz"}
    )
    team, _ = Team.objects.get_or_create(
        organization=organization, slug=BULK_SLUG, defaults={"name": "Bulk Fuzz"}
    )
    project = Project.objects.filter(organization=organization, slug=BULK_SLUG).first()
    if project is None:
        project = Project.objects.create(
            organization=organization, name="Bulk Fuzz", slug=BULK_SLUG, platform="python"
        )
    project.teams.add(team)
    member, _ = OrganizationMember.objects.get_or_create(
        organization=organization, user=user, defaults={"role": OrganizationMember.Role.OWNER}
    )
    member.teams.add(team)
    return organization, project, make_issues(project, "bulk", BULK_ISSUES)


def write_dictionary(path: Path, values) -> None:
    path.write_text("".join(f'"{value}"\n' for value in values))


def main(output: Path) -> None:
    user, first_issue = build_reference_world()
    project = first_issue.project
    organization = project.organization
    team = project.teams.first()

    colleague = User.objects.filter(email="jane@interstellar.invalid").first()
    if colleague is None:
        colleague = User.objects.create_user(
            "jane@interstellar.invalid", username="jane", name="Jane", password=None
        )
        UserEmail.objects.create(user=colleague, email=colleague.email, is_verified=True)
        member = OrganizationMember.objects.create(
            organization=organization, user=colleague, role=OrganizationMember.Role.MEMBER
        )
        member.teams.add(team)
    outsider = User.objects.filter(email="stranger@elsewhere.invalid").first()
    if outsider is None:
        outsider = User.objects.create_user(
            "stranger@elsewhere.invalid", username="stranger", password=None
        )
    repository, _ = Repository.objects.get_or_create(organization=organization, name=REPOSITORY)
    Commit.objects.get_or_create(organization=organization, repository=repository, key=COMMIT)

    live = list(project.issues.order_by("pk").values_list("pk", flat=True))
    live += make_issues(project, "live", LIVE_ISSUES)
    deletable = make_issues(project, "deletable", DELETABLE_ISSUES)
    short_ids = [f"{project.slug.upper()}-{number}" for number in (1, 2, 3)]
    # Notes of the token's user on an issue of their own, which only the notes' PUT and
    # DELETE draw (.ci/schemathesis.toml), so that they find the note they name (and no PUT
    # of the issue discards it).
    (noted,) = make_issues(project, "noted", 1)
    notes = [
        note_create(issue_id=noted, actor=user, text=f"fuzz note {number}").pk
        for number in range(NOTES)
    ]

    output.mkdir(parents=True, exist_ok=True)
    write_dictionary(output / "live-issues.dict", [*live, *short_ids])
    write_dictionary(output / "deletable-issues.dict", deletable)
    write_dictionary(output / "organizations.dict", [organization.slug, organization.pk])
    write_dictionary(
        output / "actors.dict",
        [
            user.pk,
            f"user:{colleague.pk}",
            f"team:{team.pk}",
            colleague.username,
            user.email,
            "",
            f"user:{outsider.pk}",
        ],
    )
    write_dictionary(
        output / "releases.dict", [PUMP_STATION_VERSION, "latest", PRIME_MOVER_VERSION]
    )
    write_dictionary(
        output / "projects.dict",
        [value for other in organization.projects.all() for value in (other.slug, other.pk)],
    )
    write_dictionary(output / "teams.dict", [team.slug, team.pk])
    write_dictionary(output / "users.dict", ["me", user.pk, colleague.pk])
    write_dictionary(output / "commits.dict", [COMMIT])
    write_dictionary(output / "repositories.dict", [REPOSITORY])
    # The release routes: the token writes releases as a CI token does (project:releases),
    # the seeded releases have a deploy, and the project they are of is named.
    for token in ApiToken.objects.filter(user=user):
        token.scopes = sorted({*token.scopes, "project:releases"})
        token.save(update_fields=["scopes"])
    for version in (PUMP_STATION_VERSION, PRIME_MOVER_VERSION):
        release = Release.objects.filter(organization=organization, version=version).first()
        if release is not None and not release.deploy_count:
            release_record_deploy(release=release, environment_name="prod")
    write_dictionary(output / "versions.dict", [PUMP_STATION_VERSION, PRIME_MOVER_VERSION])
    write_dictionary(output / "noted-issue.dict", [noted])
    write_dictionary(output / "notes.dict", notes)
    write_dictionary(
        output / "tag-keys.dict", ["server_name", "environment", "level", "release", "user"]
    )
    bulk_organization, bulk_project, bulk_issues = make_bulk_world(user)
    print(f"fuzz world: {len(bulk_issues)} issues for the bulk routes in {BULK_SLUG}")
    # An issue's events: Sentry's aliases, which any issue with events answers, and the
    # event ids of the live issues (answered with their issue, 404 with another).
    event_ids = Event.objects.filter(issue_id__in=live).values_list("event_id", flat=True)
    write_dictionary(output / "events.dict", ["latest", "oldest", "recommended", *event_ids])
    write_dictionary(output / "bulk-organizations.dict", [BULK_SLUG, bulk_organization.pk])
    write_dictionary(output / "bulk-projects.dict", [BULK_SLUG, bulk_project.pk])
    print(f"fuzz world: {len(live)} live issues, {len(deletable)} deletable, in {output}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))

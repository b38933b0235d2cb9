"""A small world with a row of every model, built through the services like real data."""

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, Organization, Project, RateLimitCounter, Team, User
from issues.changes import Assignment, IssueChanges
from issues.models import Environment, Event, IngestFailure, Issue, UserReport
from issues.services import events_accept, issue_discard, issue_update
from issues.status import Ignore, Resolve
from releases.models import Release, Repository
from releases.services import release_record_deploy, release_set_commits
from tests.factories import (
    ApiTokenFactory,
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    TeamFactory,
    make_issue,
)


@dataclass
class World:
    organization: Organization
    team: Team
    project: Project
    user: User
    token: ApiToken
    release: Release
    resolved: Issue
    ignored: Issue
    discarded: Issue


def build_world(number: int) -> World:
    """One organization with a project, a member (counted by the rate limit), a token, a
    release with a commit and a deploy, a resolved issue (in the release, assigned,
    bookmarked, seen, public, with user feedback), an ignored issue (snoozed, assigned to
    the team), a discarded one, and an event an SDK sent, queued for the digest."""
    organization = OrganizationFactory(slug=f"world-{number}")
    team = TeamFactory(organization=organization, slug=f"team-{number}")
    project = ProjectFactory(organization=organization, teams=[team], slug=f"station-{number}")
    user = MemberFactory(organization=organization, teams=[team]).user
    token = ApiTokenFactory(user=user, name=f"token {number}")
    RateLimitCounter.objects.create(
        key=f"issues-api:rate:user:{user.pk}:1:{number}", window_end=number + 1, count=1
    )
    version = f"1.{number}.0"
    resolved = make_issue(
        project,
        message=f"Resolved problem {number}",
        release=version,
        tags={"browser": "Chrome"},
    )
    release = Release.objects.get(organization=organization, version=version)
    repository = Repository.objects.create(organization=organization, name=f"repo-{number}")
    release_set_commits(
        release=release,
        repository=repository,
        commits=[
            {
                "key": f"{number:040x}",
                "message": "Fix it",
                "author_name": "Jane",
                "author_email": user.email,
            }
        ],
    )
    release_record_deploy(release=release, environment_name="production")
    issue_update(
        issue_id=resolved.pk,
        actor=user,
        changes=IssueChanges(
            status=Resolve(in_release=release),
            assignment=Assignment(user),
            is_bookmarked=True,
            has_seen=True,
            is_public=True,
        ),
    )
    event = Event.objects.filter(issue=resolved).first()
    UserReport.objects.create(
        project=project,
        issue=resolved,
        environment=Environment.objects.get(organization=organization, name="production"),
        event_id=event.event_id,
        name="Reporter",
        email=f"reporter{number}@example.com",
        comments="It broke.",
    )
    ignored = make_issue(project, message=f"Ignored problem {number}")
    issue_update(
        issue_id=ignored.pk,
        actor=user,
        changes=IssueChanges(
            status=Ignore(duration=60, count=10),
            assignment=Assignment(team),
        ),
    )
    discarded = make_issue(project, message=f"Discarded problem {number}")
    issue_discard(issue_id=discarded.pk, actor=user)
    # What the digest sets aside (tests/issues/test_digest_batch.py makes them through it; a
    # digest here would take the queued events of the worlds built before).
    IngestFailure.objects.create(
        project=project,
        event_id=f"{number:031x}f",
        payload='{"tags": 5}',
        error="ValueError: Invalid event payload",
        received=timezone.now(),
        failed_at=timezone.now(),
    )
    queued_id = f"{number:032x}"
    events_accept(
        project_id=project.pk,
        events=[(queued_id, {"event_id": queued_id, "message": f"Queued problem {number}"})],
        received=timezone.now(),
    )
    return World(organization, team, project, user, token, release, resolved, ignored, discarded)


def registered_models():
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label in APPS),
        key=lambda model: model._meta.label,
    )


APPS = ("accounts", "releases", "issues")
MODELS = registered_models()
MODEL_IDS = [model._meta.label for model in MODELS]


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def results(response) -> list:
    """The rows of a changelist response."""
    assert response.status_code == 200, response.content[:2000]
    return list(response.context["cl"].result_list)


@pytest.fixture
def world(db):
    return build_world(0)


@pytest.fixture(scope="module")
def worlds(module_db):
    """Two worlds, so that each filter has more than one choice to offer; built once for a
    module whose tests all start from them (module_db)."""
    with module_db():
        return [build_world(1), build_world(2)]

"""factory-boy factories. Issues and events are made through record_event, like real ones."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import (
    ApiToken,
    Organization,
    OrganizationMember,
    Project,
    ProjectKey,
    Team,
    User,
    UserEmail,
)
from accounts.scopes import EVENT_SCOPES
from accounts.services import new_key_value
from issues.models import Activity, ActivityType
from issues.services import record_event
from releases.models import Release, ReleaseProject


def add_teams(obj, create, extracted, **kwargs):
    """teams=[...] of a project or a membership: added once the row exists."""
    if create and extracted:
        obj.teams.add(*extracted)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.SelfAttribute("email")
    name = factory.Faker("name")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def primary_email(self, create, extracted, **kwargs):
        if create:
            UserEmail.objects.create(user=self, email=self.email, is_verified=True)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    teams = factory.PostGeneration(add_teams)


class ProjectKeyFactory(factory.django.DjangoModelFactory):
    """Another client key of a project; every project already has its default one (the
    post_save receiver of accounts.apps), which ProjectFactory does not need to make."""

    class Meta:
        model = ProjectKey

    project = factory.SubFactory(ProjectFactory)
    label = factory.Sequence(lambda n: f"Key {n}")
    public_key = factory.LazyFunction(new_key_value)
    secret_key = factory.LazyFunction(new_key_value)

    class Params:
        inactive = factory.Trait(is_active=False)
        rate_limited = factory.Trait(rate_limit_count=1000, rate_limit_window=7200)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationMember
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = OrganizationMember.Role.MEMBER
    teams = factory.PostGeneration(add_teams)


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    organization = factory.SubFactory(OrganizationFactory)
    version = factory.Sequence(lambda n: f"1.0.{n}")


class ReleaseProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReleaseProject

    release = factory.SubFactory(ReleaseFactory)
    project = factory.SubFactory(ProjectFactory)


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token; the plaintext is on `.plaintext`, as only the creator ever sees it."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    scopes = list(EVENT_SCOPES)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        token, plaintext = model_class.objects.create_token(**kwargs)
        token.plaintext = plaintext
        return token


class EventPayloadFactory(factory.DictFactory):
    """A Sentry event payload; events with the same message group into one issue."""

    event_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    timestamp = factory.LazyFunction(lambda: (timezone.now() - timedelta(minutes=5)).isoformat())
    platform = "python"
    level = "error"
    message = "Something broke"
    culprit = "app.views in index"
    environment = "production"
    user = factory.Sequence(lambda n: {"id": str(n)})
    tags = factory.LazyFunction(lambda: {"server_name": "web01"})


def make_event(project, **payload):
    """Record an event built from EventPayloadFactory(**payload); return the Event."""
    return record_event(project=project, payload=EventPayloadFactory(**payload))


def make_issue(project, **payload):
    """An issue with one event (see make_event); return the Issue."""
    return make_event(project, **payload).issue


def make_organization(**fields):
    """An organization as a test of another one needs it: a team, a project of that team and a
    member on it, none of them the `user` fixture's."""
    organization = OrganizationFactory(**fields)
    team = TeamFactory(organization=organization)
    ProjectFactory(organization=organization, teams=[team])
    MemberFactory(organization=organization, teams=[team])
    return organization


def make_notes(issue, count: int):
    """`count` notes on the issue, written at once, by up to 20 new users in turn."""
    users = UserFactory.create_batch(min(count, 20))
    Activity.objects.bulk_create(
        Activity(
            project_id=issue.project_id,
            issue=issue,
            type=ActivityType.NOTE,
            user=users[number % len(users)],
            data={"text": str(number)},
        )
        for number in range(count)
    )

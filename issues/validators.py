"""Input of PUT: Sentry's GroupValidator, with its field names and error messages (docs/behaviour.md
§3.2-3.7).

validated_data is an IssueChanges (issues/changes.py): the body in domain terms, holding model
objects (releases, commits, users, teams), so the update service only applies what was checked
here. The wire strings ("resolvedInNextRelease", "muted", the top-level ignore forms) stop here.
"""

import copy

from rest_framework import serializers

from accounts.models import Team, User
from accounts.selectors import project_member_user_ids
from issues.changes import Assignment, IssueChanges
from issues.models import IssuePriority
from issues.status import Ignore, Resolve, StatusChange, Unresolve
from issues_api.api.numbers import MAX_BIGINT, as_bigint, is_ascii_number
from releases.models import Commit, Repository
from releases.selectors import latest_release, project_release_by_version, release_to_resolve_by

MAX_COUNT = 2**31 - 1
# A week, as Sentry caps the windows.
MAX_WINDOW = 10080
# A century in minutes: any longer "until" would not fit a datetime.
MAX_DURATION = 100 * 366 * 24 * 60

NO_RELEASE_FOR_NEXT = "No release data present in the system to form a basis for 'Next Release'"

# Sentry's priority names, as PUT takes them.
PRIORITIES = {priority.label: priority for priority in IssuePriority}
STATUSES = ("resolved", "unresolved", "ignored", "resolvedInNextRelease", "muted")


class SentryBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": '"{input}" is not a valid boolean.'}


def count_field(**kwargs):
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_COUNT, **kwargs
    )


def window_field(**kwargs):
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_WINDOW, **kwargs
    )


def duration_field(**kwargs):
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_DURATION, **kwargs
    )


class InCommitValidator(serializers.Serializer):
    commit = serializers.CharField(max_length=64)
    repository = serializers.CharField(max_length=200)

    def validate_repository(self, value):
        project = self.context["project"]
        repository = Repository.objects.filter(
            organization_id=project.organization_id, name=value
        ).first()
        if repository is None:
            raise serializers.ValidationError("Unable to find the given repository.")
        return repository

    def validate(self, attrs):
        commit = Commit.objects.filter(repository=attrs["repository"], key=attrs["commit"]).first()
        if commit is None:
            raise serializers.ValidationError({"commit": ["Unable to find the given commit."]})
        return commit


class StatusDetailsValidator(serializers.Serializer):
    inNextRelease = SentryBooleanField(required=False, source="in_next_release")
    inRelease = serializers.CharField(required=False, max_length=250, source="in_release")
    inCommit = InCommitValidator(required=False, source="in_commit")
    ignoreDuration = duration_field(source="ignore_duration")
    ignoreCount = count_field(source="ignore_count")
    ignoreWindow = window_field(source="ignore_window")
    ignoreUserCount = count_field(source="ignore_user_count")
    ignoreUserWindow = window_field(source="ignore_user_window")

    def validate_inNextRelease(self, value):
        if value and release_to_resolve_by(self.context["project"]) is None:
            raise serializers.ValidationError(NO_RELEASE_FOR_NEXT)
        return value

    def validate_inRelease(self, value):
        project = self.context["project"]
        if value == "latest":
            release = latest_release(project)
            if release is None:
                raise serializers.ValidationError(NO_RELEASE_FOR_NEXT)
            return release
        release = project_release_by_version(project, value)
        if release is None:
            raise serializers.ValidationError("Unable to find a release with the given version.")
        return release


class ActorField(serializers.Field):
    """Sentry's actor identifiers: 12, "12", "user:12", "team:3", a username or an email;
    "", null, 0 (or false) take the assignment away: None."""

    default_error_messages = {"unknown": "Unknown actor input"}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data in ("", 0) or data is False:
            return None
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("unknown")
        if isinstance(data, int):
            return self._user(data)
        text = data.strip()
        kind, separator, ident = text.partition(":")
        if separator and kind in ("user", "team"):
            if not is_ascii_number(ident):
                self.fail("unknown")
            number = as_bigint(ident) or 0  # past bigint: names nobody
            return self._user(number) if kind == "user" else self._team(number)
        if is_ascii_number(text):
            return self._user(as_bigint(text) or 0)
        user = (
            User.objects.filter(username__iexact=text).first()
            or User.objects.filter(email__iexact=text).first()
            or User.objects.filter(emails__email__iexact=text, emails__is_verified=True).first()
        )
        if user is None:
            self.fail("unknown")
        return user

    def _user(self, user_id: int):
        # An id that names nobody is reported like a user outside the project's teams.
        user = User.objects.filter(pk=user_id).first() if 0 < user_id <= MAX_BIGINT else None
        return user if user is not None else MissingActor(User)

    def _team(self, team_id: int):
        team = Team.objects.filter(pk=team_id).first() if 0 < team_id <= MAX_BIGINT else None
        return team if team is not None else MissingActor(Team)


class MissingActor:
    def __init__(self, model):
        self.model = model


class IssueUpdateValidator(serializers.Serializer):
    """The PUT body. Every field is optional; unknown keys are ignored."""

    status = serializers.ChoiceField(choices=STATUSES, required=False)
    statusDetails = StatusDetailsValidator(required=False, source="status_details")
    ignoreDuration = duration_field(source="ignore_duration")
    ignoreCount = count_field(source="ignore_count")
    ignoreWindow = window_field(source="ignore_window")
    ignoreUserCount = count_field(source="ignore_user_count")
    ignoreUserWindow = window_field(source="ignore_user_window")
    snoozeDuration = duration_field(source="snooze_duration")
    assignedTo = ActorField(required=False, source="assigned_to")
    hasSeen = SentryBooleanField(required=False, source="has_seen")
    isBookmarked = SentryBooleanField(required=False, source="is_bookmarked")
    isSubscribed = SentryBooleanField(required=False, source="is_subscribed")
    isPublic = SentryBooleanField(required=False, source="is_public")
    merge = SentryBooleanField(required=False)
    discard = SentryBooleanField(required=False)
    # Sentry's ChoiceField of PriorityLevel's names: anything else (null, "", "urgent") is a
    # 400 with DRF's messages.
    priority = serializers.ChoiceField(choices=list(IssuePriority.labels), required=False)

    def get_fields(self):
        """Only the fields a JSON object names. No field has a default, so an absent key is
        skipped by its field anyway, while copying all fifteen (the nested ones too) for
        each request cost more than validating a body. Anything else (no data, a form, not
        an object) gets every field, as DRF does."""
        data = getattr(self, "initial_data", None)
        if type(data) is not dict:
            return super().get_fields()
        return {
            name: copy.deepcopy(field)
            for name, field in self._declared_fields.items()
            if name in data
        }

    def validate_assignedTo(self, value):
        project = self.context["project"]
        if value is None:
            return value
        if isinstance(value, MissingActor):
            if value.model is Team:
                raise serializers.ValidationError(
                    "Cannot assign to a team without access to the project"
                )
            raise serializers.ValidationError("Cannot assign to non-team member")
        if isinstance(value, Team):
            if not project.teams.filter(pk=value.pk).exists():
                raise serializers.ValidationError(
                    "Cannot assign to a team without access to the project"
                )
            return value
        if value.pk not in project_member_user_ids(project, user_ids=[value.pk]):
            raise serializers.ValidationError("Cannot assign to non-team member")
        return value

    def validate_discard(self, value):
        if value and "event:admin" not in self.context["scopes"]:
            raise serializers.ValidationError("You do not have permission to discard events")
        return value

    def validate(self, attrs) -> IssueChanges:
        # Sentry checks the key, not its value: {"discard": false, ...} is refused too.
        if "discard" in attrs and len(attrs) > 1:
            raise serializers.ValidationError("Other attributes cannot be updated when discarding")
        # The fields as validated, by their sources: a bulk PUT answers them (Sentry's
        # update_groups echoes its validated data), in domain terms below.
        self.given = dict(attrs)
        return IssueChanges(
            priority=PRIORITIES[attrs["priority"]] if "priority" in attrs else None,
            status=_status_change(attrs),
            assignment=Assignment(attrs["assigned_to"]) if "assigned_to" in attrs else None,
            has_seen=attrs.get("has_seen"),
            is_bookmarked=attrs.get("is_bookmarked"),
            is_subscribed=attrs.get("is_subscribed"),
            is_public=attrs.get("is_public"),
            discard=attrs.get("discard", False),
        )


TOP_LEVEL_IGNORE = (
    "ignore_duration",
    "ignore_count",
    "ignore_window",
    "ignore_user_count",
    "ignore_user_window",
)


def _status_change(attrs) -> StatusChange | None:
    """The status asked for, in domain terms: "resolvedInNextRelease" is a resolve in the next
    release, "muted" the old name of "ignored"."""
    status = attrs.get("status")
    if status is None:
        return None
    if status == "unresolved":
        return Unresolve()
    details = attrs.get("status_details")
    if status in ("resolved", "resolvedInNextRelease"):
        details = details or {}
        return Resolve(
            in_next_release=status == "resolvedInNextRelease"
            or bool(details.get("in_next_release")),
            in_release=details.get("in_release"),
            in_commit=details.get("in_commit"),
        )
    if details is None:
        # Without statusDetails the top-level ignore forms count (Sentry:
        # statusDetails = result.pop("statusDetails", result)); snoozeDuration is the old
        # name of ignoreDuration.
        details = {key: attrs[key] for key in TOP_LEVEL_IGNORE if key in attrs}
        if "ignore_duration" not in details and attrs.get("snooze_duration") is not None:
            details["ignore_duration"] = attrs["snooze_duration"]
    return Ignore(
        duration=details.get("ignore_duration"),
        count=details.get("ignore_count"),
        window=details.get("ignore_window"),
        user_count=details.get("ignore_user_count"),
        user_window=details.get("ignore_user_window"),
    )

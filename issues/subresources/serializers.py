"""The shapes of an issue's tags, notes and hashes (Sentry's TagKeySerializer,
TagValueSerializer, ActivitySerializer and the hashes endpoint's items), and the note body's
validator (Sentry's NoteSerializer). camelCase only here."""

from rest_framework import serializers

from accounts.models import Team
from accounts.selectors import project_member_user_ids
from issues.events.documents import serialize_event_summary
from issues.serializers import ACTIVITY_TYPES, DocumentUsers, standardized_tag_key, tag_label
from issues.subresources.selectors import TagKeyRow, TagValueRow
from issues.validators import ActorField, MissingActor
from issues_api.api.dates import format_datetime

# The user tag's value names what identified the user: "id:12", "email:a@b.c"...
USER_TAG_PREFIXES = ("id", "email", "username", "ip")
# Mentions a note may name (each is looked up): a bound, so that a body cannot ask for more.
MAX_MENTIONS = 100


def tag_value_label(key: str, value: str) -> str:
    """Sentry's get_tag_value_label: a user tag's value without what identified the user."""
    if key == "sentry:user" and value:
        kind, separator, rest = value.partition(":")
        if separator and kind in USER_TAG_PREFIXES:
            return rest
    return value


def serialize_tag_value(row: TagValueRow) -> dict:
    key = standardized_tag_key(row.key)
    data = {
        "key": key,
        "name": tag_value_label(row.key, row.value),
        "value": row.value,
        "count": row.times_seen,
        "lastSeen": format_datetime(row.last_seen),
        "firstSeen": format_datetime(row.first_seen),
    }
    # Sentry's convert_user_tag_to_query: the search that finds the user's events.
    if key == "user":
        kind, separator, rest = row.value.partition(":")
        if separator and kind in USER_TAG_PREFIXES:
            quoted = rest.replace('"', '\\"')
            data["query"] = f'user.{kind}:"{quoted}"'
    return data


def serialize_tag_key(row: TagKeyRow) -> dict:
    return {
        "key": standardized_tag_key(row.key),
        "name": tag_label(row.key),
        "uniqueValues": row.unique_values,
        "totalValues": row.total,
        "topValues": [serialize_tag_value(value) for value in row.top_values or ()],
    }


def serialize_activity(row, users: DocumentUsers) -> dict:
    """One activity row as the issue document's activity shows it (mentions left out)."""
    return {
        "id": str(row.pk),
        "user": users(row.user) if row.user_id else None,
        "type": ACTIVITY_TYPES.get(row.type, str(row.type)),
        "data": {key: value for key, value in row.data.items() if key != "mentions"},
        "dateCreated": format_datetime(row.datetime),
    }


def serialize_hash(value: str, latest_event) -> dict:
    return {
        "id": value,
        "latestEvent": serialize_event_summary(latest_event) if latest_event else None,
    }


class MentionField(ActorField):
    """A mention: a user or a team, named as assignedTo names them (12, "user:12",
    "team:3", a username or an email)."""

    def to_internal_value(self, data):
        actor = super().to_internal_value(data)
        if actor is None:
            self.fail("unknown")
        return actor


class MentionsField(serializers.ListField):
    """A list of mentions, refused when too long before any of them is looked up."""

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class NoteValidator(serializers.Serializer):
    """Sentry's NoteSerializer: the text, and whom it mentions, each a member of one of the
    project's teams or one of its teams. context: the issue's project."""

    text = serializers.CharField()
    mentions = MentionsField(
        child=MentionField(allow_null=False), required=False, max_length=MAX_MENTIONS
    )

    def validate_mentions(self, actors):
        project = self.context["project"]
        teams = [actor for actor in actors if isinstance(actor, Team)]
        users = [actor for actor in actors if not isinstance(actor, Team | MissingActor)]
        missing = [actor for actor in actors if isinstance(actor, MissingActor)]
        if any(actor.model is not Team for actor in missing):
            raise serializers.ValidationError("Cannot mention a non team member")
        members = project_member_user_ids(project, user_ids=[user.pk for user in users])
        if any(user.pk not in members for user in users):
            raise serializers.ValidationError("Cannot mention a non team member")
        if missing:
            raise serializers.ValidationError("Mentioned team not found")
        known = set(project.teams.filter(pk__in=[team.pk for team in teams]).values_list("pk"))
        if any((team.pk,) not in known for team in teams):
            raise serializers.ValidationError("Mentioned team not found")
        return {"users": users, "teams": teams}

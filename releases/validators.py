"""The bodies of the release routes, validated as Sentry's serializers do
(ReleaseWithVersionSerializer, ReleaseHeadCommitSerializer, CommitSerializer and the deploy
serializer of release_deploys.py): DRF's field map on a 400."""

import re

from rest_framework import serializers

from releases.services import ReleaseChanges

MAX_VERSION_LENGTH = 250
MAX_COMMIT_LENGTH = 64
# Sentry's Release.is_valid_version: no control whitespace or slash, not "." ".." "latest".
BAD_VERSION_CHARACTERS = re.compile(r"[\r\n\f\x0c\t/\\]")
RESERVED_VERSIONS = (".", "..")
# Sentry's Environment.is_valid_name.
ENVIRONMENT_NAME = re.compile(r"^[^\n\r\f/]*$")
MAX_ENVIRONMENT_LENGTH = 64
# Release.url and Deploy.url (Django's URLField).
MAX_URL_LENGTH = 200


class TextField(serializers.CharField):
    """DRF's CharField that takes text only: a number or a boolean where the schema says
    string is a 400 ("Not a valid string."), not turned into its text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def is_valid_version(version: str) -> bool:
    return not (
        not version
        or BAD_VERSION_CHARACTERS.search(version)
        or version in RESERVED_VERSIONS
        or version.lower() == "latest"
    )


class CommitValidator(serializers.Serializer):
    id = TextField(max_length=MAX_COMMIT_LENGTH)
    repository = TextField(max_length=200, required=False, allow_null=True, allow_blank=True)
    message = TextField(required=False, allow_null=True, allow_blank=True)
    author_name = TextField(max_length=128, required=False, allow_null=True, allow_blank=True)
    author_email = serializers.EmailField(
        max_length=75, required=False, allow_null=True, allow_blank=True
    )
    timestamp = serializers.DateTimeField(required=False, allow_null=True)


class RefValidator(serializers.Serializer):
    repository = TextField(max_length=200)
    commit = TextField()
    previousCommit = TextField(
        max_length=MAX_COMMIT_LENGTH, required=False, allow_null=True, allow_blank=True
    )

    def validate_commit(self, value):
        """A commit, or a range `previous..head` (Sentry's ReleaseHeadCommitSerializer)."""
        if ".." in value:
            start, _, end = value.partition("..")
            if not start or not end:
                raise serializers.ValidationError("Commit cannot begin or end with ..")
            if len(start) > MAX_COMMIT_LENGTH or len(end) > MAX_COMMIT_LENGTH:
                raise serializers.ValidationError(
                    f"Start or end commit too long - max is {MAX_COMMIT_LENGTH} chars each"
                )
            return value
        if len(value) > MAX_COMMIT_LENGTH:
            raise serializers.ValidationError(f"Commit too long (max {MAX_COMMIT_LENGTH} chars)")
        return value


class ReleaseValidator(serializers.Serializer):
    """A release PUT (Sentry's OrganizationReleaseSerializer); unknown keys are ignored."""

    ref = TextField(
        max_length=MAX_VERSION_LENGTH, required=False, allow_null=True, allow_blank=True
    )
    url = serializers.URLField(
        max_length=MAX_URL_LENGTH, required=False, allow_null=True, allow_blank=True
    )
    dateReleased = serializers.DateTimeField(required=False, allow_null=True)
    commits = serializers.ListField(child=CommitValidator(), required=False, allow_null=False)
    refs = serializers.ListField(child=RefValidator(), required=False, allow_null=False)

    def changes(self) -> ReleaseChanges:
        data = self.validated_data
        return ReleaseChanges(
            ref=data.get("ref"),
            url=data.get("url"),
            date_released=data.get("dateReleased"),
            commits=data.get("commits"),
            refs=data.get("refs"),
        )


class ReleaseCreateValidator(ReleaseValidator):
    """A release POST: its version too (and, on the organization route, its projects)."""

    version = TextField(max_length=MAX_VERSION_LENGTH)

    def validate_version(self, value):
        if not is_valid_version(value):
            raise serializers.ValidationError(f"Release with name {value} is not allowed")
        return value


class OrganizationReleaseCreateValidator(ReleaseCreateValidator):
    # Slugs, or ids as text or as numbers (Sentry's CharField takes both).
    projects = serializers.ListField(child=serializers.CharField(max_length=200))


class DeployValidator(serializers.Serializer):
    name = TextField(max_length=64, required=False, allow_blank=True, allow_null=True)
    environment = TextField(max_length=MAX_ENVIRONMENT_LENGTH)
    url = serializers.URLField(
        max_length=MAX_URL_LENGTH, required=False, allow_blank=True, allow_null=True
    )
    dateStarted = serializers.DateTimeField(required=False, allow_null=True)
    dateFinished = serializers.DateTimeField(required=False, allow_null=True)

    def validate_environment(self, value):
        if not ENVIRONMENT_NAME.fullmatch(value):
            raise serializers.ValidationError("Invalid value for environment")
        return value

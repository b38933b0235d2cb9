"""Events, the environments they name, the hashes that route them to an issue (or to the
tombstone of a discarded one) and the feedback users leave about them. Only the event digest
writes events (issues.services.digest; record_event is its batch of one); issue_discard
writes tombstones."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from issues.models.choices import IssueLevel
from issues.models.issue import Issue


class Environment(models.Model):
    """An environment name of an organization. Events without one use the name ""."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="environments"
    )
    name = models.CharField(max_length=64, blank=True)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_environment"),
        ]

    def __str__(self):
        return self.name or "(no environment)"


class IssueTombstone(models.Model):
    """What remains of a discarded issue; events of its fingerprints are dropped."""

    project = models.ForeignKey("accounts.Project", on_delete=models.CASCADE, related_name="+")
    previous_issue_id = models.BigIntegerField()
    level = models.PositiveSmallIntegerField(choices=IssueLevel.choices)
    message = models.TextField(blank=True, default="")
    culprit = models.CharField(max_length=200, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date_added = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"tombstone of issue {self.previous_issue_id}"


class IssueHash(models.Model):
    """A fingerprint hash that routes new events of a project to an issue, or to a tombstone
    when the issue was discarded."""

    project = models.ForeignKey("accounts.Project", on_delete=models.CASCADE, related_name="+")
    hash = models.CharField(max_length=64)
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.CASCADE, related_name="hashes"
    )
    tombstone = models.ForeignKey(
        IssueTombstone, null=True, blank=True, on_delete=models.CASCADE, related_name="hashes"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "hash"], name="unique_issue_hash"),
        ]

    def __str__(self):
        return self.hash


class Event(models.Model):
    """One occurrence of an issue, with the payload record_event received.

    On PostgreSQL the table is partitioned by week of `datetime` (issues.services.partitions,
    migration 0009), whose key every unique constraint must include: the database's primary
    key is (id, datetime), `id` alone staying unique (one identity sequence), and an event id
    is unique per project and time. The digest stores an event id once per project all the
    same (drop_duplicates, behind the queue's own unique constraint)."""

    project = models.ForeignKey("accounts.Project", on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=32)
    datetime = models.DateTimeField()
    received = models.DateTimeField(default=timezone.now)
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="+")
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    platform = models.CharField(max_length=64, null=True, blank=True)
    message = models.TextField(blank=True, default="")
    user_key = models.CharField(max_length=200, null=True, blank=True)
    tags = models.JSONField(default=list)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "event_id", "datetime"], name="unique_event_id"
            ),
        ]
        indexes = [
            models.Index(fields=["issue", "datetime"]),
            # An issue's events in one environment in time order: the latest event and its
            # neighbours within an environment, however rare it is among the issue's events.
            models.Index(
                fields=["issue", "environment", "datetime", "id"],
                name="issues_event_environment_time",
            ),
        ]

    def __str__(self):
        return self.event_id


class UserReport(models.Model):
    """Feedback a user left about an event of an issue."""

    project = models.ForeignKey("accounts.Project", on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="user_reports")
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event_id = models.CharField(max_length=32)
    name = models.CharField(max_length=128)
    email = models.EmailField()
    comments = models.TextField()
    date_added = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"report by {self.email}"

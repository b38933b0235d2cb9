"""The issue and its one-to-one rows: who it is assigned to, how it is ignored (snooze) or
resolved, and its public share. The services write them: issue_update, and record_event,
which removes a snooze or resolution when an event brings the issue back."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from issues.models.choices import IssueLevel, IssuePriority, IssueStatus, IssueSubstatus


def issue_title(kind: str, metadata: dict | None) -> str:
    """The title of an issue (or of an event) of this type and metadata."""
    metadata = metadata or {}
    if kind == "error":
        name = metadata.get("type") or "Error"
        value = metadata.get("value")
        return f"{name}: {value}" if value else name
    return metadata.get("title") or "<unlabeled event>"


class Issue(models.Model):
    """Sentry's Group: events that share a fingerprint, with their counters."""

    project = models.ForeignKey("accounts.Project", on_delete=models.CASCADE, related_name="issues")
    short_id = models.PositiveBigIntegerField()
    status = models.PositiveSmallIntegerField(
        choices=IssueStatus.choices, default=IssueStatus.UNRESOLVED
    )
    substatus = models.CharField(
        max_length=32, choices=IssueSubstatus.choices, null=True, blank=True
    )
    level = models.PositiveSmallIntegerField(choices=IssueLevel.choices, default=IssueLevel.ERROR)
    priority = models.PositiveSmallIntegerField(
        choices=IssuePriority.choices, null=True, blank=True
    )
    priority_locked_at = models.DateTimeField(null=True, blank=True)
    type = models.CharField(max_length=32, default="default")
    metadata = models.JSONField(default=dict, blank=True)
    culprit = models.CharField(max_length=200, null=True, blank=True)
    logger = models.CharField(max_length=64, blank=True, default="")
    platform = models.CharField(max_length=64, null=True, blank=True)
    is_unhandled = models.BooleanField(default=False)
    # Counters kept by record_event. first_seen keeps microseconds (the first event's time);
    # last_seen has second precision, as Sentry's event store reports it.
    first_seen = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    active_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    times_seen = models.PositiveBigIntegerField(default=0)
    user_count = models.PositiveBigIntegerField(default=0)
    num_comments = models.PositiveIntegerField(default=0)
    first_release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set by DELETE; run_deletions removes the issue once the grace period has passed.
    deletion_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "short_id"], name="unique_issue_short_id"),
        ]
        indexes = [models.Index(fields=["project", "status", "last_seen"])]

    def __str__(self):
        return f"{self.qualified_short_id}: {self.title}"

    @property
    def title(self) -> str:
        return issue_title(self.type, self.metadata)

    @property
    def qualified_short_id(self) -> str:
        from issues.short_ids import base32_encode

        return f"{self.project.slug.upper()}-{base32_encode(self.short_id)}"


class Share(models.Model):
    """A public share of an issue; its uuid is the shareId."""

    issue = models.OneToOneField(Issue, on_delete=models.CASCADE, related_name="share")
    uuid = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date_added = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.uuid


class Assignee(models.Model):
    """Who owns an issue: a user or a team, never both."""

    issue = models.OneToOneField(Issue, on_delete=models.CASCADE, related_name="assignee")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="assignee_is_user_xor_team",
            ),
        ]

    def __str__(self):
        return str(self.user or self.team)


class Snooze(models.Model):
    """The conditions under which an ignored issue comes back (Sentry's GroupSnooze)."""

    issue = models.OneToOneField(Issue, on_delete=models.CASCADE, related_name="snooze")
    until = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    window = models.PositiveIntegerField(null=True, blank=True)
    user_count = models.PositiveIntegerField(null=True, blank=True)
    user_window = models.PositiveIntegerField(null=True, blank=True)
    state = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"snooze of {self.issue_id}"

    def is_valid(self, issue: Issue, *, now) -> bool:
        """Whether the snooze still holds for the issue's counters at `now` (Sentry's
        GroupSnooze.is_valid). The windowed conditions count recent events, which this row
        cannot: issues.status ends those as events arrive."""
        if self.until is not None and self.until <= now:
            return False
        events_left, users_left = self.events_left(issue), self.users_left(issue)
        return not (
            (events_left is not None and events_left <= 0)
            or (users_left is not None and users_left <= 0)
        )

    def events_left(self, issue: Issue) -> int | None:
        """Events still to come before a count without a window is reached (None: no such
        condition). The state holds the issue's count when it was snoozed."""
        if not self.count or self.window:
            return None
        return self.count - (issue.times_seen - self.state.get("times_seen", 0))

    def users_left(self, issue: Issue) -> int | None:
        """As events_left, for a user count without a window."""
        if not self.user_count or self.user_window:
            return None
        return self.user_count - (issue.user_count - self.state.get("users_seen", 0))


class Resolution(models.Model):
    """How a resolved issue was resolved: in a release (Sentry's GroupResolution) and/or by a
    commit (Sentry's GroupLink). A plain resolve has no row."""

    class Type(models.IntegerChoices):
        IN_RELEASE = 0, "in_release"
        IN_NEXT_RELEASE = 1, "in_next_release"

    class Status(models.IntegerChoices):
        PENDING = 0, "pending"
        RESOLVED = 1, "resolved"

    issue = models.OneToOneField(Issue, on_delete=models.CASCADE, related_name="resolution")
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    commit = models.ForeignKey(
        "releases.Commit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # "Resolved in next release" in a semver project: the greatest version when it was resolved.
    # Events of that version or a lower one leave the issue resolved (Sentry's
    # GroupResolution.current_release_version).
    current_release_version = models.CharField(max_length=250, blank=True, default="")
    type = models.PositiveSmallIntegerField(choices=Type.choices, null=True, blank=True)
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.PENDING)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    datetime = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.issue_id} resolved in {self.release or self.commit}"

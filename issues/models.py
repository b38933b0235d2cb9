"""Issues and everything hanging off them, plus the read models that make a GET cheap.

Events enter only through issues.services.record_event, which keeps the counters on Issue and
the read models (IssueEnvironment, IssueUser, IssueHourlyCount, IssueTagKey, IssueTagValue)
current in the same transaction. Models hold no hidden side effects.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


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


class IssueStatus(models.IntegerChoices):
    UNRESOLVED = 0, "unresolved"
    RESOLVED = 1, "resolved"
    IGNORED = 2, "ignored"
    PENDING_DELETION = 3, "pending_deletion"
    DELETION_IN_PROGRESS = 4, "deletion_in_progress"
    PENDING_MERGE = 5, "pending_merge"


# Statuses in which an issue is invisible to the API (Sentry's EXCLUDED_STATUSES).
HIDDEN_STATUSES = (
    IssueStatus.PENDING_DELETION,
    IssueStatus.DELETION_IN_PROGRESS,
    IssueStatus.PENDING_MERGE,
)


class IssueSubstatus(models.TextChoices):
    NEW = "new"
    ONGOING = "ongoing"
    REGRESSED = "regressed"
    ESCALATING = "escalating"
    ARCHIVED_UNTIL_ESCALATING = "archived_until_escalating"
    ARCHIVED_UNTIL_CONDITION_MET = "archived_until_condition_met"
    ARCHIVED_FOREVER = "archived_forever"


class IssueLevel(models.IntegerChoices):
    SAMPLE = 0, "sample"
    DEBUG = 10, "debug"
    INFO = 20, "info"
    WARNING = 30, "warning"
    ERROR = 40, "error"
    FATAL = 50, "fatal"


class IssuePriority(models.IntegerChoices):
    LOW = 25, "low"
    MEDIUM = 50, "medium"
    HIGH = 75, "high"


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
    """One occurrence of an issue, with the payload record_event received."""

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
            models.UniqueConstraint(fields=["project", "event_id"], name="unique_event_id"),
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


class ActivityType(models.IntegerChoices):
    SET_RESOLVED = 1, "set_resolved"
    SET_UNRESOLVED = 2, "set_unresolved"
    SET_IGNORED = 3, "set_ignored"
    SET_PUBLIC = 4, "set_public"
    SET_PRIVATE = 5, "set_private"
    SET_REGRESSION = 6, "set_regression"
    CREATE_ISSUE = 7, "create_issue"
    NOTE = 8, "note"
    FIRST_SEEN = 9, "first_seen"
    RELEASE = 10, "release"
    ASSIGNED = 11, "assigned"
    UNASSIGNED = 12, "unassigned"
    SET_RESOLVED_IN_RELEASE = 13, "set_resolved_in_release"
    MERGE = 14, "merge"
    SET_RESOLVED_BY_AGE = 15, "set_resolved_by_age"
    SET_RESOLVED_IN_COMMIT = 16, "set_resolved_in_commit"
    DEPLOY = 17, "deploy"
    NEW_PROCESSING_ISSUES = 18, "new_processing_issues"
    UNMERGE_SOURCE = 19, "unmerge_source"
    UNMERGE_DESTINATION = 20, "unmerge_destination"
    SET_RESOLVED_IN_PULL_REQUEST = 21, "set_resolved_in_pull_request"


class Activity(models.Model):
    """Something that happened to an issue (or, with no issue, to a project)."""

    project = models.ForeignKey("accounts.Project", on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    type = models.PositiveSmallIntegerField(choices=ActivityType.choices)
    ident = models.CharField(max_length=64, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    datetime = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-datetime", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["issue", "-datetime"])]

    def __str__(self):
        return self.get_type_display()


class IssueSeen(models.Model):
    """When a user last looked at an issue (Sentry's GroupSeen)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="seen_by")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], name="unique_issue_seen"),
        ]

    def __str__(self):
        return f"{self.user} saw {self.issue_id}"


class Bookmark(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="bookmarks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], name="unique_bookmark"),
        ]

    def __str__(self):
        return f"{self.user} bookmarked {self.issue_id}"


class SubscriptionReason(models.IntegerChoices):
    UNKNOWN = 0, "unknown"
    COMMENT = 1, "commented"
    ASSIGNED = 2, "assigned"
    BOOKMARK = 3, "bookmarked"
    STATUS_CHANGE = 4, "changed_status"
    DEPLOY_SETTING = 5, "deploy_setting"
    MENTIONED = 6, "mentioned"
    TEAM_MENTIONED = 7, "team_mentioned"


class Subscription(models.Model):
    """A user's (un)subscription to an issue's workflow notifications."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(default=True)
    reason = models.SmallIntegerField(
        choices=SubscriptionReason.choices, default=SubscriptionReason.UNKNOWN
    )
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], name="unique_subscription"),
        ]

    def __str__(self):
        return f"{self.user} on {self.issue_id}"


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


# Read models, written only by record_event.


class IssueEnvironment(models.Model):
    """Counters of an issue in one environment."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="environment_stats")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="+")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    times_seen = models.PositiveBigIntegerField(default=0)
    user_count = models.PositiveBigIntegerField(default=0)
    first_release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "environment"], name="unique_issue_environment"
            ),
        ]

    def __str__(self):
        return f"{self.issue_id} in {self.environment}"


class IssueUser(models.Model):
    """A distinct user key seen in an issue, per environment (for userCount)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="+")
    user_key = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "environment", "user_key"], name="unique_issue_user"
            ),
        ]
        indexes = [models.Index(fields=["issue", "user_key"])]

    def __str__(self):
        return self.user_key


class IssueHourlyCount(models.Model):
    """Events of an issue per UTC hour and environment (for stats)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "environment", "hour"], name="unique_issue_hour"
            ),
        ]
        indexes = [models.Index(fields=["issue", "hour"])]

    def __str__(self):
        return f"{self.issue_id} {self.hour:%Y-%m-%d %H}h: {self.count}"


class IssueDailyCount(models.Model):
    """Events of an issue per UTC day and environment: the 30-day stats read 31 of these
    rather than 720 hourly rows per environment (issue 10)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="+")
    day = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "environment", "day"], name="unique_issue_day"
            ),
        ]
        indexes = [models.Index(fields=["issue", "day"])]

    def __str__(self):
        return f"{self.issue_id} {self.day:%Y-%m-%d}: {self.count}"


class IssueTagKey(models.Model):
    """How many events of an issue carry a tag key, per environment (for tags)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    times_seen = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "environment", "key"], name="unique_issue_tag_key"
            ),
        ]

    def __str__(self):
        return self.key


class IssueTagValue(models.Model):
    """A tag value of an issue, per environment, with its counts and first/last sighting."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200)
    times_seen = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "environment", "key", "value"], name="unique_issue_tag_value"
            ),
        ]

    def __str__(self):
        return f"{self.key}={self.value}"

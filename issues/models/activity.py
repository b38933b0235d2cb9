"""What users do to an issue and how they follow it: its activity, who saw it, who
bookmarked it and who is subscribed. The services write them: issue_update, and record_event
(the activity of a regression)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from issues.models.choices import ActivityType, SubscriptionReason
from issues.models.issue import Issue


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

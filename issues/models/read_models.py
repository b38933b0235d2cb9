"""The read models, written only by the event digest (issues.services.digest, whose batch of
one is record_event) in the events' transaction: an issue's counters per environment, its
distinct users, its hourly and daily event counts (per environment, and all environments
together) and its tags. A GET reads O(buckets) of these rows, never O(events)."""

from django.db import models

from issues.models.event import Environment
from issues.models.issue import Issue


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


class IssueHourlyTotal(models.Model):
    """Events of an issue per UTC hour, all environments together: the sum of its
    IssueHourlyCount rows of that hour. Stats without ?environment= read one row a bucket
    here, whatever the number of environments the issue was seen in."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "hour"], name="unique_issue_hour_total"),
        ]

    def __str__(self):
        return f"{self.issue_id} {self.hour:%Y-%m-%d %H}h: {self.count}"


class IssueDailyTotal(models.Model):
    """Events of an issue per UTC day, all environments together (IssueHourlyTotal's daily
    rollup)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    day = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "day"], name="unique_issue_day_total"),
        ]

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

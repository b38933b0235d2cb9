"""The queue between the ingest endpoints and the digest: events accepted, not yet counted."""

from django.db import models


class IngestItem(models.Model):
    """An event an SDK sent, stored as received (its JSON text, the event id filled in) until
    `digest_events` applies it (issues.services.digest) and deletes it in the same
    transaction.

    Unique per project and event id: an SDK that retries an event it got no answer for queues
    it once."""

    project = models.ForeignKey("accounts.Project", on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=32)
    payload = models.TextField()
    received = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "event_id"], name="unique_ingest_item_event"
            ),
        ]

    def __str__(self):
        return f"{self.project_id}/{self.event_id}"


class IngestFailure(models.Model):
    """A queued event the digest could not apply (a payload it cannot read, a value the
    database refuses), set aside with its error so that the rest of its batch, and the queue
    behind it, go on. Kept for the operator (the admin lists them); never retried."""

    project = models.ForeignKey("accounts.Project", on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=32)
    payload = models.TextField()
    error = models.TextField()
    received = models.DateTimeField()
    failed_at = models.DateTimeField()

    class Meta:
        ordering = ["-failed_at", "-id"]

    def __str__(self):
        return f"{self.project_id}/{self.event_id}"

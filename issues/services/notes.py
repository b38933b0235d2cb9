"""Notes (Sentry's comments) on an issue: each is a `note` Activity row, written with the
issue's comment counter (numComments) and the subscriptions a note brings, in one
transaction that holds the issue's row locked, as Sentry's Activity.save/delete keep
num_comments."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import OrganizationMember
from issues.models import Activity, ActivityType, Issue, Subscription, SubscriptionReason
from issues.services import writes

# Sentry refuses the same note by the same user on the same issue within an hour.
DUPLICATE_WINDOW = timedelta(hours=1)


class DuplicateNote(Exception):
    """The author posted the same text on the issue within DUPLICATE_WINDOW."""


def _locked_issue(issue_id: int) -> Issue:
    # Raises Issue.DoesNotExist (a 404) for an issue deleted meanwhile.
    return Issue.objects.select_for_update().only("id", "project_id").get(pk=issue_id)


@transaction.atomic
def note_create(
    *,
    issue_id: int,
    actor,
    text: str,
    mentioned_users=(),
    mentioned_teams=(),
    now: datetime | None = None,
) -> Activity:
    """A note by `actor`: its activity, numComments + 1, the author subscribed (commented),
    mentioned users (mentioned) and the members of mentioned teams (team_mentioned)."""
    now = now or timezone.now()
    issue = _locked_issue(issue_id)
    duplicate = Activity.objects.filter(
        issue_id=issue.pk,
        type=ActivityType.NOTE,
        user_id=actor.pk,
        data__text=text,
        datetime__gte=now - DUPLICATE_WINDOW,
    )
    if duplicate.exists():
        raise DuplicateNote
    batch = writes.Batch()
    writes.subscribe(batch, issue.pk, [actor.pk], SubscriptionReason.COMMENT, now=now)
    user_ids = {user.pk for user in mentioned_users}
    writes.subscribe(batch, issue.pk, user_ids, SubscriptionReason.MENTIONED, now=now)
    if mentioned_teams:
        team_members = set(
            OrganizationMember.objects.filter(
                teams__in=[team.pk for team in mentioned_teams],
                user__is_active=True,
                user_id__isnull=False,
            ).values_list("user_id", flat=True)
        )
        writes.subscribe(
            batch, issue.pk, team_members - user_ids, SubscriptionReason.TEAM_MENTIONED, now=now
        )
    batch.flush()
    note = Activity.objects.create(
        project_id=issue.project_id,
        issue_id=issue.pk,
        type=ActivityType.NOTE,
        user=actor,
        datetime=now,
        data={"text": text},
    )
    Issue.objects.filter(pk=issue.pk).update(num_comments=F("num_comments") + 1)
    return note


def _own_note(issue: Issue, note_id: int, actor) -> Activity:
    """The author's note of the issue, locked; Activity.DoesNotExist (a 404) for a note of
    another user, as Sentry answers."""
    # Only the note's row is locked, not its author's.
    return (
        Activity.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=note_id, issue_id=issue.pk, type=ActivityType.NOTE, user_id=actor.pk)
    )


@transaction.atomic
def note_update(*, issue_id: int, note_id: int, actor, text: str) -> Activity:
    """The author's note with its new text (Sentry keeps its date)."""
    issue = _locked_issue(issue_id)
    note = _own_note(issue, note_id, actor)
    note.data = {**note.data, "text": text}
    note.save(update_fields=["data"])
    return note


@transaction.atomic
def note_delete(*, issue_id: int, note_id: int, actor) -> None:
    """The author's note goes, numComments - 1; with the author's last note on the issue
    goes the subscription the notes gave (reason commented), as in Sentry."""
    issue = _locked_issue(issue_id)
    note = _own_note(issue, note_id, actor)
    others = (
        Activity.objects.filter(issue_id=issue.pk, type=ActivityType.NOTE, user_id=actor.pk)
        .exclude(pk=note.pk)
        .exists()
    )
    note.delete()
    Issue.objects.filter(pk=issue.pk).update(num_comments=Greatest(F("num_comments") - 1, 0))
    if not others:
        Subscription.objects.filter(
            issue_id=issue.pk, user_id=actor.pk, reason=SubscriptionReason.COMMENT
        ).delete()

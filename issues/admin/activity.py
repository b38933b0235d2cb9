"""The admin of the rows issue_update and issue_discard keep: activity, assignee, snooze,
resolution, share, bookmarks, subscriptions, seen, hashes and tombstones. Read-only here."""

from django.contrib import admin

from issues.admin.base import PROJECT_SLUG, IssueRowAdmin, IssueSearchMixin, issue_short_id
from issues.models import (
    Activity,
    Assignee,
    Bookmark,
    IssueHash,
    IssueSeen,
    IssueTombstone,
    Resolution,
    Share,
    Snooze,
    Subscription,
)
from issues_api.admin import ReadOnlyAdminMixin


@admin.register(Activity)
class ActivityAdmin(IssueSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("type", issue_short_id, "project", "user", "datetime")
    list_select_related = ("issue__project", "project", "user")
    list_filter = ("type", "project__organization", "project")
    search_fields = ("=project__slug", "user__email", "ident")
    ordering = ("-datetime", "-id")
    show_full_result_count = False


@admin.register(Assignee)
class AssigneeAdmin(IssueRowAdmin):
    list_display = (issue_short_id, "user", "team", "date_added")
    list_select_related = ("issue__project", "user", "team")
    search_fields = (PROJECT_SLUG, "user__email", "team__slug")


@admin.register(Snooze)
class SnoozeAdmin(IssueRowAdmin):
    list_display = (
        issue_short_id,
        "until",
        "count",
        "window",
        "user_count",
        "user_window",
        "actor",
    )
    list_select_related = ("issue__project", "actor")


@admin.register(Resolution)
class ResolutionAdmin(IssueRowAdmin):
    list_display = (issue_short_id, "type", "status", "release", "commit", "actor", "datetime")
    list_select_related = ("issue__project", "release", "commit", "actor")
    list_filter = ("type", "status", "issue__project__organization", "issue__project")


@admin.register(Share)
class ShareAdmin(IssueRowAdmin):
    list_display = ("uuid", issue_short_id, "user", "date_added")
    list_select_related = ("issue__project", "user")
    search_fields = (PROJECT_SLUG, "=uuid")


@admin.register(Bookmark)
class BookmarkAdmin(IssueRowAdmin):
    list_display = (issue_short_id, "user", "date_added")
    list_select_related = ("issue__project", "user")
    search_fields = (PROJECT_SLUG, "user__email")


@admin.register(Subscription)
class SubscriptionAdmin(IssueRowAdmin):
    list_display = (issue_short_id, "user", "is_active", "reason", "date_added")
    list_select_related = ("issue__project", "user")
    list_filter = ("is_active", "reason", "issue__project__organization", "issue__project")
    search_fields = (PROJECT_SLUG, "user__email")


@admin.register(IssueSeen)
class IssueSeenAdmin(IssueRowAdmin):
    list_display = (issue_short_id, "user", "last_seen")
    list_select_related = ("issue__project", "user")
    search_fields = (PROJECT_SLUG, "user__email")


@admin.register(IssueHash)
class IssueHashAdmin(IssueRowAdmin):
    list_display = ("hash", "project", issue_short_id, "tombstone")
    list_select_related = ("project", "issue__project", "tombstone")
    list_filter = ("project__organization", "project")
    search_fields = ("=project__slug", "=hash")


@admin.register(IssueTombstone)
class IssueTombstoneAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("previous_issue_id", "project", "level", "message", "actor", "date_added")
    list_select_related = ("project", "actor")
    list_filter = ("level", "project__organization", "project")
    search_fields = ("=project__slug", "message", "culprit")

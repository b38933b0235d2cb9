"""The admin of environments, events and the read models, all written only by record_event
(read-only here), of the queue of events SDKs sent (read-only: the digest empties it) and
of those the digest set aside with their error, and of user feedback, which can be corrected
or removed."""

from django.contrib import admin

from issues.admin.base import (
    PROJECT_SLUG,
    IssueEnvironmentRowAdmin,
    IssueRowAdmin,
    IssueSearchMixin,
    environment_filter,
    issue_short_id,
)
from issues.models import (
    Environment,
    Event,
    IngestFailure,
    IngestItem,
    IssueDailyCount,
    IssueDailyTotal,
    IssueEnvironment,
    IssueHourlyCount,
    IssueHourlyTotal,
    IssueTagKey,
    IssueTagValue,
    IssueUser,
    UserReport,
)
from issues_api.admin import ReadOnlyAdminMixin


@admin.register(Environment)
class EnvironmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "organization", "date_added")
    list_select_related = ("organization",)
    list_filter = ("organization",)
    search_fields = ("name", "organization__slug")


@admin.register(Event)
class EventAdmin(IssueSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "event_id",
        issue_short_id,
        "project",
        "environment",
        "release",
        "datetime",
        "received",
    )
    list_select_related = ("issue__project", "project", "environment", "release")
    list_filter = (
        "project__organization",
        "project",
        environment_filter("environment__name"),
        "platform",
    )
    search_fields = ("=project__slug", "=event_id", "message", "user_key", "release__version")
    ordering = ("-datetime", "-id")
    show_full_result_count = False


@admin.register(IngestItem)
class IngestItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event_id", "project", "received")
    list_select_related = ("project",)
    list_filter = ("project__organization", "project")
    search_fields = ("=event_id", "=project__slug")
    ordering = ("id",)
    show_full_result_count = False


@admin.register(IngestFailure)
class IngestFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Events the digest could not apply, with why, for the operator to read; the digest
    never retries them."""

    list_display = ("event_id", "project", "short_error", "received", "failed_at")
    list_select_related = ("project",)
    list_filter = ("project__organization", "project")
    search_fields = ("=event_id", "=project__slug", "error")
    ordering = ("-failed_at", "-id")
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error if len(obj.error) <= 120 else f"{obj.error[:119]}…"


@admin.register(IssueEnvironment)
class IssueEnvironmentAdmin(IssueEnvironmentRowAdmin):
    list_display = (
        issue_short_id,
        "environment",
        "times_seen",
        "user_count",
        "first_seen",
        "last_seen",
        "first_release",
    )
    list_select_related = ("issue__project", "environment", "first_release")


@admin.register(IssueUser)
class IssueUserAdmin(IssueEnvironmentRowAdmin):
    list_display = ("user_key", issue_short_id, "environment")
    search_fields = (PROJECT_SLUG, "user_key")


@admin.register(IssueHourlyCount)
class IssueHourlyCountAdmin(IssueEnvironmentRowAdmin):
    list_display = (issue_short_id, "environment", "hour", "count")
    ordering = ("-hour", "-id")


@admin.register(IssueDailyCount)
class IssueDailyCountAdmin(IssueEnvironmentRowAdmin):
    list_display = (issue_short_id, "environment", "day", "count")
    ordering = ("-day", "-id")


@admin.register(IssueHourlyTotal)
class IssueHourlyTotalAdmin(IssueRowAdmin):
    list_display = (issue_short_id, "hour", "count")
    ordering = ("-hour", "-id")


@admin.register(IssueDailyTotal)
class IssueDailyTotalAdmin(IssueRowAdmin):
    list_display = (issue_short_id, "day", "count")
    ordering = ("-day", "-id")


@admin.register(IssueTagKey)
class IssueTagKeyAdmin(IssueEnvironmentRowAdmin):
    list_display = ("key", issue_short_id, "environment", "times_seen")
    search_fields = (PROJECT_SLUG, "key")


@admin.register(IssueTagValue)
class IssueTagValueAdmin(IssueEnvironmentRowAdmin):
    list_display = ("key", "value", issue_short_id, "environment", "times_seen", "last_seen")
    search_fields = (PROJECT_SLUG, "key", "value")


@admin.register(UserReport)
class UserReportAdmin(IssueSearchMixin, admin.ModelAdmin):
    """Feedback can be corrected or removed (spam); it is only ever added with an event."""

    list_display = ("name", "email", issue_short_id, "project", "environment", "date_added")
    list_select_related = ("issue__project", "project", "environment")
    list_filter = ("project__organization", "project", environment_filter("environment__name"))
    search_fields = ("=project__slug", "email", "name", "comments", "=event_id")
    readonly_fields = ("project", "issue", "environment", "event_id", "date_added")
    fields = ("project", "issue", "environment", "event_id", "name", "email", "comments")

    def has_add_permission(self, request):
        return False

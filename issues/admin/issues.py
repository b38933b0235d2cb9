"""The admin of issues: the list, the search and the change form, with the issue's activity
and its counts per environment. What it changes goes through the services (IssueWritesMixin)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from issues.admin.base import IssueSearchMixin, environment_filter
from issues.admin.issue_writes import IssueWritesMixin
from issues.forms import IssueAdminForm
from issues.models import Activity, Issue, IssueEnvironment, IssueStatus
from issues.shapes import ACTIVITY_LIMIT
from issues_api.admin import ReadOnlyAdminMixin
from issues_api.api.dates import format_datetime
from issues_api.api.prefix import url_prefix


class NewestActivityFormSet(BaseInlineFormSet):
    """The newest ACTIVITY_LIMIT rows only, as the API shows them."""

    def get_queryset(self):
        if not hasattr(self, "_newest"):
            self._newest = super().get_queryset()[:ACTIVITY_LIMIT]
        return self._newest


class ActivityInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Activity
    formset = NewestActivityFormSet
    fields = ("datetime", "type", "user", "ident", "data")
    readonly_fields = fields
    ordering = ("-datetime", "-id")
    verbose_name_plural = f"activity (newest first, at most {ACTIVITY_LIMIT})"
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class IssueEnvironmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = IssueEnvironment
    fields = ("environment", "times_seen", "user_count", "first_seen", "last_seen", "first_release")
    readonly_fields = fields
    ordering = ("environment__name",)
    verbose_name_plural = "counts per environment"
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("environment", "first_release")


ISSUE_DETAIL_RELATED = (
    "project__organization",
    "first_release",
    "last_release",
    "assignee__user",
    "assignee__team",
    "snooze__actor",
    "resolution__release",
    "resolution__commit__repository",
    "resolution__actor",
    "share",
)


@admin.register(Issue)
class IssueAdmin(IssueSearchMixin, IssueWritesMixin, admin.ModelAdmin):
    form = IssueAdminForm
    issue_path = ""
    list_display = (
        "short_id_display",
        "title_display",
        "project",
        "organization",
        "status_display",
        "level",
        "count",
        "user_count_display",
        "assignee_display",
        "first_seen",
        "last_seen",
    )
    list_display_links = ("short_id_display", "title_display")
    list_select_related = ("project__organization", "assignee__user", "assignee__team")
    list_filter = (
        "status",
        "substatus",
        "level",
        "priority",
        "project__organization",
        "project",
        environment_filter("environment_stats__environment__name"),
    )
    # Also searched: the qualified short id ("PUMP-STATION-1") and the id (IssueSearchMixin).
    search_fields = (
        "=project__slug",
        "culprit",
        "metadata__title",
        "metadata__value",
        "metadata__type",
    )
    ordering = ("-last_seen", "-id")
    inlines = (IssueEnvironmentInline, ActivityInline)
    actions = ("resolve", "ignore", "unresolve", "delete_selected")
    readonly_fields = (
        "short_id_display",
        "title_display",
        "permalink",
        "project",
        "organization",
        "type",
        "level",
        "priority",
        "culprit",
        "platform",
        "logger",
        "is_unhandled",
        "metadata",
        "status_display",
        "substatus",
        "assignee_display",
        "snooze_display",
        "resolution_display",
        "is_public",
        "count",
        "user_count_display",
        "first_seen_display",
        "last_seen_display",
        "active_at",
        "resolved_at",
        "first_release",
        "last_release",
        "num_comments",
        "deletion_requested_at",
    )

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            # The form's own fields; IssueAdminForm turns them into issue_update's changes.
            triage = ("status", "assigned_to", "bookmarked", "assignee_display")
        else:
            triage = ("status_display", "assignee_display")
        return (
            (
                None,
                {
                    "fields": (
                        "short_id_display",
                        "title_display",
                        "permalink",
                        "project",
                        "organization",
                        "type",
                        "level",
                        "priority",
                        "culprit",
                        "platform",
                        "logger",
                        "is_unhandled",
                        "metadata",
                    )
                },
            ),
            (
                "Triage (saved through issue_update, with you as the actor)",
                {
                    "fields": (
                        *triage,
                        "substatus",
                        "snooze_display",
                        "resolution_display",
                        "is_public",
                        "deletion_requested_at",
                    )
                },
            ),
            (
                "Counts",
                {
                    "fields": (
                        "count",
                        "user_count_display",
                        "first_seen_display",
                        "last_seen_display",
                        "active_at",
                        "resolved_at",
                        "first_release",
                        "last_release",
                        "num_comments",
                    )
                },
            ),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The form writes no model field (IssueAdminForm.Meta.fields): its fields are its own.
        kwargs["fields"] = ()
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"admin_user": request.user})

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(*ISSUE_DETAIL_RELATED)
        field = Issue._meta.pk if from_field is None else Issue._meta.get_field(from_field)
        try:
            issue = queryset.get(**{field.name: field.to_python(object_id)})
        except (Issue.DoesNotExist, ValidationError, ValueError):
            return None
        issue.permalink_prefix = url_prefix(request)
        return issue

    def has_add_permission(self, request):
        # Issues are opened by events, through record_event.
        return False

    # Displays

    @admin.display(description="shortId", ordering="short_id")
    def short_id_display(self, obj):
        return obj.qualified_short_id

    @admin.display(description="title")
    def title_display(self, obj):
        return obj.title

    @admin.display(description="organization", ordering="project__organization__slug")
    def organization(self, obj):
        return obj.project.organization

    @admin.display(description="status", ordering="status")
    def status_display(self, obj):
        return obj.get_status_display()

    @admin.display(description="count", ordering="times_seen")
    def count(self, obj):
        return obj.times_seen

    @admin.display(description="userCount", ordering="user_count")
    def user_count_display(self, obj):
        return obj.user_count

    @admin.display(description="firstSeen")
    def first_seen_display(self, obj):
        return format_datetime(obj.first_seen)

    @admin.display(description="lastSeen")
    def last_seen_display(self, obj):
        return format_datetime(obj.last_seen)

    @admin.display(description="permalink")
    def permalink(self, obj):
        prefix = getattr(obj, "permalink_prefix", "")
        url = f"{prefix}/organizations/{obj.project.organization.slug}/issues/{obj.pk}/"
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description="assignee")
    def assignee_display(self, obj):
        assignee = getattr(obj, "assignee", None)
        if assignee is None:
            return None
        if assignee.user_id:
            return f"{assignee.user.email} (user, since {assignee.date_added:%Y-%m-%d %H:%M})"
        return f"#{assignee.team.slug} (team, since {assignee.date_added:%Y-%m-%d %H:%M})"

    @admin.display(description="snooze")
    def snooze_display(self, obj):
        snooze = getattr(obj, "snooze", None)
        if snooze is None:
            return None
        parts = []
        if snooze.until:
            parts.append(f"until {snooze.until:%Y-%m-%d %H:%M:%S} UTC")
        if snooze.count:
            window = f" in {snooze.window} min" if snooze.window else ""
            parts.append(f"{snooze.count} more events{window}")
        if snooze.user_count:
            window = f" in {snooze.user_window} min" if snooze.user_window else ""
            parts.append(f"{snooze.user_count} more users{window}")
        if snooze.actor is not None:
            parts.append(f"by {snooze.actor.email}")
        return "; ".join(parts) or "ignored"

    @admin.display(description="resolution")
    def resolution_display(self, obj):
        resolution = getattr(obj, "resolution", None)
        if resolution is None:
            return "plain resolve" if obj.status == IssueStatus.RESOLVED else None
        parts = []
        if resolution.type is not None:
            parts.append(resolution.get_type_display())
        if resolution.release is not None:
            parts.append(f"release {resolution.release.version}")
        if resolution.commit is not None:
            parts.append(f"commit {resolution.commit.key} in {resolution.commit.repository}")
        parts.append(resolution.get_status_display())
        if resolution.actor is not None:
            parts.append(f"by {resolution.actor.email}")
        parts.append(f"at {resolution.datetime:%Y-%m-%d %H:%M:%S} UTC")
        return ", ".join(parts)

    @admin.display(description="public", boolean=True)
    def is_public(self, obj):
        return getattr(obj, "share", None) is not None

"""The admin of issues and everything hanging off them.

Issues change only through the services, as over the API: the change form's status,
assignment and bookmark, and the resolve/ignore/unresolve actions, call issue_update with the
admin user as actor (so the Activity rows name the admin); deleting, from the delete button or
the delete action, calls issue_delete (pending deletion; run_deletions removes the issue after
the grace period). Events and the read models are written only by record_event, and the rows
issue_update and issue_discard keep (activity, assignee, snooze, resolution, share, bookmarks,
subscriptions, seen, hashes, tombstones) only by them: all of these are read-only here.
"""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from issues.changes import IssueChanges
from issues.forms import IssueAdminForm
from issues.gather import ACTIVITY_LIMIT
from issues.models import (
    HIDDEN_STATUSES,
    Activity,
    Assignee,
    Bookmark,
    Environment,
    Event,
    Issue,
    IssueDailyCount,
    IssueEnvironment,
    IssueHash,
    IssueHourlyCount,
    IssueSeen,
    IssueStatus,
    IssueTagKey,
    IssueTagValue,
    IssueTombstone,
    IssueUser,
    Resolution,
    Share,
    Snooze,
    Subscription,
    UserReport,
)
from issues.services import issue_delete, issue_update
from issues.short_ids import parse_qualified_short_id
from issues.status import Ignore, Resolve, StatusChange, Unresolve
from issues_api.admin import ReadOnlyAdminMixin
from issues_api.api.dates import format_datetime
from issues_api.api.numbers import MAX_BIGINT, as_bigint
from issues_api.api.prefix import url_prefix

NO_ENVIRONMENT = "(none)"
# Rows of an issue are found by their project's slug too.
PROJECT_SLUG = "=issue__project__slug"


def environment_filter(path: str):
    """A filter on environment names (they repeat across organizations), through `path`."""

    class EnvironmentFilter(admin.SimpleListFilter):
        title = "environment"
        parameter_name = "environment"

        def lookups(self, request, model_admin):
            names = Environment.objects.order_by("name").values_list("name", flat=True)
            return [
                (name or NO_ENVIRONMENT, name or "(no environment)") for name in names.distinct()
            ]

        def queryset(self, request, queryset):
            value = self.value()
            if value is None:
                return queryset
            name = "" if value == NO_ENVIRONMENT else value
            return queryset.filter(**{path: name})

    return EnvironmentFilter


class IssueSearchMixin:
    """Searches also find issues by qualified short id ("PUMP-STATION-1") and by id."""

    issue_path = "issue__"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return results, may_have_duplicates
        parsed = parse_qualified_short_id(term)
        if parsed is not None and parsed[1] <= MAX_BIGINT:
            slug, short_id = parsed
            results |= queryset.filter(
                **{
                    f"{self.issue_path}project__slug__iexact": slug,
                    f"{self.issue_path}short_id": short_id,
                }
            )
        number = as_bigint(term)
        if number is not None:
            results |= queryset.filter(**{f"{self.issue_path}pk": number})
        return results, may_have_duplicates


@admin.display(description="issue", ordering="issue__id")
def issue_short_id(obj):
    return obj.issue.qualified_short_id if obj.issue_id else None


# Issues


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
class IssueAdmin(IssueSearchMixin, admin.ModelAdmin):
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

    # Saving through the services

    def save_model(self, request, obj, form, change):
        if form.issue_changes is None:
            return
        try:
            issue_update(issue_id=obj.pk, actor=request.user, changes=form.issue_changes)
        except Issue.DoesNotExist:
            # Deleted while the page was open: issue_update leaves hidden issues alone.
            self.message_user(
                request, f"{obj.qualified_short_id} is being deleted: not changed.", messages.ERROR
            )

    def _set_status(self, request, queryset, change: StatusChange, done: str):
        changed = unchanged = hidden = 0
        for issue_id, current in queryset.values_list("pk", "status"):
            if current in HIDDEN_STATUSES:
                hidden += 1
            elif current == change.status:
                unchanged += 1
            else:
                try:
                    issue_update(
                        issue_id=issue_id,
                        actor=request.user,
                        changes=IssueChanges(status=change),
                    )
                except Issue.DoesNotExist:
                    # Deleted meanwhile.
                    hidden += 1
                    continue
                changed += 1
        notes = [f"{done} {changed} {model_ngettext(self.opts, changed)}."]
        if unchanged:
            notes.append(f"{unchanged} already {change.status.label}.")
        if hidden:
            notes.append(f"{hidden} pending deletion left alone.")
        self.message_user(request, " ".join(notes), messages.SUCCESS)

    @admin.action(
        permissions=["change"],
        description="Resolve",
        description_plural="Resolve selected issues",
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def resolve(self, request, queryset):
        self._set_status(request, queryset, Resolve(), "Resolved")

    @admin.action(
        permissions=["change"],
        description="Ignore",
        description_plural="Ignore selected issues",
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def ignore(self, request, queryset):
        self._set_status(request, queryset, Ignore(), "Ignored")

    @admin.action(
        permissions=["change"],
        description="Unresolve",
        description_plural="Unresolve selected issues",
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def unresolve(self, request, queryset):
        self._set_status(request, queryset, Unresolve(), "Unresolved")

    # Deleting through issue_delete

    @admin.action(
        permissions=["delete"],
        description="Delete selected issues (pending deletion, as the API's DELETE)",
    )
    def delete_selected(self, request, queryset):
        """Django's confirmation page, then issue_delete for each issue (delete_queryset)."""
        return django_delete_selected(self, request, queryset)

    def get_deleted_objects(self, objs, request):
        """Only the issues: issue_delete hides them, and their rows go with run_deletions."""
        issues = list(objs)
        perms_needed = set() if self.has_delete_permission(request) else {"issue"}
        listed = [
            f"{issue} (pending deletion; run_deletions removes it and its events after the "
            f"grace period)"
            for issue in issues
        ]
        return listed, {self.opts.verbose_name_plural: len(issues)}, perms_needed, []

    def delete_model(self, request, obj):
        issue_delete(issue_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for issue_id in queryset.values_list("pk", flat=True):
            issue_delete(issue_id=issue_id)

    def response_delete(self, request, obj_display, obj_id):
        if IS_POPUP_VAR in request.POST:
            return super().response_delete(request, obj_display, obj_id)
        self.message_user(
            request,
            f"The issue “{obj_display}” is pending deletion: the API no longer shows it, and "
            "run_deletions removes it after the grace period.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:issues_issue_changelist"))


# Environments, events and the read models: written only by record_event.


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


class IssueRowAdmin(IssueSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """A read-only row of an issue: shown with its issue, filtered by project."""

    list_select_related = ("issue__project",)
    list_filter = ("issue__project__organization", "issue__project")
    # Also searched: the issue's short id or id (IssueSearchMixin).
    search_fields = (PROJECT_SLUG,)
    show_full_result_count = False


class IssueEnvironmentRowAdmin(IssueRowAdmin):
    list_select_related = ("issue__project", "environment")
    list_filter = (
        "issue__project__organization",
        "issue__project",
        environment_filter("environment__name"),
    )


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


@admin.register(IssueTagKey)
class IssueTagKeyAdmin(IssueEnvironmentRowAdmin):
    list_display = ("key", issue_short_id, "environment", "times_seen")
    search_fields = (PROJECT_SLUG, "key")


@admin.register(IssueTagValue)
class IssueTagValueAdmin(IssueEnvironmentRowAdmin):
    list_display = ("key", "value", issue_short_id, "environment", "times_seen", "last_seen")
    search_fields = (PROJECT_SLUG, "key", "value")


# Rows kept by issue_update and issue_discard.


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


# User feedback.


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

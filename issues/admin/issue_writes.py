"""How the issue admin changes issues: only through the services, as the API does.

The change form's status, assignment and bookmark, and the resolve/ignore/unresolve actions,
call issue_update with the admin user as actor (so the Activity rows name the admin);
deleting, from the delete button or the delete action, calls issue_delete (pending deletion;
run_deletions removes the issue after the grace period).
"""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import model_ngettext
from django.http import HttpResponseRedirect
from django.urls import reverse

from issues.changes import IssueChanges
from issues.models import HIDDEN_STATUSES, Issue
from issues.services import issue_delete, issue_update
from issues.status import Ignore, Resolve, StatusChange, Unresolve


class IssueWritesMixin:
    """IssueAdmin's saving, status actions and deleting, each a call of a service."""

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

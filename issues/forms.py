"""The admin's issue form: status, assignment and bookmark, checked as a PUT body is.

The fields are not the model's: what changed becomes a PUT body (camelCase, as the API takes it)
that IssueUpdateValidator checks, and its validated data (an IssueChanges) is what the admin
hands to issue_update, with the admin user as actor.
"""

from django import forms

from accounts.models import User
from accounts.selectors import project_member_user_ids
from issues.changes import IssueChanges
from issues.models import HIDDEN_STATUSES, Bookmark, Issue, IssueStatus
from issues.validators import IssueUpdateValidator

STATUS_CHOICES = (
    ("unresolved", "unresolved"),
    ("resolved", "resolved"),
    ("ignored", "ignored (until unresolved)"),
)
UNASSIGNED = ""

# Form field of each PUT key, to show the validator's errors where they belong.
FORM_FIELDS = {"status": "status", "assignedTo": "assigned_to", "isBookmarked": "bookmarked"}


def actor_value(*, user=None, team=None) -> str:
    """The identifier the API takes in assignedTo: "user:12" or "team:3"."""
    return f"user:{user.pk}" if user is not None else f"team:{team.pk}"


class IssueAdminForm(forms.ModelForm):
    """Built by IssueAdmin.get_form, which sets admin_user, the user saving the form."""

    admin_user = None

    status = forms.ChoiceField(choices=STATUS_CHOICES)
    assigned_to = forms.ChoiceField(
        required=False,
        label="Assigned to",
        help_text="A member of one of the project's teams, or one of its teams.",
    )
    bookmarked = forms.BooleanField(
        required=False, label="Bookmarked by me", help_text="Your own bookmark of this issue."
    )

    class Meta:
        model = Issue
        # Nothing is written to the issue row by the form itself: see issue_changes.
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        issue = self.instance
        self.issue_changes: IssueChanges | None = None
        self.fields["assigned_to"].choices = self._assignee_choices(issue)

        status = IssueStatus(issue.status)
        self.fields["status"].initial = status.label
        assignee = getattr(issue, "assignee", None)
        if assignee is not None:
            self.fields["assigned_to"].initial = actor_value(user=assignee.user, team=assignee.team)
        else:
            self.fields["assigned_to"].initial = UNASSIGNED
        self.fields["bookmarked"].initial = (
            self.admin_user is not None
            and Bookmark.objects.filter(issue=issue, user=self.admin_user).exists()
        )

        if status in HIDDEN_STATUSES:
            # The API no longer sees it: nothing of it changes any more.
            self.fields["status"].choices = [(status.label, status.label)]
            for field in self.fields.values():
                field.disabled = True
                field.help_text = f"The issue is {status.label}: it cannot change."

    @staticmethod
    def _assignee_choices(issue):
        project = issue.project
        users = User.objects.filter(pk__in=project_member_user_ids(project)).order_by("email")
        user_choices = [
            (actor_value(user=user), f"{user.get_display_name()} <{user.email}>") for user in users
        ]
        team_choices = [(actor_value(team=team), f"#{team.slug}") for team in project.teams.all()]
        choices = [(UNASSIGNED, "— unassigned —")]
        current = getattr(issue, "assignee", None)
        if current is not None:
            value = actor_value(user=current.user, team=current.team)
            if value not in {key for key, _ in user_choices + team_choices}:
                # An owner who has since left the project stays shown until changed.
                choices.append((value, f"{current} (no longer in the project)"))
        if user_choices:
            choices.append(("Users", user_choices))
        if team_choices:
            choices.append(("Teams", team_choices))
        return choices

    def clean(self):
        cleaned_data = super().clean()
        body = {}
        changed = set(self.changed_data)
        if "status" in changed and "status" in cleaned_data:
            body["status"] = cleaned_data["status"]
        if "assigned_to" in changed and "assigned_to" in cleaned_data:
            body["assignedTo"] = cleaned_data["assigned_to"] or None
        if "bookmarked" in changed:
            body["isBookmarked"] = cleaned_data.get("bookmarked", False)
        if not body:
            return cleaned_data
        validator = IssueUpdateValidator(
            data=body, context={"project": self.instance.project, "scopes": frozenset()}
        )
        if not validator.is_valid():
            for key, errors in validator.errors.items():
                self.add_error(FORM_FIELDS.get(key), [str(error) for error in errors])
            return cleaned_data
        self.issue_changes = validator.validated_data
        return cleaned_data

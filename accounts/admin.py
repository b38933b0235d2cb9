"""The admin of users, organizations, teams, members, projects, client keys and API tokens.

A token is created here for a user with chosen scopes and an optional expiry; its plaintext is
shown once, in the message after saving, and never again: only its digest is stored, and
neither the digest nor the plaintext appears on any list or form.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from accounts.dsn import dsn
from accounts.models import (
    ApiToken,
    Organization,
    OrganizationMember,
    Project,
    ProjectKey,
    RateLimitCounter,
    Team,
    User,
    UserEmail,
)
from accounts.scopes import SCOPES
from issues_api.admin import ReadOnlyAdminMixin
from issues_api.api.prefix import url_prefix

# Users


class UserCreationForm(AdminUserCreationForm):
    """Email and password; the username is the email, as create_user makes it."""

    class Meta:
        model = User
        fields = ("email", "name")

    def clean(self):
        cleaned_data = super().clean()
        email = cleaned_data.get("email")
        if email:
            self.instance.username = User.objects.normalize_email(email)
            if User.objects.filter(username__iexact=self.instance.username).exists():
                self.add_error("email", "A user with this email as username already exists.")
        return cleaned_data


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserEmailInline(admin.TabularInline):
    model = UserEmail
    extra = 0
    fields = ("email", "is_verified")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = (
        "email",
        "name",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "has_2fa", "is_managed")
    search_fields = ("email", "name", "username")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "last_active")
    inlines = (UserEmailInline,)
    fieldsets = (
        (None, {"fields": ("email", "username", "name", "password")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "is_managed",
                    "has_2fa",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (
            "Options",
            {
                "fields": (
                    "language",
                    "timezone",
                    "stacktrace_order",
                    "clock_24_hours",
                    "workflow_notifications",
                    "avatar_type",
                    "avatar_uuid",
                    "newsletter_consent_prompt",
                )
            },
        ),
        ("Dates", {"fields": ("date_joined", "last_active", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "usable_password", "password1", "password2"),
            },
        ),
    )


@admin.register(UserEmail)
class UserEmailAdmin(admin.ModelAdmin):
    list_display = ("email", "user", "is_verified")
    list_select_related = ("user",)
    list_filter = ("is_verified",)
    search_fields = ("email", "user__email")
    raw_id_fields = ("user",)


# Organizations, teams, members and projects


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "allow_joinleave", "date_created")
    list_filter = ("allow_joinleave",)
    search_fields = ("slug", "name")
    ordering = ("slug",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "organization", "date_added")
    list_select_related = ("organization",)
    list_filter = ("organization",)
    search_fields = ("slug", "name", "organization__slug")


class TeamsOfTheOrganizationForm(forms.ModelForm):
    """Teams must belong to the organization of the member or project."""

    def clean(self):
        cleaned_data = super().clean()
        organization = cleaned_data.get("organization")
        teams = cleaned_data.get("teams")
        if organization is not None and teams:
            strangers = [team.slug for team in teams if team.organization_id != organization.pk]
            if strangers:
                self.add_error(
                    "teams", f"Not teams of {organization.slug}: {', '.join(sorted(strangers))}."
                )
        return cleaned_data


def team_slugs(obj) -> str:
    return ", ".join(team.slug for team in obj.teams.all())


@admin.register(OrganizationMember)
class OrganizationMemberAdmin(admin.ModelAdmin):
    form = TeamsOfTheOrganizationForm
    list_display = ("user", "organization", "role", "teams_display", "date_added")
    list_select_related = ("user", "organization")
    list_filter = ("role", "organization")
    search_fields = ("user__email", "organization__slug")
    raw_id_fields = ("user",)
    filter_horizontal = ("teams",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    @admin.display(description="teams")
    def teams_display(self, obj):
        return team_slugs(obj)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = TeamsOfTheOrganizationForm
    list_display = (
        "slug",
        "name",
        "organization",
        "platform",
        "teams_display",
        "grouping_config",
        "last_short_id",
        "date_added",
    )
    list_select_related = ("organization",)
    # The grouping version stays editable, as Sentry's project settings offer an upgrade; its
    # help text says that moving splits issues (docs/grouping.md).
    list_filter = ("organization", "platform", "grouping_config")
    search_fields = ("slug", "name", "organization__slug")
    filter_horizontal = ("teams",)
    # The short-id counter belongs to record_event.
    readonly_fields = ("last_short_id",)

    def get_readonly_fields(self, request, obj=None):
        # A new project takes the newest grouping version; an existing one may move later.
        if obj is None:
            return (*self.readonly_fields, "grouping_config")
        return self.readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    @admin.display(description="teams")
    def teams_display(self, obj):
        return team_slugs(obj)


# Client keys


@admin.register(ProjectKey)
class ProjectKeyAdmin(admin.ModelAdmin):
    """Keys are made with their project (accounts.apps) or by `manage.py createkey`, through
    project_key_create; here an operator copies a DSN and changes a key's label, state and
    rate limit. A key is deactivated rather than deleted, so a project never loses its last
    one by accident."""

    list_display = ("public_key", "project", "label", "is_active", "date_added")
    list_select_related = ("project",)
    list_filter = ("is_active", "project")
    search_fields = ("=public_key", "label")
    ordering = ("-date_added", "-id")
    fields = (
        "project",
        "dsn_display",
        "label",
        "is_active",
        "rate_limit_count",
        "rate_limit_window",
        "public_key",
        "use_case",
        "date_added",
    )
    readonly_fields = ("project", "dsn_display", "public_key", "use_case", "date_added")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_object(self, request, object_id, from_field=None):
        key = super().get_object(request, object_id, from_field)
        if key is not None:
            # The DSN names the host the operator reaches the service on, as the API's does.
            key.url_prefix = url_prefix(request)
        return key

    @admin.display(description="DSN")
    def dsn_display(self, obj):
        value = dsn(obj, prefix=getattr(obj, "url_prefix", None) or url_prefix())
        return format_html(
            '<input type="text" readonly class="vTextField" size="80" value="{}" '
            'aria-label="DSN" onfocus="this.select()">',
            value,
        )


# API tokens


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (
            ("active", "active"),
            ("expired", "expired"),
            ("revoked", "revoked"),
            ("never", "never expires"),
        )

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(
                Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True
            )
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "never":
            return queryset.filter(expires_at__isnull=True)
        return queryset


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="What the token may do (event:read to read issues, event:write to change "
        "them, event:admin to delete them).",
    )

    class Meta:
        model = ApiToken
        # token_digest and token_last_characters are not editable: never in a form.
        fields = ("user", "name", "scopes", "expires_at")

    def clean_scopes(self):
        return sorted(set(self.cleaned_data["scopes"]))

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and self.instance.pk is None and expires_at <= timezone.now():
            raise ValidationError("A new token cannot expire in the past.")
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = (
        "name",
        "user",
        "scopes_display",
        "last_characters",
        "date_created",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_select_related = ("user",)
    list_filter = (TokenStateFilter,)
    search_fields = ("name", "user__email", "=token_last_characters")
    raw_id_fields = ("user",)
    ordering = ("-date_created", "-id")
    exclude = ("token_digest",)
    actions = ("revoke",)

    @admin.action(
        permissions=["change"],
        description="Revoke",
        description_plural="Revoke selected tokens",
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def revoke(self, request, queryset):
        """A revoked token answers 401 "Invalid token", like a deleted one; it stays listed."""
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "scopes", "expires_at")
        return (
            "user",
            "name",
            "scopes",
            "expires_at",
            "last_characters",
            "date_created",
            "last_used_at",
            "revoked_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # The owner of a token never changes: create a new token instead. Revoking is the
        # "revoke" action, and final.
        return ("user", "last_characters", "date_created", "last_used_at", "revoked_at")

    @admin.display(description="scopes")
    def scopes_display(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description="token", ordering="token_last_characters")
    def last_characters(self, obj):
        return f"…{obj.token_last_characters}"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, plaintext = ApiToken.objects.create_token(
            user=obj.user, scopes=obj.scopes, name=obj.name, expires_at=obj.expires_at
        )
        # The admin goes on with the saved row (its log entry and redirect need the pk).
        obj.__dict__.update(
            {key: value for key, value in token.__dict__.items() if not key.startswith("_")}
        )
        obj._state.adding = False
        obj._state.db = token._state.db
        self.message_user(
            request,
            format_html(
                "Token for {}: <code>{}</code>. Copy it now: it is shown only this once "
                "(only its digest is stored).",
                token.user.email,
                plaintext,
            ),
            messages.WARNING,
        )


# Rate limits


@admin.register(RateLimitCounter)
class RateLimitCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who is counted in the current windows of the rate limit: viewed only, the requests
    themselves write the counts."""

    list_display = ("key", "count", "window_end")
    search_fields = ("key",)
    ordering = ("key",)

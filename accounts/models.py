"""Who may see what: users, organizations, teams, members, projects and API tokens."""

import hashlib
import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from accounts.scopes import SCOPES


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        email = self.normalize_email(email)
        fields.setdefault("username", email)
        fields.setdefault("name", email)
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email; Sentry's user with its options and flags."""

    class AvatarType(models.TextChoices):
        LETTER_AVATAR = "letter_avatar"
        UPLOAD = "upload"
        GRAVATAR = "gravatar"

    class Notifications(models.TextChoices):
        ALL_CONVERSATIONS = "all_conversations"
        PARTICIPATING_ONLY = "participating_only"
        NO_CONVERSATIONS = "no_conversations"

    email = models.EmailField(unique=True)
    username = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_managed = models.BooleanField(default=False)
    has_2fa = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    last_active = models.DateTimeField(null=True, blank=True, default=timezone.now)

    avatar_type = models.CharField(
        max_length=20, choices=AvatarType.choices, default=AvatarType.LETTER_AVATAR
    )
    avatar_uuid = models.CharField(max_length=32, null=True, blank=True)

    # Options (Sentry's UserOption values the API exposes to the user themself).
    language = models.CharField(max_length=16, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    stacktrace_order = models.IntegerField(default=-1)
    clock_24_hours = models.BooleanField(default=False)
    workflow_notifications = models.CharField(
        max_length=20, choices=Notifications.choices, default=Notifications.PARTICIPATING_ONLY
    )

    # Flags.
    newsletter_consent_prompt = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.email

    def get_display_name(self) -> str:
        return self.name or self.email or self.username


class UserEmail(models.Model):
    """An address of a user; the primary one is the user's own email."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField()
    is_verified = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "email"], name="unique_user_email"),
        ]

    def __str__(self):
        return self.email


class Organization(models.Model):
    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=50, unique=True)
    # Open membership (Sentry's allow_joinleave): every member reaches every project.
    allow_joinleave = models.BooleanField("open membership", default=True)
    date_created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.slug


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=50)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="unique_team_slug"),
        ]

    def __str__(self):
        return self.slug


class OrganizationMember(models.Model):
    """A user's membership of an organization, with Sentry's role."""

    class Role(models.TextChoices):
        MEMBER = "member"
        ADMIN = "admin"
        MANAGER = "manager"
        OWNER = "owner"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="unique_member"),
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.role})"


class Project(models.Model):
    """A project of an organization; it numbers its issues with its own short-id counter and
    groups its events into issues by its own grouping version."""

    class GroupingConfig(models.TextChoices):
        """The grouping versions (issues.ingest.grouping holds one algorithm for each; see
        docs/grouping.md). A version never changes once released: a change is a new version,
        so a project's existing issues keep receiving their events until it moves."""

        LEGACY = "legacy:2026-10", "legacy:2026-10 (type, culprit, function or message)"
        NEWSTYLE = "newstyle:2026-11", "newstyle:2026-11 (Sentry-like: in-app frames)"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50)
    platform = models.CharField(max_length=64, null=True, blank=True)
    teams = models.ManyToManyField(Team, blank=True, related_name="projects")
    # The short id of the last issue created in this project (Sentry's Counter).
    last_short_id = models.PositiveBigIntegerField(default=0)
    # New projects take the newest version; the migration that added the field pinned the
    # projects existing then to the legacy one, the algorithm their issues were grouped by.
    grouping_config = models.CharField(
        "grouping version",
        max_length=32,
        choices=GroupingConfig.choices,
        default=GroupingConfig.NEWSTYLE,
        help_text="How events are grouped into issues (docs/grouping.md). Changing it splits "
        "issues: events grouped by another version start new issues.",
    )
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="unique_project_slug"),
        ]

    def __str__(self):
        return self.slug


class ProjectKey(models.Model):
    """A client key of a project (Sentry's ProjectKey): SDKs send events with its public key,
    which their DSN carries. Created by accounts.services.project_key_create, one for every
    new project (accounts.apps); the admin changes only its label, state and rate limit."""

    class UseCase(models.TextChoices):
        # Sentry's other use cases (profiling, escalating issues, demo) are its own internal
        # submissions; this service has none.
        USER = "user"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(max_length=64, blank=True)
    public_key = models.CharField(max_length=32, unique=True, editable=False)
    secret_key = models.CharField(max_length=32, unique=True, editable=False)
    is_active = models.BooleanField("active", default=True)
    # Events accepted per window; both null: no limit (Sentry's rate_limit_count/_window).
    rate_limit_count = models.PositiveIntegerField(null=True, blank=True)
    rate_limit_window = models.PositiveIntegerField(null=True, blank=True, help_text="In seconds.")
    use_case = models.CharField(max_length=32, choices=UseCase.choices, default=UseCase.USER)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_limit_count__isnull=True, rate_limit_window__isnull=True)
                | models.Q(rate_limit_count__isnull=False, rate_limit_window__isnull=False),
                name="project_key_rate_limit_whole",
            ),
        ]

    def __str__(self):
        return self.public_key

    @property
    def name(self) -> str:
        """The label, or the key's first 14 characters as Sentry shows an unlabelled key."""
        return self.label or self.public_key[:14]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiTokenManager(models.Manager):
    def create_token(self, *, user, scopes, name="", expires_at=None, token=None):
        """Create a token and return (api_token, plaintext). The plaintext is never stored."""
        plaintext = token or secrets.token_hex(32)
        api_token = self.create(
            user=user,
            name=name,
            token_digest=hash_token(plaintext),
            token_last_characters=plaintext[-4:],
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        return api_token, plaintext


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest and its last four characters are kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=255, blank=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_last_characters = models.CharField(max_length=4, editable=False)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    date_created = models.DateTimeField(default=timezone.now)
    # Written at most once a minute (see BearerTokenAuthentication), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenManager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.name or 'token'} …{self.token_last_characters} ({self.user})"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def get_scopes(self) -> frozenset[str]:
        return frozenset(scope for scope in self.scopes if scope in SCOPES)


class RateLimitCounter(models.Model):
    """The requests of one client (a user or an address) in one window of the rate limit,
    counted by one atomic upsert (issues_api.api.ratelimit, which finds the model through the
    setting ISSUES_API_RATE_LIMIT_COUNTER_MODEL) when the counters are not in Redis. A row is
    useless once its window has ended and is deleted soon after."""

    key = models.CharField(max_length=200, primary_key=True)
    window_end = models.BigIntegerField(db_index=True)  # epoch seconds
    count = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key}: {self.count}"

"""Releases, the projects they ship, their deploys and commits."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from releases.versions import is_package_release


class Release(models.Model):
    """A version of an organization's code. first/last event are kept by record_event."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="releases"
    )
    projects = models.ManyToManyField(
        "accounts.Project", through="ReleaseProject", related_name="releases"
    )
    version = models.CharField(max_length=250)
    ref = models.CharField(max_length=250, null=True, blank=True)
    url = models.URLField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    date_added = models.DateTimeField(default=timezone.now)
    date_started = models.DateTimeField(null=True, blank=True)
    date_released = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The version's semantic parts when it is one (see releases.versions), so that the
    # greatest semver release can be found by ordering, as Sentry does.
    major = models.BigIntegerField(null=True, blank=True)
    minor = models.BigIntegerField(null=True, blank=True)
    patch = models.BigIntegerField(null=True, blank=True)
    revision = models.BigIntegerField(null=True, blank=True)
    prerelease = models.CharField(max_length=250, blank=True, default="")
    # Read model, second precision like Sentry's event store.
    first_event = models.DateTimeField(null=True, blank=True)
    last_event = models.DateTimeField(null=True, blank=True)
    # Commit and deploy facts, kept by the services that add commits and deploys.
    commit_count = models.PositiveIntegerField(default=0)
    # Distinct commit authors as {"name", "email"}, newest commit's author first.
    authors = models.JSONField(default=list, blank=True)
    last_commit = models.ForeignKey(
        "Commit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deploy_count = models.PositiveIntegerField(default=0)
    last_deploy = models.ForeignKey(
        "Deploy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="unique_release_version"
            ),
        ]

    def __str__(self):
        return self.version

    @property
    def is_semver(self) -> bool:
        """A semver release in Sentry's sense: a semantic version that names its package."""
        return self.major is not None and is_package_release(self.version)


class ReleaseProject(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="release_projects")
    project = models.ForeignKey(
        "accounts.Project", on_delete=models.CASCADE, related_name="release_projects"
    )
    # Issues first seen in this release in this project.
    new_groups = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "project"], name="unique_release_project"),
        ]

    def __str__(self):
        return f"{self.release} in {self.project}"


class Deploy(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="deploys")
    environment_name = models.CharField(max_length=64)
    name = models.CharField(max_length=64, null=True, blank=True)
    url = models.URLField(null=True, blank=True)
    date_started = models.DateTimeField(null=True, blank=True)
    date_finished = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.release} to {self.environment_name}"


class Repository(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="repositories"
    )
    name = models.CharField(max_length=200)
    url = models.URLField(null=True, blank=True)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "repositories"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_repository"),
        ]

    def __str__(self):
        return self.name


class Commit(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="commits"
    )
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="commits")
    key = models.CharField(max_length=64)
    message = models.TextField(null=True, blank=True)
    author_name = models.CharField(max_length=128, null=True, blank=True)
    author_email = models.EmailField(null=True, blank=True)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "key"], name="unique_commit"),
        ]

    def __str__(self):
        return self.key[:12]


class ReleaseCommit(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="release_commits")
    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="release_commits")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["release", "order"]
        constraints = [
            models.UniqueConstraint(fields=["release", "commit"], name="unique_release_commit"),
        ]

    def __str__(self):
        return f"{self.commit} in {self.release}"

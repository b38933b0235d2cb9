"""The admin of releases, their projects, deploys, repositories and commits.

What a service keeps stays its own: a release is created through release_for_version (which
stores its semantic parts) and a deploy through release_record_deploy (which counts it on the
release); commits, written only by release_set_commits, are read-only here, and so are the
facts record_event and those services keep on a release.
"""

from django.contrib import admin

from issues_api.admin import ReadOnlyAdminMixin
from releases.models import Commit, Deploy, Release, ReleaseCommit, ReleaseProject, Repository
from releases.services import release_for_version, release_record_deploy


class ReleaseProjectInline(admin.TabularInline):
    model = ReleaseProject
    extra = 0
    fields = ("project", "new_groups")
    readonly_fields = ("new_groups",)
    raw_id_fields = ("project",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")


RELEASE_FACTS = (
    "major",
    "minor",
    "patch",
    "revision",
    "prerelease",
    "first_event",
    "last_event",
    "commit_count",
    "authors",
    "last_commit",
    "deploy_count",
    "last_deploy",
)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = (
        "version",
        "organization",
        "projects_display",
        "date_added",
        "date_released",
        "first_event",
        "last_event",
        "commit_count",
        "deploy_count",
    )
    list_select_related = ("organization",)
    list_filter = ("organization", "projects")
    search_fields = ("version", "projects__slug")
    raw_id_fields = ("owner",)
    ordering = ("-date_added", "-id")
    inlines = (ReleaseProjectInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("projects")

    def get_fieldsets(self, request, obj=None):
        editable = ("ref", "url", "owner", "date_started", "date_released", "data")
        if obj is None:
            return ((None, {"fields": ("organization", "version", *editable)}),)
        return (
            (None, {"fields": ("organization", "version", "date_added", *editable)}),
            ("Kept by the services", {"fields": RELEASE_FACTS}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # The semantic parts follow the version, so neither changes.
        return ("organization", "version", "date_added", *RELEASE_FACTS)

    @admin.display(description="projects")
    def projects_display(self, obj):
        return ", ".join(project.slug for project in obj.projects.all())

    def save_model(self, request, obj, form, change):
        if not change:
            created = release_for_version(organization_id=obj.organization_id, version=obj.version)
            for name in ("major", "minor", "patch", "revision", "prerelease", "date_added"):
                setattr(obj, name, getattr(created, name))
            obj.pk = created.pk
            obj._state.adding = False
        super().save_model(request, obj, form, change)


@admin.register(ReleaseProject)
class ReleaseProjectAdmin(admin.ModelAdmin):
    list_display = ("release", "project", "organization", "new_groups")
    list_select_related = ("release__organization", "project")
    list_filter = ("release__organization", "project")
    search_fields = ("release__version", "project__slug")
    raw_id_fields = ("release", "project")
    readonly_fields = ("new_groups",)

    def get_readonly_fields(self, request, obj=None):
        return ("new_groups",) if obj is None else ("release", "project", "new_groups")

    @admin.display(description="organization", ordering="release__organization__slug")
    def organization(self, obj):
        return obj.release.organization


@admin.register(Deploy)
class DeployAdmin(admin.ModelAdmin):
    list_display = ("release", "environment_name", "name", "date_started", "date_finished")
    list_select_related = ("release",)
    list_filter = ("environment_name", "release__organization")
    search_fields = ("release__version", "environment_name", "name")
    raw_id_fields = ("release",)
    ordering = ("-date_finished", "-id")

    def get_fields(self, request, obj=None):
        fields = ("release", "environment_name", "name", "url", "date_started")
        return fields if obj is None else (*fields, "date_finished")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("release", "environment_name", "date_finished")

    def has_delete_permission(self, request, obj=None):
        # The release counts its deploys; a deleted one would leave the count wrong.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        deploy = release_record_deploy(
            release=obj.release,
            environment_name=obj.environment_name,
            name=obj.name,
            url=obj.url,
            date_started=obj.date_started,
        )
        obj.pk = deploy.pk
        obj.date_finished = deploy.date_finished
        obj._state.adding = False


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "url", "date_added")
    list_select_related = ("organization",)
    list_filter = ("organization",)
    search_fields = ("name", "organization__slug")


@admin.register(Commit)
class CommitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "repository", "organization", "author_name", "author_email")
    list_select_related = ("repository", "organization")
    list_filter = ("organization", "repository")
    search_fields = ("key", "message", "author_email", "author_name")
    ordering = ("-date_added", "-id")


@admin.register(ReleaseCommit)
class ReleaseCommitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("release", "commit", "repository", "order")
    list_select_related = ("release", "commit__repository")
    list_filter = ("release__organization",)
    search_fields = ("release__version", "commit__key")

    @admin.display(description="repository", ordering="commit__repository__name")
    def repository(self, obj):
        return obj.commit.repository

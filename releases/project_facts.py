"""What the project documents of accounts show of releases (accounts.project_facts)."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Project
from releases.models import Release


def latest_release_versions(project_ids) -> dict[int, object]:
    """{project id: {"version": ...}} of each project's most recent release (by
    COALESCE(date_released, date_added), as Sentry's bulk_fetch_project_latest_releases), for
    the projects that have one: one query."""
    latest = (
        Release.objects.filter(projects=OuterRef("pk"))
        .order_by(Coalesce("date_released", "date_added").desc(), "-id")
        .values("version")[:1]
    )
    rows = (
        Project.objects.filter(pk__in=project_ids)
        .annotate(latest_version=Subquery(latest))
        .filter(latest_version__isnull=False)
        .values_list("pk", "latest_version")
    )
    return {pk: {"version": version} for pk, version in rows}

"""What the project documents of accounts show of issues (accounts.project_facts)."""

from django.db.models import OuterRef, Subquery

from accounts.models import Project
from issues.models import Issue


def first_events(project_ids) -> dict[int, object]:
    """{project id: time of its first event} (Sentry's project.first_event, set when the
    first event arrives) for the projects that have had one: the first-seen time of the
    project's first issue (its lowest short id), one query, each project's read through the
    (project, short_id) index, whatever its number of issues."""
    first = (
        Issue.objects.filter(project=OuterRef("pk")).order_by("short_id").values("first_seen")[:1]
    )
    rows = (
        Project.objects.filter(pk__in=project_ids)
        .annotate(first_event=Subquery(first))
        .filter(first_event__isnull=False)
        .values_list("pk", "first_event")
    )
    return dict(rows)

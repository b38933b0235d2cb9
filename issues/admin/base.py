"""What the admins of an issue's rows share: the environment filter, the search by short id,
and the read-only admin of a row of an issue."""

from django.contrib import admin

from issues.models import Environment
from issues.short_ids import parse_qualified_short_id
from issues_api.admin import ReadOnlyAdminMixin
from issues_api.api.numbers import MAX_BIGINT, as_bigint

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

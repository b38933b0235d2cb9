"""Issue lists: Sentry's `query` language and list parameters, as a django-filter FilterSet.

Supported search terms (whitespace separated, values may be "quoted"):
  is:unresolved | is:resolved | is:ignored | is:assigned | is:unassigned | is:bookmarked
  assigned:me | assigned:<email or username> | assigned:#<team-slug>
  bookmarks:me | bookmarks:<email>
  release:<version> | release:latest
  environment:<name>
  <tag>:<value>             any other key: issues with that tag value (e.g. browser:Chrome)
  free text                 in the title and the culprit
A term that names an unknown user, team or release matches nothing, as in Sentry.
"""

import re
import shlex
from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.models import Team, User
from issues.models import IssueStatus, IssueTagValue
from releases.selectors import latest_release

DEFAULT_QUERY = "is:unresolved"
SORTS = {
    "date": ("-last_seen", "-id"),
    "new": ("-first_seen", "-id"),
    "freq": ("-times_seen", "-id"),
    "user": ("-user_count", "-id"),
}
# Only ASCII digits: Arabic-Indic or fullwidth digits are no period, though int() reads them.
PERIOD = re.compile(r"([0-9]+)([smhdw])")
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_PERIOD = timedelta(days=90)
PERIOD_RANGE = "The stats period is between 1s and 90d."
IS_STATUS = {
    "unresolved": IssueStatus.UNRESOLVED,
    "resolved": IssueStatus.RESOLVED,
    "ignored": IssueStatus.IGNORED,
    "archived": IssueStatus.IGNORED,
}


def parse_period(text: str) -> timedelta | None:
    """ "24h", "14d", "30m"...; "" means no period. Raises ValidationError when malformed."""
    if not text:
        return None
    match = PERIOD.fullmatch(text.strip())
    if not match:
        raise ValidationError({"statsPeriod": [f"Invalid stats period: {text!r}"]})
    digits, unit = match.groups()
    # Bounded before int() and timedelta(): 1000000000d would overflow timedelta, and int()
    # refuses strings of more than 4300 digits. Past nine digits, any unit is past 90 days.
    digits = digits.lstrip("0") or "0"
    seconds = int(digits) * PERIOD_SECONDS[unit] if len(digits) <= 9 else None
    if seconds is None or not 0 < seconds <= MAX_PERIOD.total_seconds():
        raise ValidationError({"statsPeriod": [PERIOD_RANGE]})
    return timedelta(seconds=seconds)


def _terms(query: str) -> list[tuple[str | None, str]]:
    try:
        words = shlex.split(query)
    except ValueError:
        raise ValidationError({"query": ["Invalid query: unbalanced quotes."]}) from None
    terms = []
    for word in words:
        key, separator, value = word.partition(":")
        if separator and key and value:
            terms.append((key.lower(), value))
        else:
            terms.append((None, word))
    return terms


class IssueSearch(django_filters.FilterSet):
    """Filters a queryset of issues from the list's query parameters.

    Expects `request` (for "me") and the project list's context through `projects` in the
    queryset already; environments arrive resolved in `self.environments`.
    """

    query = django_filters.CharFilter(method="filter_query")
    statsPeriod = django_filters.CharFilter(method="filter_period")
    sort = django_filters.CharFilter(method="filter_sort")

    def __init__(
        self, data=None, *args, environments=(), projects=(), default_query=DEFAULT_QUERY, **kwargs
    ):
        data = data.copy() if data is not None else {}
        if "query" not in data:
            data["query"] = default_query
        if not data.get("sort"):
            data["sort"] = "date"
        super().__init__(data, *args, **kwargs)
        self.environments = list(environments)
        self.projects = list(projects)

    @property
    def qs(self):
        queryset = super().qs
        if self.environments:
            queryset = queryset.filter(
                environment_stats__environment__in=self.environments
            ).distinct()
        return queryset

    def filter_sort(self, queryset, name, value):
        if value not in SORTS:
            raise ValidationError(
                {"sort": [f"Invalid sort: {value!r}. Use date, new, freq or user."]}
            )
        return queryset.order_by(*SORTS[value])

    def filter_period(self, queryset, name, value):
        period = parse_period(value)
        if period is None:
            return queryset
        return queryset.filter(last_seen__gte=timezone.now() - period)

    def filter_query(self, queryset, name, value):
        user = self.request.user
        for key, text in _terms(value or ""):
            queryset = queryset.filter(self._term(key, text, user, queryset))
        return queryset

    def _user(self, text, me):
        if text == "me":
            return me
        return (
            User.objects.filter(email__iexact=text).first()
            or User.objects.filter(username__iexact=text).first()
        )

    def _term(self, key, text, me, queryset) -> Q:
        nothing = Q(pk__in=[])
        if key is None:
            return (
                Q(metadata__title__icontains=text)
                | Q(metadata__type__icontains=text)
                | Q(metadata__value__icontains=text)
                | Q(culprit__icontains=text)
            )
        if key == "is":
            text = text.lower()
            if text in IS_STATUS:
                return Q(status=IS_STATUS[text])
            if text == "assigned":
                return Q(assignee__isnull=False)
            if text == "unassigned":
                return Q(assignee__isnull=True)
            if text == "bookmarked":
                return Q(bookmarks__user=me)
            raise ValidationError({"query": [f"Invalid value for is: {text!r}"]})
        if key == "assigned":
            if text.startswith("#"):
                team = Team.objects.filter(slug=text[1:]).first()
                return Q(assignee__team=team) if team else nothing
            user = self._user(text, me)
            return Q(assignee__user=user) if user else nothing
        if key == "bookmarks":
            user = self._user(text, me)
            return Q(bookmarks__user=user) if user else nothing
        if key == "release":
            if text == "latest":
                # The latest release of each project in the list.
                latest = (latest_release(project) for project in self.projects)
                return self._tag("sentry:release", {r.version for r in latest if r is not None})
            return self._tag("sentry:release", {text})
        if key == "environment":
            return Q(environment_stats__environment__name=text)
        return self._tag(key, {text}) | self._tag(f"sentry:{key}", {text})

    @staticmethod
    def _tag(key, values) -> Q:
        return Q(pk__in=IssueTagValue.objects.filter(key=key, value__in=values).values("issue_id"))

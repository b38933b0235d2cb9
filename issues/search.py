"""Issue lists: Sentry's `query` language and list parameters, as a django-filter FilterSet.

Supported search terms (whitespace separated, AND-ed together; values may be "quoted"):
  is:unresolved | is:resolved | is:ignored | is:assigned | is:unassigned | is:bookmarked
  assigned:me | assigned:<email or username> | assigned:#<team-slug of the organization>
  bookmarks:me | bookmarks:<email>
  release:<version> | release:latest
  environment:<name>
  <tag>:<value>             any other key: issues with that tag value (e.g. browser:Chrome)
  free text                 in the title and the culprit ("two words" is one term)
A term that names an unknown user, team or release matches nothing, as in Sentry. A quote
without its closing quote is text (`can't`, `O'Reilly`); `\\"` inside quotes is a quote.

The query is read into a set of terms: a repeated term counts once, as do terms that name the
same thing (`assigned:me` and `assigned:<my email>`); contradictory ones (`is:resolved
is:unresolved`, `is:assigned is:unassigned`) and names of nobody give an empty list without a
query. Each term that looks at another table is one `id IN (subquery)` condition, never a join
(all `environment:` terms together are one: issues seen in each of them), so no term adds joins
or duplicate rows and no DISTINCT is needed; `?environment=` narrows the same way. A query holds
at most MAX_TERMS different terms and MAX_QUERY_LENGTH characters (each free-text term is a
scan with ILIKE); past them it is a 400.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import django_filters
from django.db.models import Count, Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.models import Team, User
from issues.models import (
    Assignee,
    Bookmark,
    Environment,
    IssueEnvironment,
    IssueStatus,
    IssueTagValue,
)
from releases.selectors import latest_release

DEFAULT_QUERY = "is:unresolved"
SORTS = {
    "date": ("-last_seen", "-id"),
    "new": ("-first_seen", "-id"),
    "freq": ("-times_seen", "-id"),
    "user": ("-user_count", "-id"),
}
MAX_TERMS = 50
MAX_QUERY_LENGTH = 4096

# Only ASCII digits: Arabic-Indic or fullwidth digits are no period, though int() reads them.
PERIOD = re.compile(r"([0-9]+)([smhdw]?)")
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_PERIOD = timedelta(days=90)
PERIOD_RANGE = "The stats period is between 1s and 90d."

IS_STATUS = {
    "unresolved": IssueStatus.UNRESOLVED,
    "resolved": IssueStatus.RESOLVED,
    "ignored": IssueStatus.IGNORED,
    "archived": IssueStatus.IGNORED,
}

# key:"quoted value", "quoted text", or a word. A quote only opens a quoted part when its
# closing quote is there; otherwise the lookahead fails and the quote is read as text.
TOKEN = re.compile(
    r"""
      (?P<key>[^\s:"]+):"(?P<quoted_value>(?:\\[\s\S]|[^"\\])*)"(?=\s|$)
    | "(?P<quoted_text>(?:\\[\s\S]|[^"\\])*)"(?=\s|$)
    | (?P<word>\S+)
    """,
    re.VERBOSE,
)


# Past nine digits any unit is past any period this service takes.
PAST_ANY_PERIOD = -1


def period_seconds(text: str, *, default_unit: str | None = None) -> int | None:
    """The seconds of a period: "24h", "14d", "30m", "2w"..., and with `default_unit` a bare
    number too (Sentry's parse_stats_period reads "90" as seconds); None when malformed,
    PAST_ANY_PERIOD past nine digits."""
    match = PERIOD.fullmatch(text.strip())
    if not match:
        return None
    digits, unit = match.groups()
    unit = unit or default_unit
    if unit is None:
        return None
    # Bounded before int() and timedelta(): 1000000000d would overflow timedelta, and int()
    # refuses strings of more than 4300 digits.
    digits = digits.lstrip("0") or "0"
    return int(digits) * PERIOD_SECONDS[unit] if len(digits) <= 9 else PAST_ANY_PERIOD


def parse_period(text: str) -> timedelta | None:
    """ "24h", "14d", "30m"...; "" means no period. Raises ValidationError when malformed."""
    if not text:
        return None
    seconds = period_seconds(text)
    if seconds is None:
        raise ValidationError({"statsPeriod": [f"Invalid stats period: {text!r}"]})
    if not 0 < seconds <= MAX_PERIOD.total_seconds():
        raise ValidationError({"statsPeriod": [PERIOD_RANGE]})
    return timedelta(seconds=seconds)


def sort_order(value: str) -> tuple[str, str]:
    """The ordering of a `sort` value; raises ValidationError (400) for an unknown one."""
    if value not in SORTS:
        raise ValidationError({"sort": [f"Invalid sort: {value!r}. Use date, new, freq or user."]})
    return SORTS[value]


@dataclass(frozen=True)
class Term:
    """One search term: key None is free text."""

    key: str | None
    value: str


def _unquote(text: str) -> str:
    return text.replace('\\"', '"')


def parse_query(query: str) -> list[Term]:
    """The distinct terms of a query, in their first order; raises ValidationError (400) for
    a query past the limits."""
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(
            {"query": [f"The query is too long: at most {MAX_QUERY_LENGTH} characters."]}
        )
    terms = {}
    for match in TOKEN.finditer(query):
        if match["key"] is not None and match["quoted_value"]:
            term = Term(match["key"].lower(), _unquote(match["quoted_value"]))
        elif match["key"] is not None:
            term = Term(None, f"{match['key']}:")  # key:"" names no value: text, as before
        elif match["quoted_text"] is not None:
            term = Term(None, _unquote(match["quoted_text"]))
        else:
            word = match["word"]
            key, separator, value = word.partition(":")
            term = Term(key.lower(), value) if separator and key and value else Term(None, word)
        if term.key == "is":
            term = Term("is", term.value.lower())
        if term.value:
            terms[term] = None
    if len(terms) > MAX_TERMS:
        raise ValidationError(
            {"query": [f"Too many search terms: at most {MAX_TERMS} different terms."]}
        )
    return list(terms)


class IssueSearch(django_filters.FilterSet):
    """Filters a queryset of issues from the list's query parameters.

    Expects `request` (for "me"), the list's organization (team slugs are its own) and its
    projects (for release:latest); environments arrive resolved in `environments`.
    """

    query = django_filters.CharFilter(method="filter_query")
    statsPeriod = django_filters.CharFilter(method="filter_period")
    sort = django_filters.CharFilter(method="filter_sort")

    def __init__(
        self,
        data=None,
        *args,
        organization,
        environments=(),
        projects=(),
        default_query=DEFAULT_QUERY,
        **kwargs,
    ):
        data = data.copy() if data is not None else {}
        if "query" not in data:
            data["query"] = default_query
        if not data.get("sort"):
            data["sort"] = "date"
        super().__init__(data, *args, **kwargs)
        self.organization = organization
        self.environments = list(environments)
        self.projects = list(projects)
        # What the query asks of the events rather than of the issues (Sentry's snuba
        # conditions, which the organization list's `filtered` counts): its tag terms, as
        # (keys, values), and whether it holds free text. Set once .qs has run.
        self.tag_terms: list[tuple[frozenset, frozenset]] = []
        self.has_text = False

    @property
    def qs(self):
        queryset = super().qs
        if self.environments:
            # A subquery, not a join: an issue seen in two of them is listed once.
            rows = IssueEnvironment.objects.filter(environment__in=self.environments)
            queryset = queryset.filter(pk__in=rows.values("issue_id"))
        return queryset

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*sort_order(value))

    def filter_period(self, queryset, name, value):
        period = parse_period(value)
        if period is None:
            return queryset
        return queryset.filter(last_seen__gte=timezone.now() - period)

    def filter_query(self, queryset, name, value):
        terms = parse_query(value or "")
        me = self.request.user
        # Each condition under a key that says what it filters, so that terms which say the
        # same thing (assigned:me and assigned:<my email>) count once.
        conditions: dict[tuple, Q] = {}
        for term in terms:
            if term.key != "environment":
                key, condition = self._condition(term, me)
                conditions[key] = condition
        self.tag_terms = [(key[1], key[2]) for key in conditions if key[0] == "tag"]
        self.has_text = any(key[0] == "text" for key in conditions)
        kinds = Counter(key[0] for key in conditions)
        # An issue has one status and is assigned or not; an unknown name matches nothing.
        if kinds["status"] > 1 or kinds["assigned"] > 1 or kinds["nothing"]:
            return queryset.none()
        environments = {term.value for term in terms if term.key == "environment"}
        if environments:
            conditions[("environments",)] = self._seen_in_every(environments)
        return queryset.filter(Q(*conditions.values()))

    def _user(self, text, me):
        if text == "me":
            return me
        return (
            User.objects.filter(email__iexact=text).first()
            or User.objects.filter(username__iexact=text).first()
        )

    def _condition(self, term: Term, me) -> tuple[tuple, Q]:
        key, text = term.key, term.value
        nothing = ("nothing",), Q(pk__in=[])
        if key is None:
            return ("text", text), (
                Q(metadata__title__icontains=text)
                | Q(metadata__type__icontains=text)
                | Q(metadata__value__icontains=text)
                | Q(culprit__icontains=text)
            )
        if key == "is":
            if text in IS_STATUS:
                return ("status", IS_STATUS[text]), Q(status=IS_STATUS[text])
            if text == "bookmarked":
                return self._bookmarked_by(me)
            if text in ("assigned", "unassigned"):
                assigned = Q(pk__in=Assignee.objects.values("issue_id"))
                return ("assigned", text), assigned if text == "assigned" else ~assigned
            raise ValidationError({"query": [f"Invalid value for is: {text!r}"]})
        if key == "assigned":
            if text.startswith("#"):
                # Team slugs are unique within an organization only.
                team = Team.objects.filter(organization=self.organization, slug=text[1:])
                rows = Assignee.objects.filter(team__in=team)
                return ("assigned to", "team", text[1:]), Q(pk__in=rows.values("issue_id"))
            user = self._user(text, me)
            if user is None:
                return nothing
            rows = Assignee.objects.filter(user=user)
            return ("assigned to", "user", user.pk), Q(pk__in=rows.values("issue_id"))
        if key == "bookmarks":
            user = self._user(text, me)
            return self._bookmarked_by(user) if user else nothing
        if key == "release":
            versions = {text}
            if text == "latest":
                # The latest release of each project in the list.
                latest = (latest_release(project) for project in self.projects)
                versions = {release.version for release in latest if release is not None}
            return self._tag({"sentry:release"}, versions)
        return self._tag({key, f"sentry:{key}"}, {text})

    def _seen_in_every(self, names: set[str]) -> Q:
        """Issues seen in each of the named environments of the organization, in one
        subquery however many names there are."""
        environments = Environment.objects.filter(organization=self.organization, name__in=names)
        rows = IssueEnvironment.objects.filter(environment__in=environments).values("issue_id")
        if len(names) > 1:
            # One row per issue and environment: count the rows of each issue.
            rows = rows.annotate(seen_in=Count("environment_id")).filter(seen_in=len(names))
        return Q(pk__in=rows.values("issue_id"))

    @staticmethod
    def _bookmarked_by(user) -> tuple[tuple, Q]:
        rows = Bookmark.objects.filter(user=user)
        return ("bookmarked by", user.pk), Q(pk__in=rows.values("issue_id"))

    @staticmethod
    def _tag(keys: set[str], values: set[str]) -> tuple[tuple, Q]:
        rows = IssueTagValue.objects.filter(key__in=keys, value__in=values)
        key = ("tag", frozenset(keys), frozenset(values))
        return key, Q(pk__in=rows.values("issue_id"))


@dataclass(frozen=True)
class StatusSearch:
    """A list's search that asks nothing but statuses, a period and an order: the lists'
    default (`is:unresolved`). Its page is one statement written once (selectors.
    status_page), where the search's queryset is compiled by the ORM for every request,
    which cost a list a fifth of its time (issue 10). It finds what IssueSearch finds."""

    # The issue statuses asked: none, any visible one; two different ones, none at all.
    statuses: frozenset[int]
    sort: str
    period: timedelta | None


def status_search(data, default_query: str = DEFAULT_QUERY) -> StatusSearch | None:
    """The StatusSearch of a list's query parameters, when their query holds only `is:`
    terms of statuses; None for any other (IssueSearch then searches). The parameters are
    checked as IssueSearch checks them, in its order: the query, statsPeriod, then sort."""
    values = [data.get(name) for name in ("query", "statsPeriod", "sort")]
    if any(value is not None and value != value.strip() for value in values):
        return None  # IssueSearch's form strips them, with its own outcomes
    terms = parse_query(data.get("query", default_query) or "")
    if any(term.key != "is" or term.value not in IS_STATUS for term in terms):
        return None
    period = parse_period(data.get("statsPeriod") or "")
    sort = data.get("sort") or "date"
    sort_order(sort)
    return StatusSearch(
        statuses=frozenset(IS_STATUS[term.value] for term in terms), sort=sort, period=period
    )

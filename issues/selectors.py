"""Reads. Each function answers one question with a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Max, Min, QuerySet, Sum

from accounts.models import Organization, UserEmail
from accounts.selectors import organization_by_id_or_slug
from issues.models import (
    HIDDEN_STATUSES,
    Activity,
    ActivityType,
    Bookmark,
    Environment,
    Issue,
    IssueEnvironment,
    IssueHourlyCount,
    IssueSeen,
    IssueTagKey,
    IssueUser,
    Subscription,
    UserReport,
)
from issues.short_ids import parse_qualified_short_id
from issues_api.api.numbers import MAX_BIGINT, as_bigint, is_ascii_number
from releases.models import Commit, Release, ReleaseProject

ACTIVITY_LIMIT = 100
TAG_KEY_LIMIT = 100
HOUR = 3600
DAY = 24 * HOUR


def _issue_queryset():
    """The issue row with its project, organization and one-to-one state rows (share,
    assignee, snooze, resolution) and the users or team those name: joins on primary and
    unique keys only. The releases and commits the issue points at are read afterwards by
    _attach_releases_and_commits, in flat queries and only when the issue has them: one
    23-table join cost PostgreSQL ten times more to plan than to run (issue 10)."""
    return Issue.objects.select_related(
        "project__organization",
        "share",
        "assignee__user",
        "assignee__team",
        "snooze__actor",
        "resolution__actor",
    )


def _attach_releases_and_commits(issues: list[Issue], *, issue_releases: bool) -> None:
    """Read the releases (with owner, last commit and last deploy) and the commits the issues'
    documents show, one query each whatever the number of issues, and cache them on the rows
    so the serializers read them without a query. issue_releases adds the first and last
    releases, which only the GET document shows, to the resolutions' ones."""
    release_ids, commit_ids = set(), set()
    for issue in issues:
        if issue_releases:
            release_ids.update((issue.first_release_id, issue.last_release_id))
        resolution = getattr(issue, "resolution", None)
        if resolution is not None:
            release_ids.add(resolution.release_id)
            commit_ids.add(resolution.commit_id)
    release_ids.discard(None)
    commit_ids.discard(None)
    releases = (
        Release.objects.select_related("owner", "last_commit__repository", "last_deploy").in_bulk(
            release_ids
        )
        if release_ids
        else {}
    )
    commits = Commit.objects.select_related("repository").in_bulk(commit_ids) if commit_ids else {}
    for issue in issues:
        if issue_releases:
            if issue.first_release_id is not None:
                issue.first_release = releases[issue.first_release_id]
            if issue.last_release_id is not None:
                issue.last_release = releases[issue.last_release_id]
        resolution = getattr(issue, "resolution", None)
        if resolution is not None:
            if resolution.release_id is not None:
                resolution.release = releases[resolution.release_id]
            if resolution.commit_id is not None:
                resolution.commit = commits[resolution.commit_id]


def issue_by_id(issue_id: int) -> Issue:
    """An issue with everything its document reads from related rows."""
    return _issue_queryset().get(pk=issue_id)


def issue_for_request(*, issue_id: str, organization_id_or_slug: str | None = None) -> Issue:
    """The issue a URL names, hidden or not; raises Issue.DoesNotExist.

    On the legacy routes only numeric ids exist. On the organization route the id may also be
    a qualified short id ("PUMP-STATION-1"), and the issue must belong to that organization.
    """
    queryset = _issue_queryset()
    if organization_id_or_slug is not None:
        try:
            organization = organization_by_id_or_slug(organization_id_or_slug)
        except Organization.DoesNotExist:
            raise Issue.DoesNotExist from None
        queryset = queryset.filter(project__organization=organization)
    if is_ascii_number(issue_id):
        number = as_bigint(issue_id)
        if number is None:
            raise Issue.DoesNotExist
        return queryset.get(pk=number)
    if organization_id_or_slug is None:
        raise Issue.DoesNotExist
    parsed = parse_qualified_short_id(issue_id)
    if parsed is None or parsed[1] > MAX_BIGINT:
        raise Issue.DoesNotExist
    slug, short_id = parsed
    return queryset.get(project__slug=slug, short_id=short_id)


def environments_by_name(*, organization_id: int, names: list[str]) -> list[Environment]:
    """The named environments of an organization; raises Environment.DoesNotExist if one is
    unknown."""
    if not names:
        return []
    wanted = set(names)
    found = list(Environment.objects.filter(organization_id=organization_id, name__in=wanted))
    if len(found) != len(wanted):
        raise Environment.DoesNotExist
    return found


@dataclass
class IssueCounts:
    times_seen: int
    user_count: int
    first_seen: datetime | None
    last_seen: datetime | None


def issue_counts(issue: Issue, environments: list[Environment]) -> IssueCounts:
    """count, userCount, firstSeen and lastSeen, from counters: no scan of events."""
    if not environments:
        return IssueCounts(issue.times_seen, issue.user_count, issue.first_seen, issue.last_seen)
    totals = IssueEnvironment.objects.filter(issue=issue, environment__in=environments).aggregate(
        times_seen=Sum("times_seen"),
        user_count=Sum("user_count"),
        first_seen=Min("first_seen"),
        last_seen=Max("last_seen"),
    )
    user_count = totals["user_count"] or 0
    if len(environments) > 1:
        # A user seen in two environments counts once.
        user_count = (
            IssueUser.objects.filter(issue=issue, environment__in=environments)
            .values("user_key")
            .distinct()
            .count()
        )
    return IssueCounts(
        totals["times_seen"] or 0, user_count, totals["first_seen"], totals["last_seen"]
    )


def _floor(moment: datetime, seconds: int) -> int:
    timestamp = int(moment.timestamp())
    return timestamp - timestamp % seconds


def issue_stats(issue: Issue, environments: list[Environment], *, now: datetime) -> dict:
    """Sentry's 25 hourly and 31 daily [timestamp, count] buckets, aligned to UTC, from one
    query (the daily range holds the hourly one)."""
    _, hours = stats_series(timedelta(days=1), now=now)
    _, days = stats_series(timedelta(days=30), now=now)

    rows = IssueHourlyCount.objects.filter(
        issue=issue,
        hour__gte=datetime.fromtimestamp(days[0], UTC),
        hour__lt=datetime.fromtimestamp(days[-1] + DAY, UTC),
    )
    if environments:
        rows = rows.filter(environment__in=environments)
    hourly = dict.fromkeys(hours, 0)
    daily = dict.fromkeys(days, 0)
    for hour, count in rows.values("hour").annotate(n=Sum("count")).values_list("hour", "n"):
        timestamp = int(hour.timestamp())
        day = timestamp - timestamp % DAY
        daily[day] += count
        if timestamp in hourly:
            hourly[timestamp] += count
    return {
        "24h": [[hour, hourly[hour]] for hour in hours],
        "30d": [[day, daily[day]] for day in days],
    }


def issue_tag_keys(issue: Issue, environments: list[Environment]) -> list[tuple[str, int]]:
    """The 100 most frequent tag keys, as (raw key, events carrying it)."""
    rows = IssueTagKey.objects.filter(issue=issue)
    if environments:
        rows = rows.filter(environment__in=environments)
    return list(
        rows.values("key")
        .annotate(total=Sum("times_seen"))
        .order_by("-total", "key")
        .values_list("key", "total")[:TAG_KEY_LIMIT]
    )


@dataclass
class IssueParts:
    """Everything beyond the issue row that the issue document shows. The detail parts
    (activity, releases, tags, stats, user reports) are only fetched for the GET document."""

    counts: IssueCounts
    seen: list[IssueSeen]
    subscriptions: list[Subscription]
    is_bookmarked: bool
    emails_by_user: dict[int, list[UserEmail]]
    activity: list[Activity] = field(default_factory=list)
    release_projects: list[ReleaseProject] = field(default_factory=list)
    tag_keys: list[tuple[str, int]] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    user_report_count: int = 0


def _dedupe_activity(rows: list[Activity]) -> list[Activity]:
    """Sentry (2020): keep every note, and only the newest row per (type, ident, user)."""
    seen = set()
    kept = []
    for row in rows:
        if row.type != ActivityType.NOTE:
            signature = (row.type, row.ident, row.user_id)
            if signature in seen:
                continue
            seen.add(signature)
        kept.append(row)
    return kept


def _emails_by_user(user_ids: set[int]) -> dict[int, list[UserEmail]]:
    emails_by_user: dict[int, list[UserEmail]] = {user_id: [] for user_id in user_ids}
    if user_ids:
        for email in UserEmail.objects.filter(user_id__in=user_ids).order_by("id"):
            emails_by_user[email.user_id].append(email)
    return emails_by_user


def issue_parts(
    issue: Issue,
    *,
    user,
    environments: list[Environment],
    now: datetime,
    detail: bool,
    collapse: frozenset[str] = frozenset(),
) -> IssueParts:
    """Fetch the parts of the issue document: one query per part, whatever their size.

    detail=False gives what PUT answers with (Sentry's GroupSerializer); detail=True adds
    what only GET shows.
    """
    _attach_releases_and_commits([issue], issue_releases=detail)
    seen = IssueSeen.objects.filter(issue=issue).select_related("user").order_by("-last_seen")
    subscriptions = Subscription.objects.filter(issue=issue).select_related("user").order_by("id")
    if not detail:
        # Only the requester's own rows count outside the GET document.
        seen, subscriptions = seen.filter(user_id=user.pk), subscriptions.filter(user_id=user.pk)
    parts = IssueParts(
        counts=issue_counts(issue, environments),
        seen=list(seen),
        subscriptions=list(subscriptions),
        is_bookmarked=Bookmark.objects.filter(issue=issue, user_id=user.pk).exists(),
        emails_by_user={},
    )

    shown_users = set()
    for related in ("snooze", "resolution"):
        row = getattr(issue, related, None)
        if row is not None and row.actor_id:
            shown_users.add(row.actor_id)

    if detail:
        parts.activity = _dedupe_activity(
            list(
                Activity.objects.filter(issue=issue)
                .select_related("user")
                .order_by("-datetime", "-id")[: ACTIVITY_LIMIT * 2]
            )
        )[:ACTIVITY_LIMIT]
        releases = {r.pk for r in (issue.first_release, issue.last_release) if r is not None}
        if releases and "release" not in collapse:
            parts.release_projects = list(
                ReleaseProject.objects.filter(release_id__in=releases)
                .select_related("project")
                .order_by("project_id")
            )
        reports = UserReport.objects.filter(issue=issue)
        if environments:
            reports = reports.filter(environment__in=environments)
        parts.user_report_count = reports.count()
        # Collapsed parts are not read at all: collapse exists to make the GET cheaper.
        if "tags" not in collapse:
            parts.tag_keys = issue_tag_keys(issue, environments)
        if "stats" not in collapse:
            parts.stats = issue_stats(issue, environments, now=now)

        shown_users |= {row.user_id for row in parts.activity if row.user_id}
        shown_users |= {row.user_id for row in parts.seen}
        shown_users |= {row.user_id for row in parts.subscriptions if row.is_active}
        for release in (issue.first_release, issue.last_release):
            if release is not None and release.owner_id:
                shown_users.add(release.owner_id)
    parts.emails_by_user = _emails_by_user(shown_users)
    return parts


def snooze_is_valid(snooze, issue: Issue, *, now: datetime) -> bool:
    """Whether an ignored issue's snooze still holds (Sentry's GroupSnooze.is_valid, without
    the windowed forms, which record_event ends as events arrive)."""
    if snooze.until is not None and snooze.until <= now:
        return False
    count_reached = (
        snooze.count
        and not snooze.window
        and issue.times_seen - snooze.state.get("times_seen", 0) >= snooze.count
    )
    users_reached = (
        snooze.user_count
        and not snooze.user_window
        and issue.user_count - snooze.state.get("users_seen", 0) >= snooze.user_count
    )
    return not (count_reached or users_reached)


NEW_ISSUE_PERIOD = timedelta(days=7)


def stats_series(period: timedelta, *, now: datetime) -> tuple[int, list[int]]:
    """Sentry's series for a period: hourly buckets up to a day, daily beyond; both ends
    included (so 24h gives 25 buckets and 14d gives 15)."""
    rollup = HOUR if period <= timedelta(days=1) else DAY
    last = _floor(now, rollup)
    first = _floor(now - period, rollup)
    return rollup, list(range(first, last + 1, rollup))


def issues_stats(
    issue_ids: list[int], environments: list[Environment], *, period: timedelta, now: datetime
) -> dict[int, list[list[int]]]:
    """[timestamp, count] buckets of many issues, from one query over the hourly counts."""
    rollup, buckets = stats_series(period, now=now)
    counts = {issue_id: dict.fromkeys(buckets, 0) for issue_id in issue_ids}
    rows = IssueHourlyCount.objects.filter(
        issue_id__in=issue_ids,
        hour__gte=datetime.fromtimestamp(buckets[0], UTC),
        hour__lt=datetime.fromtimestamp(buckets[-1] + rollup, UTC),
    )
    if environments:
        rows = rows.filter(environment__in=environments)
    for issue_id, hour, count in (
        rows.values("issue_id", "hour")
        .annotate(n=Sum("count"))
        .values_list("issue_id", "hour", "n")
    ):
        timestamp = int(hour.timestamp())
        counts[issue_id][timestamp - timestamp % rollup] += count
    return {
        issue_id: [[bucket, series[bucket]] for bucket in buckets]
        for issue_id, series in counts.items()
    }


def issue_list_parts(
    issues: list[Issue], *, user, environments: list[Environment]
) -> dict[int, IssueParts]:
    """The parts of many issues' documents in a fixed number of queries, whatever their
    number (Sentry's get_attrs for a list)."""
    ids = [issue.pk for issue in issues]
    _attach_releases_and_commits(issues, issue_releases=False)
    counts = {issue.pk: issue_counts(issue, []) for issue in issues}
    if environments:
        totals = (
            IssueEnvironment.objects.filter(issue_id__in=ids, environment__in=environments)
            .values("issue_id")
            .annotate(
                times_seen=Sum("times_seen"),
                user_count=Sum("user_count"),
                first_seen=Min("first_seen"),
                last_seen=Max("last_seen"),
            )
        )
        counts = {issue_id: IssueCounts(0, 0, None, None) for issue_id in ids}
        for row in totals:
            counts[row["issue_id"]] = IssueCounts(
                row["times_seen"], row["user_count"], row["first_seen"], row["last_seen"]
            )
        if len(environments) > 1:
            distinct_users = (
                IssueUser.objects.filter(issue_id__in=ids, environment__in=environments)
                .values("issue_id")
                .annotate(n=Count("user_key", distinct=True))
            )
            for row in distinct_users:
                counts[row["issue_id"]].user_count = row["n"]

    seen = {
        row.issue_id: row
        for row in IssueSeen.objects.filter(issue_id__in=ids, user_id=user.pk).select_related(
            "user"
        )
    }
    subscriptions = {
        row.issue_id: row
        for row in Subscription.objects.filter(issue_id__in=ids, user_id=user.pk).select_related(
            "user"
        )
    }
    bookmarked = set(
        Bookmark.objects.filter(issue_id__in=ids, user_id=user.pk).values_list(
            "issue_id", flat=True
        )
    )
    actors = set()
    for issue in issues:
        for related in ("snooze", "resolution"):
            row = getattr(issue, related, None)
            if row is not None and row.actor_id:
                actors.add(row.actor_id)
    emails = _emails_by_user(actors)
    return {
        issue.pk: IssueParts(
            counts=counts[issue.pk],
            seen=[seen[issue.pk]] if issue.pk in seen else [],
            subscriptions=[subscriptions[issue.pk]] if issue.pk in subscriptions else [],
            is_bookmarked=issue.pk in bookmarked,
            emails_by_user=emails,
        )
        for issue in issues
    }


def issues_for_list(projects) -> QuerySet:
    """Visible issues of the projects, with what their documents read from related rows."""
    return _issue_queryset().filter(project__in=projects).exclude(status__in=HIDDEN_STATUSES)

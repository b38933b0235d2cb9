"""Sentry's stats series of an issue: hourly buckets up to a day, daily beyond, filled from
the hourly or daily counts (read models) that issues.gather reads with the issue."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

HOUR = 3600
DAY = 24 * HOUR
DETAIL_STATS_PERIOD = timedelta(days=30)


class Counts(NamedTuple):
    """The read models of a stats rollup: per environment (for ?environment=) and all
    environments together (the totals: one row a bucket, however many environments the issue
    was seen in), their bucket's column, and the statement's column that holds them."""

    per_environment: str
    total: str
    column: str
    name: str


COUNTS = {
    HOUR: Counts("issues_issuehourlycount", "issues_issuehourlytotal", "hour", "hours"),
    DAY: Counts("issues_issuedailycount", "issues_issuedailytotal", "day", "days"),
}


def _floor(moment: datetime, seconds: int) -> int:
    timestamp = int(moment.timestamp())
    return timestamp - timestamp % seconds


def stats_series(period: timedelta, *, now: datetime) -> tuple[int, list[int]]:
    """Sentry's series for a period: hourly buckets up to a day, daily beyond; both ends
    included (so 24h gives 25 buckets and 14d gives 15)."""
    rollup = HOUR if period <= timedelta(days=1) else DAY
    last = _floor(now, rollup)
    first = _floor(now - period, rollup)
    return rollup, list(range(first, last + 1, rollup))


def stats_buckets(
    counts: Iterable[tuple[int, int]], *, rollup: int, buckets: list[int]
) -> list[list[int]]:
    """[timestamp, count] buckets of a series (stats_series), from (epoch seconds, count)
    pairs of hourly or daily counts (the series' rollup)."""
    first, number = buckets[0], len(buckets)
    totals = [0] * number
    for timestamp, count in counts:
        # The series starts on a multiple of the rollup, so this is the bucket's index.
        index = (timestamp - first) // rollup
        if 0 <= index < number:
            totals[index] += count
    return [[bucket, total] for bucket, total in zip(buckets, totals, strict=True)]


# ---- The organization list's groupStatsPeriod (Sentry's GroupStatsMixin) --------------------

GROUP_STATS_PERIODS = ("", "24h", "14d", "auto")
INVALID_GROUP_STATS_PERIOD = "Invalid stats_period. Valid choices are '', '24h', '14d' and 'auto'"
# Sentry's STATS_PERIOD_CHOICES: the number of buckets and their rollup.
FIXED_GROUP_STATS = {"24h": (24, HOUR), "14d": (14, DAY)}
# "auto" aims at about 30 buckets over the window: the first of these rollups that gives at
# most AUTO_SEGMENTS of them (12 hours may give 35), else whole days.
AUTO_SEGMENTS = 29
AUTO_ROLLUPS = ((1, HOUR), (2, HOUR), (3, HOUR), (6, HOUR), (12, HOUR), (24, HOUR))


def auto_rollup(window: timedelta) -> int:
    """Sentry's rollup for groupStatsPeriod=auto over a window, in whole hours at the least:
    below a day Sentry cuts the window in 29 (minutes, seconds), which the hourly counts
    this service keeps cannot show."""
    seconds = window.total_seconds()
    for hours, unit in AUTO_ROLLUPS:
        segments = 35 if hours == 12 else AUTO_SEGMENTS
        if seconds < segments * hours * unit:
            return hours * unit
    return max(round(seconds / (AUTO_SEGMENTS * DAY)), 1) * DAY


def group_stats_series(name: str, *, window: timedelta, now: datetime) -> tuple[int, list[int]]:
    """The buckets of a groupStatsPeriod ("24h", "14d" or "auto"; "" has none): 24 hours or
    14 days ending with the current one, or for "auto" the search window (statsPeriod) in
    auto_rollup's buckets."""
    if name in FIXED_GROUP_STATS:
        number, rollup = FIXED_GROUP_STATS[name]
        last = _floor(now, rollup)
        return rollup, [last - rollup * index for index in reversed(range(number))]
    rollup = auto_rollup(window)
    return rollup, list(range(_floor(now - window, rollup), _floor(now, rollup) + 1, rollup))


def counts_rollup(rollup: int) -> int:
    """The read model a rollup sums: the hourly counts below a day, the daily ones beyond."""
    return HOUR if rollup < DAY else DAY

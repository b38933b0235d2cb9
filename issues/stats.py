"""Sentry's stats series of an issue: hourly buckets up to a day, daily beyond, filled from
the hourly or daily counts (read models) that issues.gather reads with the issue."""

from datetime import datetime, timedelta

HOUR = 3600
DAY = 24 * HOUR
DETAIL_STATS_PERIOD = timedelta(days=30)
# The read model and column of each stats rollup, and the statement's column that holds them.
COUNTS = {
    HOUR: ("issues_issuehourlycount", "hour", "hours"),
    DAY: ("issues_issuedailycount", "day", "days"),
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
    counts: list[tuple[int, int]], *, rollup: int, buckets: list[int]
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

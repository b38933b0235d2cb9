"""Datetimes as Sentry renders them: UTC, ISO 8601, trailing Z, microseconds kept if any."""

from datetime import UTC, datetime


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

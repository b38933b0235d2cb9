"""Rate limits as Sentry writes them ("5/1s"), parsed without Django so settings can check
ISSUES_API_RATE_LIMIT at start-up."""

import re
from dataclasses import dataclass

RATE = re.compile(r"^\s*([0-9]{1,9})\s*/\s*([0-9]{0,9})\s*([smhd])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds
    text: str  # as Sentry prints it, e.g. "5/1s"


def parse_rate(text: str) -> Rate | None:
    """None for "" (no limit); raises ValueError when malformed."""
    if not text:
        return None
    match = RATE.match(text)
    if not match:
        raise ValueError(
            f"Invalid ISSUES_API_RATE_LIMIT {text!r}: use N/<count><s|m|h|d>, e.g. 5/1s"
        )
    limit, count, unit = match.groups()
    count = int(count or 1)
    if int(limit) < 1 or count < 1:
        raise ValueError(f"Invalid ISSUES_API_RATE_LIMIT {text!r}: both numbers are positive")
    return Rate(int(limit), count * UNIT_SECONDS[unit], f"{int(limit)}/{count}{unit}")

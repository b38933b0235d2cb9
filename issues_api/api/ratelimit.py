"""Per-user rate limits with Sentry's 429 body and X-Sentry-Rate-Limit-* headers.

Off unless ISSUES_API_RATE_LIMIT is set (e.g. "5/1s": 5 requests per user per second). The
counters live in Django's default cache, which every gunicorn worker shares: the database
cache, or Redis when REDIS_URL is set.
"""

import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle

RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds
    text: str  # as Sentry prints it, e.g. "5/1s"


def parse_rate(text: str) -> Rate:
    match = RATE.match(text or "")
    if not match:
        raise ValueError(f"Invalid rate limit {text!r}: use N/<count><s|m|h|d>, e.g. 5/1s")
    limit, count, unit = match.groups()
    count = int(count or 1)
    if int(limit) < 1 or count < 1:
        raise ValueError(f"Invalid rate limit {text!r}: both numbers must be positive")
    return Rate(int(limit), count * UNIT_SECONDS[unit], f"{int(limit)}/{count}{unit}")


def configured_rate() -> Rate | None:
    text = settings.ISSUES_API_RATE_LIMIT
    return parse_rate(text) if text else None


class RateLimited(APIException):
    status_code = 429
    default_code = "rate_limited"

    def __init__(self, rate: Rate, wait: int):
        super().__init__(
            f"You are attempting to use this endpoint too quickly. Limit is {rate.text}"
        )
        self.wait = wait


@dataclass(frozen=True)
class RateLimitState:
    rate: Rate
    remaining: int
    reset: int  # epoch seconds when the window ends

    def headers(self) -> dict[str, str]:
        return {
            "X-Sentry-Rate-Limit-Limit": str(self.rate.limit),
            "X-Sentry-Rate-Limit-Remaining": str(self.remaining),
            "X-Sentry-Rate-Limit-Reset": str(self.reset),
        }


class UserRateThrottle(BaseThrottle):
    """A fixed window per user and rate. The state is kept on the request for the headers."""

    def allow_request(self, request, view):
        rate = configured_rate()
        if rate is None or request.user is None:
            return True
        now = int(time.time())
        start = now - now % rate.window
        key = f"issues-api:rate:{request.user.pk}:{rate.window}:{start}"
        cache.add(key, 0, timeout=rate.window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=rate.window + 1)
            count = 1
        state = RateLimitState(rate, max(0, rate.limit - count), start + rate.window)
        request.rate_limit = state
        return count <= rate.limit

    def wait(self):
        return None

"""Per-user rate limits with Sentry's 429 body and X-Sentry-Rate-Limit-* headers.

Off unless ISSUES_API_RATE_LIMIT is set (e.g. "5/1s": 5 requests per user per second). The
counters live in Django's default cache, which every gunicorn worker shares: the database
cache, or Redis when REDIS_URL is set.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle

from issues_api.rates import Rate, parse_rate


def configured_rate() -> Rate | None:
    return parse_rate(settings.ISSUES_API_RATE_LIMIT)


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
        # The key names its window, so it may outlive it: a minute's slack keeps a slow burst
        # of requests (or a busy cache) from losing the count halfway through a window.
        ttl = rate.window + 60
        cache.add(key, 0, timeout=ttl)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=ttl)
            count = 1
        state = RateLimitState(rate, max(0, rate.limit - count), start + rate.window)
        request.rate_limit = state
        return count <= rate.limit

    def wait(self):
        return None

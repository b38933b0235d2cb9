"""The base of every endpoint: Sentry's response headers and CORS preflight."""

import time

from django.utils.cache import patch_vary_headers
from rest_framework.views import APIView

from issues_api.api.ratelimit import RateLimited, UserRateThrottle

CORS_ALLOW_HEADERS = (
    "X-Sentry-Auth, X-Requested-With, Origin, Accept, Content-Type, Authentication, Authorization"
)
CORS_EXPOSE_HEADERS = "X-Sentry-Error, Retry-After"


class SentryEndpoint(APIView):
    """An APIView answering with the headers of Sentry's reference responses, rate limited
    per user when ISSUES_API_RATE_LIMIT is set."""

    throttle_classes = [UserRateThrottle]

    def throttled(self, request, wait):
        state = request.rate_limit
        raise RateLimited(state.rate, wait=max(1, state.reset - int(time.time())))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            for name, value in state.headers().items():
                response[name] = value
            if response.status_code == 429:
                response["Retry-After"] = str(max(1, state.reset - int(time.time())))
        allow = ", ".join(self.allowed_methods)
        response["Allow"] = allow
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = allow
        response["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
        response["X-Frame-Options"] = "deny"
        response["X-Content-Type-Options"] = "nosniff"
        response["X-XSS-Protection"] = "1; mode=block"
        response["Content-Language"] = "en"
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

"""The base of every endpoint: the Allow header and per-user rate limits."""

import time

from rest_framework.views import APIView

from issues_api.api.ratelimit import RateLimited, UserRateThrottle


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
        # The constant headers come from SentryHeadersMiddleware; these depend on the view.
        allow = ", ".join(self.allowed_methods)
        response["Allow"] = allow
        response["Access-Control-Allow-Methods"] = allow
        return response

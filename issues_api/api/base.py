"""The base of every endpoint: the Allow header and the rate limits.

Every endpoint authenticates with the bearer token (settings' DEFAULT_AUTHENTICATION_CLASSES)
and names, once in its app's base endpoint, a ScopedPermission (issues_api.api.permissions)
that the app defines for its objects; handlers load their object through a helper of that
base, which calls check_object_permissions."""

import time

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.views import APIView

from issues_api.api.ratelimit import AddressRateThrottle, RateLimited, UserRateThrottle


class SentryEndpoint(APIView):
    """An APIView answering with the headers of Sentry's reference responses, rate limited
    when ISSUES_API_RATE_LIMIT is set: per user, or per address without valid credentials."""

    throttle_classes = [UserRateThrottle]

    def perform_authentication(self, request):
        # DRF raises a failed authentication here and refuses anonymous requests in the
        # permissions, both before the throttles run: the address is counted first, so that
        # a client guessing tokens gets 429 once over the limit, not an endless run of 401s.
        try:
            user = request.user
        except AuthenticationFailed:
            self.check_address_throttle(request)
            raise
        if user is None:
            self.check_address_throttle(request)

    def check_address_throttle(self, request):
        # A browser's CORS preflight never carries credentials, and precedes each of its
        # authenticated requests: counting it would refuse them once the address is over.
        if request.method == "OPTIONS":
            return
        if not AddressRateThrottle().allow_request(request, self):
            self.throttled(request, None)

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
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(self.release_response)
        return response

    def release_response(self, response):
        """Once rendered, the response leaves the reference cycles DRF puts it in (its
        renderer context names it, and the view keeps it): it and its data are then freed
        when the server is done with it, not later by the cyclic garbage collector, whose
        passes over a large list's thousands of objects cost a fifth of its time."""
        context = getattr(response, "renderer_context", None)
        if context:
            context.pop("response", None)
        self.__dict__.pop("response", None)

"""The base of every endpoint: Sentry's response headers and CORS preflight."""

from django.utils.cache import patch_vary_headers
from rest_framework.views import APIView

CORS_ALLOW_HEADERS = (
    "X-Sentry-Auth, X-Requested-With, Origin, Accept, Content-Type, Authentication, Authorization"
)
CORS_EXPOSE_HEADERS = "X-Sentry-Error, Retry-After"


class SentryEndpoint(APIView):
    """An APIView answering with the headers of Sentry's reference responses."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
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

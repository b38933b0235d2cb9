"""The headers of Sentry's reference responses, on every answer under /api/ (errors that
Django gives outside DRF included)."""

from django.utils.cache import patch_vary_headers

CORS_ALLOW_HEADERS = (
    "X-Sentry-Auth, X-Requested-With, Origin, Accept, Content-Type, Authentication, Authorization"
)
CORS_EXPOSE_HEADERS = "X-Sentry-Error, Retry-After"
API_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
    "Access-Control-Expose-Headers": CORS_EXPOSE_HEADERS,
    "X-Frame-Options": "deny",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
    "Content-Language": "en",
}


class SentryHeadersMiddleware:
    """Listed after XFrameOptionsMiddleware, so that its lower-case "deny" is the one kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            for name, value in API_HEADERS.items():
                # The ingest routes answer CORS for browser SDKs with headers of their own.
                if name.startswith("Access-Control-") and response.has_header(name):
                    continue
                response[name] = value
            if response.has_header("Link"):
                # Lists page with Link cursors: let browser clients read them.
                response["Access-Control-Expose-Headers"] = f"{CORS_EXPOSE_HEADERS}, Link"
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

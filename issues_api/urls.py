from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from issues_api.api.errors import (
    json_bad_request,
    json_not_found,
    json_permission_denied,
    json_server_error,
)

urlpatterns = [
    # The service's OpenAPI schema and Swagger UI: public (SPECTACULAR_SETTINGS).
    path("api/0/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/0/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # The admin's and Swagger UI's (drf-spectacular-sidecar) files, found in the installed
    # apps and served by the app itself: under gunicorn nothing else serves them, and the
    # docs page must need no CDN. They are few and small.
    re_path(
        rf"^{settings.STATIC_URL.strip('/')}/(?P<path>.+)$",
        serve_static,
        {"insecure": True},
    ),
    path("api/0/", include("issues.urls")),
    path("api/0/", include("accounts.urls")),
    path("api/0/", include("releases.urls")),
    path("admin/", admin.site.urls),
    # Where SDKs send events (their DSN's project), last: its optional path prefix is wide.
    path("", include("issues.ingest.urls")),
]

handler400 = json_bad_request
handler403 = json_permission_denied
handler404 = json_not_found
handler500 = json_server_error

from pathlib import Path

import drf_spectacular_sidecar
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from issues_api.api.errors import (
    json_bad_request,
    json_not_found,
    json_permission_denied,
    json_server_error,
)

# Swagger UI's own files (drf-spectacular-sidecar), served by the app itself so that the docs
# page needs no CDN and works under gunicorn, where nothing else serves static files.
SIDECAR_STATIC = (
    Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar"
)

urlpatterns = [
    # The service's OpenAPI schema and Swagger UI: public (SPECTACULAR_SETTINGS).
    path("api/0/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/0/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    re_path(
        rf"^{settings.STATIC_URL.strip('/')}/drf_spectacular_sidecar/(?P<path>.+)$",
        serve,
        {"document_root": SIDECAR_STATIC},
    ),
    path("api/0/", include("issues.urls")),
    path("admin/", admin.site.urls),
]

handler400 = json_bad_request
handler403 = json_permission_denied
handler404 = json_not_found
handler500 = json_server_error

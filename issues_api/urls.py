from django.contrib import admin
from django.urls import include, path

from issues_api.api.errors import json_not_found, json_server_error

urlpatterns = [
    path("api/0/", include("issues.urls")),
    path("admin/", admin.site.urls),
]

handler404 = json_not_found
handler500 = json_server_error

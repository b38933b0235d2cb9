from django.urls import re_path

from issues.ingest.apis import ingest_api
from issues_api.ingest_routes import INGEST_ROUTE

urlpatterns = [re_path(INGEST_ROUTE, ingest_api)]

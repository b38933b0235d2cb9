"""WSGI entry point, served by gunicorn (behind nginx in production: deploy/nginx/)."""

import os

from django.core.wsgi import get_wsgi_application

from issues_api.chunked import ChunkedRequestBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issues_api.settings")

application = ChunkedRequestBodies(get_wsgi_application())

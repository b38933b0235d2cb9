"""gunicorn's settings for the ingest endpoints (POST /api/{project_id}/envelope/ and
/store/), served apart from the API: `gunicorn -c deploy/gunicorn/ingest.py`.

gunicorn's ASGI worker runs issues.ingest_asgi: one event loop a process. An accepted
event waits for its commit (durable, as the SDK was told); that wait costs no CPU, and the
commits of every request waiting at once are one statement (issues.services.accept_async).
Under the gthread worker, with Django's WSGI handler, each envelope cost the worker about
twice the CPU (docs/ingest.md). The API keeps sync workers: its
requests are CPU, not waits.
"""

import os

wsgi_app = "issues.ingest_asgi:application"
bind = os.environ.get("ISSUES_API_INGEST_BIND", "0.0.0.0:8001")
worker_class = "asgi"
workers = int(os.environ.get("ISSUES_API_INGEST_WORKERS", "2"))
# asyncio's own loop: uvloop, one more dependency, was no faster on a trivial app here.
asgi_loop = "asyncio"
# SDKs keep their connection open between envelopes.
keepalive = 5
# Each request touches the worker's heartbeat file: in memory, not on the container's disk
# (gunicorn's advice; a few percent of envelopes a second here).
# gunicorn makes the file there itself (mkstemp, unlinked at once).
SHARED_MEMORY = "/dev/shm"  # noqa: S108
if os.path.isdir(SHARED_MEMORY):
    worker_tmp_dir = SHARED_MEMORY

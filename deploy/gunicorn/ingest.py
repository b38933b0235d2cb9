"""gunicorn's settings for the ingest endpoints (POST /api/{project_id}/envelope/ and
/store/), served apart from the API: `gunicorn -c deploy/gunicorn/ingest.py`.

An accepted event is one INSERT whose commit waits for the write-ahead log to reach the disk
(durable, as the SDK was told). That wait is most of a request, and costs no CPU: threads
keep the two cores busy meanwhile, and PostgreSQL flushes the commits that wait together
with one fsync (group commit). Two sync workers would flush one commit at a time each:
about five times fewer envelopes per second on the same machine (make bench, ingest).
The API keeps sync workers: its requests are CPU, not waits.
"""

import os

wsgi_app = "issues_api.wsgi:application"
bind = os.environ.get("ISSUES_API_INGEST_BIND", "0.0.0.0:8001")
worker_class = "gthread"
workers = int(os.environ.get("ISSUES_API_INGEST_WORKERS", "2"))
threads = int(os.environ.get("ISSUES_API_INGEST_THREADS", "8"))
# SDKs keep their connection open between envelopes.
keepalive = 5
# Each request touches the worker's heartbeat file: in memory, not on the container's disk
# (gunicorn's advice; a few percent of envelopes a second here).
# gunicorn makes the file there itself (mkstemp, unlinked at once).
SHARED_MEMORY = "/dev/shm"  # noqa: S108
if os.path.isdir(SHARED_MEMORY):
    worker_tmp_dir = SHARED_MEMORY

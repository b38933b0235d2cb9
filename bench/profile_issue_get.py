"""Profile GET /api/0/issues/{id}/ in-process: per-request time and where the CPU goes.

Runs against the configured database as it is (build it first with
`manage.py migrate && manage.py seed_example --token-only`), through Django's test Client:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/issues_api_perf \
        .venv/bin/python bench/profile_issue_get.py --token TOKEN [--issue 1] [-n 500]

It prints the median and quartiles of the per-request milliseconds (without the profiler),
the queries one GET runs, and the top functions of a cProfile over the same number of GETs.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issues_api.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--issue", default="1")
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    client = Client(HTTP_AUTHORIZATION=f"Bearer {args.token}", HTTP_HOST="localhost")
    url = f"/api/0/issues/{args.issue}/"

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]

    for _ in range(20):  # warm up: imports, connection, caches
        get()

    with CaptureQueriesContext(connection) as queries:
        get()
    print(f"{len(queries)} queries per GET")
    for query in queries:
        print(f"  {query['time']}s {query['sql'][:110]}")

    timings = []
    for _ in range(args.n):
        start = time.perf_counter()
        get()
        timings.append((time.perf_counter() - start) * 1000)
    quartiles = statistics.quantiles(timings, n=4)
    print(
        f"{args.n} GETs: median {statistics.median(timings):.2f} ms/request "
        f"(q1 {quartiles[0]:.2f}, q3 {quartiles[2]:.2f})"
    )

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.n):
        get()
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"cProfile of {args.n} GETs, top {args.top} by cumulative time:")
    stats.sort_stats("cumulative").print_stats(args.top)
    print(f"top {args.top} by own time:")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()

"""EXPLAIN (ANALYZE, SUMMARY) every query one GET /api/0/issues/{id}/ runs, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/issues_api_perf \
        .venv/bin/python bench/explain_issue_get.py --token TOKEN [--issue 1] [--runs 30]

The queries are captured from one GET through Django's test Client, then each is explained
--runs times; the median planning and execution milliseconds are printed per query and summed.
"""

import argparse
import os
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issues_api.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PLANNING = re.compile(r"Planning Time: ([\d.]+) ms")
EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--issue", default="1")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--plan", action="store_true", help="print the plan of the first query")
    args = parser.parse_args()

    client = Client(HTTP_AUTHORIZATION=f"Bearer {args.token}", HTTP_HOST="localhost")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/0/issues/{args.issue}/")
    assert response.status_code == 200, response.content[:300]

    total_planning = total_execution = 0.0
    with connection.cursor() as cursor:
        for index, query in enumerate(queries.captured_queries):
            sql = query["sql"]
            # Statements of issues_api.jsonrows are prepared: EXPLAIN EXECUTE runs their plan.
            if not sql.lstrip().upper().startswith(("SELECT", "EXECUTE")):
                continue
            planning, execution = [], []
            for _ in range(args.runs):
                cursor.execute(f"EXPLAIN (ANALYZE, SUMMARY) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                planning.append(float(PLANNING.search(plan).group(1)))
                execution.append(float(EXECUTION.search(plan).group(1)))
            if args.plan and index <= 2:
                print(plan)
            tables = sql.count(" JOIN ") + 1
            p, e = statistics.median(planning), statistics.median(execution)
            total_planning += p
            total_execution += e
            print(f"{p:7.3f} plan {e:7.3f} exec  {tables:2d} tables  {sql[:90]}")
    print(
        f"{len(queries)} queries; sum of medians: planning {total_planning:.3f} ms, "
        f"execution {total_execution:.3f} ms"
    )


if __name__ == "__main__":
    main()

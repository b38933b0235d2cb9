"""Run requests at the same moment from several threads, each with its own database
connection: what the PostgreSQL concurrency tests share."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(tasks: list[Callable[[], object]], *, timeout: float = 60) -> list:
    """Start every task in a thread of its own, all released at once by a barrier; return
    their results in order (an exception a task raised stands in for its result)."""
    barrier = threading.Barrier(len(tasks))
    results: list = [None] * len(tasks)

    def worker(index, task):
        try:
            barrier.wait(timeout=10)
            results[index] = task()
        except Exception as error:  # reported by the caller's assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads)
    return results

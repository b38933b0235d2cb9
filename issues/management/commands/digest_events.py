import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, connection

from issues.services import events_digest

logger = logging.getLogger("issues.ingest")

# In a row, before --once gives up; the loop without --once keeps trying.
ONCE_ATTEMPTS = 3


class Command(BaseCommand):
    help = (
        "Apply the events SDKs sent (queued by the ingest endpoints) in batches, each in one "
        "transaction (issues.services.digest); with --once until the queue is empty, else "
        "forever, until SIGTERM or SIGINT. Several may run at once on PostgreSQL (FOR UPDATE "
        "SKIP LOCKED)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="digest what is queued, then exit")
        # A batch's statements are as many for 2,000 events as for 1: larger batches spread
        # them (15,300 SDK events in 11.3 s with batches of 2,000, 13.2 s with 500, 14.7 s with
        # 250). A batch takes what is queued, up to this: under a steady 500 events a second it
        # holds a few hundred, and commits within the second (make bench, end to end).
        parser.add_argument("--batch", type=int, default=2000, help="events per transaction")
        parser.add_argument(
            "--idle-sleep", type=float, default=0.5, help="seconds to wait when the queue is empty"
        )

    def handle(self, *args, once=False, batch=2000, idle_sleep=0.5, **options):
        stop = threading.Event()
        previous = {}
        if not once:
            # The batch under way finishes (or rolls back whole); then the loop ends.
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, lambda *_: stop.set())
        total = failures = 0
        try:
            while not stop.is_set():
                try:
                    claimed = events_digest(batch=max(1, batch))
                except (OperationalError, InterfaceError) as error:
                    # The database went away, or chose this batch to break a deadlock or a
                    # statement budget: the batch rolled back whole and stays queued.
                    failures += 1
                    logger.warning("Digest batch failed, to be tried again: %s", error)
                    connection.close()
                    if once and failures >= ONCE_ATTEMPTS:
                        raise
                    stop.wait(idle_sleep)
                    continue
                failures = 0
                total += claimed
                if claimed:
                    continue
                if once:
                    break
                stop.wait(idle_sleep)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(f"Digested {total} event(s).")

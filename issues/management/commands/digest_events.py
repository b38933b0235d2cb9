import signal
import threading

from django.core.management.base import BaseCommand

from issues.services import events_digest


class Command(BaseCommand):
    help = (
        "Apply the events SDKs sent (queued by the ingest endpoints) through record_event, in "
        "batches; with --once until the queue is empty, else forever, until SIGTERM or SIGINT. "
        "Several may run at once on PostgreSQL (FOR UPDATE SKIP LOCKED)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="digest what is queued, then exit")
        parser.add_argument("--batch", type=int, default=100, help="events per transaction")
        parser.add_argument(
            "--idle-sleep", type=float, default=0.5, help="seconds to wait when the queue is empty"
        )

    def handle(self, *args, once=False, batch=100, idle_sleep=0.5, **options):
        stop = threading.Event()
        previous = {}
        if not once:
            # The batch under way finishes (or rolls back whole); then the loop ends.
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, lambda *_: stop.set())
        total = 0
        try:
            while not stop.is_set():
                claimed = events_digest(batch=max(1, batch))
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

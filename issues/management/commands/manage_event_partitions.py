import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError
from django.utils import timezone

from issues.services.partitions import event_partitions_maintain, is_partitioned

# PostgreSQL's SQLSTATE of a lock not obtained within lock_timeout (lock_not_available).
LOCK_NOT_AVAILABLE = "55P03"


class Command(BaseCommand):
    help = (
        "PostgreSQL: keep the events table's weekly partitions, from the retention's start "
        "(ISSUES_API_EVENT_RETENTION_DAYS) to --weeks-ahead weeks ahead; move events the "
        "default partition holds into partitions of their weeks; drop the partitions wholly "
        "older than the retention (whole tables, no DELETE). Run it daily; idempotent, and "
        "runs wait for each other. SQLite: nothing to do."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--weeks-ahead", type=int, default=4, help="weeks of partitions made ahead of now"
        )
        # Short: while a change waits for its lock on the table, the API's reads queue behind
        # it. Better to give up and try again a little later.
        parser.add_argument(
            "--lock-timeout",
            type=float,
            default=2.0,
            help="seconds a change waits for its lock on the table before the try gives up",
        )
        parser.add_argument(
            "--attempts", type=int, default=5, help="tries when a lock was not obtained in time"
        )
        parser.add_argument(
            "--retry-pause", type=float, default=5.0, help="seconds between two tries"
        )

    def handle(self, *args, weeks_ahead, lock_timeout, attempts, retry_pause, **options):
        if weeks_ahead < 0 or lock_timeout <= 0 or attempts < 1 or retry_pause < 0:
            raise CommandError(
                "--weeks-ahead is 0 or more, --lock-timeout more than 0, --attempts 1 or more, "
                "--retry-pause 0 or more."
            )
        if not is_partitioned():
            self.stdout.write("The events table is not partitioned here (SQLite): nothing to do.")
            return
        for attempt in range(1, attempts + 1):
            try:
                report = event_partitions_maintain(
                    now=timezone.now(),
                    retention_days=settings.ISSUES_API_EVENT_RETENTION_DAYS,
                    weeks_ahead=weeks_ahead,
                    lock_timeout_ms=int(lock_timeout * 1000),
                )
                break
            except OperationalError as error:
                # A long read held the table: nothing changed (one transaction).
                if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                    raise
                if attempt == attempts:
                    raise CommandError(
                        f"Nothing changed, run it again ({attempts} tries): {error}"
                    ) from error
                self.stderr.write(f"Try {attempt} gave up on a lock ({error}); again shortly.")
                time.sleep(retry_pause)
        self.stdout.write(
            f"Created {len(report.created)} partition(s), moved {report.moved} event(s) out of "
            f"the default partition, dropped {len(report.dropped)} partition(s)."
        )
        for name in report.created:
            self.stdout.write(f"  created {name}")
        for name in report.dropped:
            self.stdout.write(f"  dropped {name}")

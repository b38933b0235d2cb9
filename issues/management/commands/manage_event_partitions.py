from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError
from django.utils import timezone

from issues.services.partitions import event_partitions_maintain, is_partitioned


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
        parser.add_argument(
            "--lock-timeout",
            type=float,
            default=10.0,
            help="seconds each change waits for its lock on the table before the run gives up",
        )

    def handle(self, *args, weeks_ahead=4, lock_timeout=10.0, **options):
        if weeks_ahead < 0 or lock_timeout <= 0:
            raise CommandError("--weeks-ahead is 0 or more, --lock-timeout more than 0.")
        if not is_partitioned():
            self.stdout.write("The events table is not partitioned here (SQLite): nothing to do.")
            return
        try:
            report = event_partitions_maintain(
                now=timezone.now(),
                retention_days=settings.ISSUES_API_EVENT_RETENTION_DAYS,
                weeks_ahead=weeks_ahead,
                lock_timeout_ms=int(lock_timeout * 1000),
            )
        except OperationalError as error:
            # lock_timeout: a long read held the table; nothing changed, run again later.
            raise CommandError(f"Nothing changed, run it again: {error}") from error
        self.stdout.write(
            f"Created {len(report.created)} partition(s), moved {report.moved} event(s) out of "
            f"the default partition, dropped {len(report.dropped)} partition(s)."
        )
        for name in report.created:
            self.stdout.write(f"  created {name}")
        for name in report.dropped:
            self.stdout.write(f"  dropped {name}")

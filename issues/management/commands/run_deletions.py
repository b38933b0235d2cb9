from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from issues.services import delete_pending_issues


class Command(BaseCommand):
    help = (
        "Remove issues deleted through the API once their grace period "
        "(ISSUES_API_DELETION_GRACE_SECONDS) has passed, with everything hanging off them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", action="store_true", help="ignore the grace period: delete every pending one"
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, now=False, batch_size=1000, **options):
        older_than = timezone.now()
        if not now:
            older_than -= timedelta(seconds=settings.ISSUES_API_DELETION_GRACE_SECONDS)
        deleted = delete_pending_issues(older_than=older_than, batch_size=max(1, batch_size))
        self.stdout.write(f"Deleted {deleted} issue(s).")

from django.core.management.base import BaseCommand, CommandError

from accounts.dsn import dsn
from accounts.selectors import project_default_key
from issues.seed import build_reference_world, token_for
from issues_api.api.prefix import url_prefix


class Command(BaseCommand):
    help = (
        "Build the reference world of Sentry's API example (idempotent) and print a token "
        "holding every event scope, org:read and project:read, and the DSN of its project."
    )

    def add_arguments(self, parser):
        parser.add_argument("--token", help="use this token instead of a new one")
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--token-only", action="store_true", help="print only the token")
        only.add_argument(
            "--dsn-only",
            action="store_true",
            help="print only the DSN of Pump Station's key (no token is made)",
        )

    def handle(self, *args, token=None, token_only=False, dsn_only=False, **options):
        user, issue = build_reference_world()
        if dsn_only:
            self.stdout.write(self.project_dsn(issue.project))
            return
        try:
            plaintext = token_for(user, token)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if token_only:
            self.stdout.write(plaintext)
            return
        self.stdout.write(
            f"Reference world ready: issue {issue.pk} ({issue.qualified_short_id}) "
            f"in {issue.project.organization.slug}/{issue.project.slug}, user {user.email}."
        )
        self.stdout.write(f"Token (shown once, stored as a digest): {plaintext}")
        self.stdout.write(f"DSN of {issue.project.slug}: {self.project_dsn(issue.project)}")

    @staticmethod
    def project_dsn(project) -> str:
        """The DSN of the project's default key, under ISSUES_API_URL_PREFIX, else the address
        `make run` serves."""
        key = project_default_key(project)
        if key is None:
            raise CommandError(f"{project.slug} has no active client key.")
        return dsn(key, prefix=url_prefix())

from django.core.management.base import BaseCommand, CommandError

from issues.seed import build_reference_world, token_for


class Command(BaseCommand):
    help = (
        "Build the reference world of Sentry's API example (idempotent) and print a token "
        "holding every event scope, org:read and project:read."
    )

    def add_arguments(self, parser):
        parser.add_argument("--token", help="use this token instead of a new one")
        parser.add_argument("--token-only", action="store_true", help="print only the token")

    def handle(self, *args, token=None, token_only=False, **options):
        user, issue = build_reference_world()
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

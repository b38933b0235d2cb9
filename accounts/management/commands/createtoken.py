from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken, User
from accounts.scopes import SCOPES


class Command(BaseCommand):
    help = "Create an API token for a user and print it once. Only its digest is stored."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="the user's email")
        parser.add_argument(
            "--scopes", required=True, help="comma-separated, e.g. event:read,event:write"
        )
        parser.add_argument("--name", default="", help="a label shown in the admin")

    def handle(self, *args, user, scopes, name, **options):
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        unknown = sorted(set(wanted) - set(SCOPES))
        if not wanted:
            raise CommandError("Give at least one scope.")
        if unknown:
            raise CommandError(
                f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(SCOPES)}"
            )
        try:
            owner = User.objects.get(email__iexact=user)
        except User.DoesNotExist:
            raise CommandError(f"No user with the email {user!r}.") from None
        _, plaintext = ApiToken.objects.create_token(user=owner, scopes=wanted, name=name)
        self.stdout.write(plaintext)

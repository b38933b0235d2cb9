import os
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User

PASSWORD_VARIABLE = "ISSUES_API_ADMIN_PASSWORD"  # noqa: S105 (a variable name, not a password)
EMAIL_VARIABLE = "ISSUES_API_ADMIN_EMAIL"
DEFAULT_EMAIL = "admin@issues-api.invalid"


class Command(BaseCommand):
    help = (
        "Create (or update) the operator's login to /admin/: a staff superuser of its own, "
        "member of no organization, so that the API's documents (activity users, seenBy, "
        f"participants) stay as they are. Its email is ${EMAIL_VARIABLE} (default "
        f"{DEFAULT_EMAIL}); its password ${PASSWORD_VARIABLE} when set, otherwise one is "
        "generated and printed once, the first time only (later runs leave it unchanged)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--email",
            default=None,
            help=f"the login's email (default ${EMAIL_VARIABLE}, else {DEFAULT_EMAIL})",
        )
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help=(
                "generate and print a new password even if one was set "
                f"(unless ${PASSWORD_VARIABLE} is given)"
            ),
        )

    @transaction.atomic
    def handle(self, *args, email=None, reset_password=False, **options):
        email = email or os.environ.get(EMAIL_VARIABLE) or DEFAULT_EMAIL
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email, name="Operator")
        given = os.environ.get(PASSWORD_VARIABLE, "")
        # A login that was not yet an admin has no password anyone was shown.
        was_admin = user.is_staff and user.is_superuser and user.has_usable_password()

        user.is_active = user.is_staff = user.is_superuser = True
        if given:
            user.set_password(given)
            user.save()
            self.stdout.write(f"Admin login {user.email}: password set from ${PASSWORD_VARIABLE}.")
        elif was_admin and not reset_password:
            user.save(update_fields=["is_active", "is_staff", "is_superuser"])
            self.stdout.write(
                f"Admin login {user.email}: password unchanged (set ${PASSWORD_VARIABLE} or pass "
                "--reset-password to change it)."
            )
        else:
            password = secrets.token_urlsafe(18)
            user.set_password(password)
            user.save()
            self.stdout.write(
                f"Admin login {user.email}, password (shown only this once): {password}"
            )

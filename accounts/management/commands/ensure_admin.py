import os
import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from issues.seed import EMAIL

PASSWORD_VARIABLE = "ISSUES_API_ADMIN_PASSWORD"  # noqa: S105 (a variable name, not a password)


class Command(BaseCommand):
    help = (
        "Make the reference world's user (seed_example's, by default) staff and superuser, so "
        f"that it logs in to /admin/. The password is ${PASSWORD_VARIABLE} when set; otherwise "
        "one is generated and printed once, the first time only (later runs leave it unchanged)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default=EMAIL, help=f"the user's email (default {EMAIL})")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help=(
                "generate and print a new password even if one was set "
                f"(unless ${PASSWORD_VARIABLE} is given)"
            ),
        )

    @transaction.atomic
    def handle(self, *args, email, reset_password=False, **options):
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is None:
            raise CommandError(
                f"No user with the email {email!r}: run `manage.py seed_example` first."
            )
        given = os.environ.get(PASSWORD_VARIABLE, "")
        # A user who is not yet an admin has only seed_example's random, never shown password.
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

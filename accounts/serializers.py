"""Sentry's user object (the 2020 UserSerializer shape)."""

import hashlib
from urllib.parse import urlencode

from issues_api.api.dates import format_datetime


def avatar_url(user) -> str:
    digest = hashlib.md5(user.email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}?{urlencode({'s': 32, 'd': 'mm'})}"


def serialize_user(user, *, emails, requester=None) -> dict:
    """A user, with identities, options and flags only when the requester is that user."""
    data = {
        "id": str(user.pk),
        "name": user.get_display_name(),
        "username": user.username,
        "email": user.email,
        "avatarUrl": avatar_url(user),
        "isActive": user.is_active,
        "hasPasswordAuth": user.has_usable_password(),
        "isManaged": user.is_managed,
        "dateJoined": format_datetime(user.date_joined),
        "lastLogin": format_datetime(user.last_login),
        "has2fa": user.has_2fa,
        "lastActive": format_datetime(user.last_active),
        "isSuperuser": user.is_superuser,
        "isStaff": user.is_staff,
        "avatar": {"avatarType": user.avatar_type, "avatarUuid": user.avatar_uuid},
        "emails": [
            {"id": str(email.pk), "email": email.email, "is_verified": email.is_verified}
            for email in emails
        ],
    }
    if requester is not None and requester.pk == user.pk:
        data["identities"] = []
        data["options"] = {
            "language": user.language,
            "stacktraceOrder": user.stacktrace_order,
            "timezone": user.timezone,
            "clock24Hours": user.clock_24_hours,
        }
        data["flags"] = {"newsletter_consent_prompt": user.newsletter_consent_prompt}
    return data

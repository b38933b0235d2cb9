"""Bearer tokens, looked up by their SHA-256 digest, with Sentry's 401 bodies.

The one authentication of every endpoint, named once in settings (REST_FRAMEWORK's
DEFAULT_AUTHENTICATION_CLASSES): it lives beside ApiToken, whose rows it reads."""

import hmac
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.models import ApiToken, hash_token
from accounts.selectors import token_by_digest
from issues_api.db_router import reading_replica, reads_from

LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>`; the keyword is matched case-insensitively by DRF."""

    keyword = "Bearer"
    model = ApiToken

    def authenticate_credentials(self, key):
        digest = hash_token(key)
        token = token_by_digest(digest)
        if token is None and reading_replica():
            # A token made a moment ago may not have reached the replica yet.
            with reads_from(DEFAULT_DB_ALIAS):
                token = token_by_digest(digest)
        # The lookup is by digest; compare again in constant time so that timing says nothing.
        if (
            token is None
            or not hmac.compare_digest(token.token_digest, digest)
            or token.revoked_at is not None
        ):
            # A revoked token is gone, as a deleted token is in Sentry.
            raise exceptions.AuthenticationFailed(_("Invalid token"))
        now = timezone.now()
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed(_("Token expired"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted"))
        self._record_use(token, now)
        return token.user, token

    @staticmethod
    def _record_use(token, now):
        """Keep last_used_at to the minute: one conditional UPDATE a minute, not one a request."""
        stale = now - LAST_USED_RESOLUTION
        if token.last_used_at is None or token.last_used_at < stale:
            ApiToken.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk
            ).update(last_used_at=now)
            token.last_used_at = now

    def authenticate_header(self, request):
        # Sentry's first authenticator answers this, which keeps failures at 401.
        return 'xBasic realm="api"'

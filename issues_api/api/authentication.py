"""Bearer tokens, looked up by their SHA-256 digest, with Sentry's 401 bodies."""

import hmac

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.models import ApiToken, hash_token


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>`; the keyword is matched case-insensitively by DRF."""

    keyword = "Bearer"
    model = ApiToken

    def authenticate_credentials(self, key):
        digest = hash_token(key)
        token = ApiToken.objects.select_related("user").filter(token_digest=digest).first()
        # The lookup is by digest; compare again in constant time so that timing says nothing.
        if token is None or not hmac.compare_digest(token.token_digest, digest):
            raise exceptions.AuthenticationFailed(_("Invalid token"))
        if token.is_expired():
            raise exceptions.AuthenticationFailed(_("Token expired"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted"))
        return token.user, token

    def authenticate_header(self, request):
        # Sentry's first authenticator answers this, which keeps failures at 401.
        return 'xBasic realm="api"'

"""API tokens that expire: ``Authorization: Token …`` is refused (401) once older than ``API_TOKEN_TTL_DAYS``.

Kept apart from the token view (common/api/tokens.py): DRF imports authentication classes
while its views module is still loading.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expires(token: Token) -> datetime:
    return token.created + settings.API_TOKEN_TTL


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expires(token) <= timezone.now():
            raise exceptions.AuthenticationFailed("令牌已过期，请重新获取令牌。")
        return user, token

"""API tokens that expire and rotate, and the token endpoint's protection against guessing.

``POST /api/v1/auth/token/`` with a user name and password answers a *new* token: any token the
user had stops working (rotation), and the new one is accepted for ``API_TOKEN_TTL_DAYS``
days. Wrong passwords count towards the same sign-in lockout as the pages and the admin
(``common.auth``); a locked-out client gets 429 even with the right password.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from common.api.filters import StrictWriteQueryMixin
from common.auth import lockout_message

from .authentication import token_expires
from .parsers import DepthLimitedJSONParser


class SignInLocked(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="新令牌；此前的令牌随即失效")
    expires = serializers.DateTimeField(help_text="过期时间")


class ObtainRotatingAuthToken(StrictWriteQueryMixin, ObtainAuthToken):
    parser_classes = [DepthLimitedJSONParser, FormParser, MultiPartParser]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request=ObtainAuthToken.serializer_class,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="用户名或密码不正确"),
            429: OpenApiResponse(description="登录失败次数过多，暂时锁定；或请求过于频繁"),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        """用用户名和密码换取新令牌（旧令牌随即失效）。"""
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                raise SignInLocked(lockout_message())
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        with transaction.atomic():
            Token.objects.filter(user=user).delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key, "expires": token_expires(token)})

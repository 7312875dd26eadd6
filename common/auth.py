"""Sign-in protection shared by every sign-in path (pages, admin, API token): django-axes.

Failed sign-ins are counted per user name *and* client address: a guesser is stopped after
``AXES_FAILURE_LIMIT`` tries for ``AXES_COOLOFF_TIME``, while neither a stranger who knows a
clerk's user name nor a colleague mistyping behind the same office address can lock that
clerk out. Guessing many user names from one address is slowed by the API's anonymous
throttle (the token endpoint) and by the cool-off of each pair.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


class LoginAttemptBackend(AxesStandaloneBackend):
    """Axes' lockout check for sign-ins that come with a request (every web and API sign-in does).

    ``authenticate()`` without a request (the shell, management commands, the test client's
    ``login()``) is not a sign-in over the network: it is passed on to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return f"登录失败次数过多，该账户已在此网络地址暂时锁定，请 {minutes} 分钟后再试。"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: behind ``PROXY_COUNT`` trusted proxies, the one the outermost proxy saw."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if settings.PROXY_COUNT and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(settings.PROXY_COUNT, len(addresses))]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """Axes' answer to a locked-out sign-in: JSON under /api/, the sign-in page's look elsewhere."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)

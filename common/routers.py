"""Reads that tolerate a little lag go to a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``).

A read goes to the ``replica`` alias only inside a request that allows it (``ReplicaReadMiddleware``
sets ``replica_reads``): a GET or HEAD whose client wrote nothing in the last
``REPLICA_PIN_SECONDS``, outside any transaction. Everything else reads the primary: writes and
what a write reads back, a transaction's reads, sign-in and tokens, background jobs, management
commands and Celery tasks. Without ``DATABASE_REPLICA_URL`` there is no ``replica`` alias and
every query goes to ``default``.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PRIMARY = "default"
#: The cookie that tells a browser's next requests to read the primary: the time of its last write.
PIN_COOKIE = "sxplan_wrote"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Sign-in, sessions and tokens (a rotated token is used at once), and the jobs a client polls
# right after starting them: always read from the primary.
PRIMARY_ONLY_APPS = frozenset({"auth", "authtoken", "sessions", "axes", "jobs"})

replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """``DATABASE_ROUTERS``: the replica for the reads of a request that allows them, the primary otherwise."""

    def db_for_read(self, model, **hints):
        if (
            replica_reads.get()
            and replica_configured()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and not connections[PRIMARY].in_atomic_block
        ):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


@contextmanager
def reading_from_replica(allowed: bool = True):
    """Let the reads within (when lag is acceptable) go to the replica, e.g. in a report task."""
    token = replica_reads.set(allowed)
    try:
        yield
    finally:
        replica_reads.reset(token)


def _pin_key(request: HttpRequest) -> str | None:
    """A client known by its Authorization header (API tokens keep no cookies): its recent writes, in the cache."""
    credentials = request.META.get("HTTP_AUTHORIZATION")
    if not credentials:
        return None
    return "replica-pin:" + hashlib.sha256(credentials.encode()).hexdigest()


def _wrote_recently(request: HttpRequest, now: float) -> bool:
    window = settings.REPLICA_PIN_SECONDS
    try:
        if now - float(request.COOKIES.get(PIN_COOKIE, "")) < window:
            return True
    except ValueError:
        pass
    key = _pin_key(request)
    return key is not None and cache.get(key) is not None


class ReplicaReadMiddleware:
    """Allows replica reads for a request that only reads and whose client has not just written.

    After a write (any other method answered below 400) the client reads the primary for
    ``REPLICA_PIN_SECONDS``: a browser through a cookie holding the time of the write, an API client
    through the cache, keyed by its Authorization header (use a shared cache, Redis, with several hosts).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        now = time.time()
        allowed = request.method in SAFE_METHODS and not _wrote_recently(request, now)
        with reading_from_replica(allowed):
            response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            window = settings.REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE, f"{now:.3f}", max_age=window, httponly=True, samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )  # fmt: skip
            key = _pin_key(request)
            if key is not None:
                cache.set(key, now, timeout=window)
        return response

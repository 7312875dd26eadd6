"""``/healthz``: is this web process able to serve? For the load balancer and the monitoring.

JSON with one entry per dependency (the database, the replica and its lag, the Celery broker, the
cache), each with ``ok`` and the milliseconds its check took; 200 when every configured one is
healthy, 503 otherwise. A dependency that is not configured (no replica, no broker: tasks run in
the web process) is reported as such and is not a failure. No sign-in, no data, no cookies.
"""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.routers import PRIMARY, REPLICA, replica_configured

from .celery import app as celery_app

# The replica's delay: none when it has replayed everything it received, otherwise the age of the
# last transaction it replayed (the primary wrote since then). Bytes received but not yet replayed too.
REPLICA_LAG_SQL = """
    SELECT pg_is_in_recovery(),
           CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END,
           pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
"""


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = {"ok": True, **(check() or {})}
    except Exception as exc:  # noqa: BLE001 (any failure of a dependency is its answer, never a 500)
        result = {"ok": False, "error": f"{exc.__class__.__name__}: {str(exc)[:200]}"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> dict:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connections[PRIMARY].vendor}


def _replica() -> dict:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(REPLICA_LAG_SQL)
        in_recovery, lag_seconds, lag_bytes = cursor.fetchone()
    lag = float(lag_seconds or 0)
    limit = settings.HEALTHZ_MAX_REPLICA_LAG_SECONDS
    answer = {"in_recovery": in_recovery, "lag_seconds": round(lag, 3), "lag_bytes": int(lag_bytes or 0)}
    if not in_recovery:
        return {**answer, "ok": False, "error": "不是只读副本（未处于恢复模式）"}
    if lag > limit:
        return {**answer, "ok": False, "error": f"副本延迟 {lag:.1f} 秒，超过 {limit:g} 秒"}
    return answer


def _broker() -> dict:
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    return {}


def _cache() -> dict:
    key, value = "healthz", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("写入的值没有读回")
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _timed(_database)}
    checks["replica"] = _timed(_replica) if replica_configured() else {"ok": True, "configured": False}
    checks["broker"] = _timed(_broker) if settings.CELERY_BROKER_URL else {"ok": True, "configured": False}
    checks["cache"] = _timed(_cache)
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)

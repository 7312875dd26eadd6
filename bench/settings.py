"""Settings of the benchmark server: the product's settings plus the comparison views in bench.urls."""

import os
import socket

from sxplan_site.settings.base import *  # noqa: F403
from sxplan_site.settings.base import DATABASES, INSTALLED_APPS, MIDDLEWARE, REST_FRAMEWORK, env

DEBUG = False
ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]
# The query count of each response, in a header, for every view alike (product, limit and peer).
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
# Persistent connections, as a production deployment would set CONN_MAX_AGE; same for every view.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Scenario 4 imports a 100,000-row file: above the product's default upload limits.
TRANSFER_MAX_ROWS = 200_000
TRANSFER_MAX_UPLOAD_BYTES = 64 * 1024 * 1024
# The throughput scenarios send thousands of requests a second as one user: no API throttling.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


# The workers share one cache, as production's do (README: CACHE_URL names Redis with several
# workers), so that the dashboards' cached answers are computed once, not once per worker.
if "CACHE_URL" not in os.environ and _redis_answers():
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
            "KEY_PREFIX": DATABASES["default"]["NAME"],  # benchmarks of other databases may run at once
        }
    }

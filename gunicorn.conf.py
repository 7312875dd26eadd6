"""gunicorn's settings for sxplan: ``gunicorn sxplan_site.wsgi`` reads this file from the working directory.

Used alike by production, ``make bench`` and any local gunicorn; each value can be set from the
environment, and command-line options (the bench's ``--workers``, ``--bind``) take precedence.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# A worker is replaced after this many requests (± jitter, so that they do not all restart at
# once): whatever memory one request made a worker keep is given back to the system.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 100))
# A sync worker reports to the arbiter only between requests: a streamed export of a million rows
# takes tens of seconds, so the timeout is long; the reverse proxy bounds slow clients.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 300))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# The heartbeat files on a memory file system, not a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")

"""A real Redis broker and real Celery worker processes for the ``broker`` tests.

The tests need ``SXPLAN_TEST_BROKER`` (or ``CELERY_BROKER_URL``) to name a Redis and the database
to be PostgreSQL (they are marked ``postgres`` too); a missing or unreachable Redis fails them,
it never skips them. ``scripts/test.sh`` deselects them unless it is given ``--all``.
Each test gets its own queue, so stray messages of other runs are never consumed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from django.db import connection

from sxplan_site.celery import app

ROOT = Path(__file__).resolve().parents[2]
#: Redeliver a lost worker's task within seconds instead of an hour.
FAST_REDELIVERY = {"visibility_timeout": 4, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}


def broker_url() -> str:
    return os.environ.get("SXPLAN_TEST_BROKER") or os.environ.get("CELERY_BROKER_URL", "")


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test_<name>), for the worker."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class Broker:
    url: str
    queue: str
    workers: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sxplan_site.settings.test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.url,
            "CELERY_RESULT_BACKEND": self.url,
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(FAST_REDELIVERY),
        }
        log = Path(tempfile.mkstemp(prefix="sxplan-worker-", suffix=".log")[1])
        command = [
            sys.executable, "-m", "celery", "-A", "sxplan_site", "worker", "--pool=solo", "-Q", self.queue,
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
            "-n", f"{self.queue}-{len(self.workers)}@%h",
        ]  # fmt: skip
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.workers.append(worker)
        self.logs.append(log)
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        """SIGKILL: the worker gets no chance to acknowledge, reject or clean up."""
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()

    def log_tail(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-3000:] for log in self.logs)


@pytest.fixture
def broker(transactional_db):
    """Workers stop before the test database is flushed (this fixture tears down first)."""
    url = broker_url()
    if not url:
        pytest.fail("no broker: set SXPLAN_TEST_BROKER=redis://127.0.0.1:6379/15 to run the real-worker tests")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"a broker is configured ({url}) but Redis does not answer: {exc}")
    queue = f"sxplan-test-{uuid.uuid4().hex[:8]}"
    saved = {
        name: app.conf[name] for name in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    }
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False, task_default_queue=queue)
    _reset_connections()
    handle = Broker(url=url, queue=queue)
    yield handle
    handle.stop()
    app.conf.update(saved)
    _reset_connections()


def _reset_connections() -> None:
    """Drop the app's pooled broker connections so that the next task uses the current broker_url."""
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


def wait_for(condition, *, timeout: float, broker: Broker, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n--- worker log ---\n{broker.log_tail()}")

"""Writes of background jobs: queueing a job's task, marking the job running or failed, expiring lost jobs.

The app that owns a kind of job (transfers for imports and exports) creates the job, runs it
and records its result; these are the steps every kind shares.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import BinaryIO

from celery import Task
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from .choices import JobStatusChoices
from .models import Job

logger = logging.getLogger(__name__)


class JobNotQueued(Exception):
    """The broker refused or could not be reached: the job is already marked failed with this message."""


#: The failure reason of a job whose task could not be sent to the broker.
NOT_QUEUED_MESSAGE = "后台任务队列不可用，任务未能提交，请稍后重试。"
#: The failure reason of a job whose process died (its heartbeat stopped) or that no worker picked up.
INTERRUPTED_MESSAGE = "任务执行中断（进程已退出或数据库连接中断），请重试。"


def job_queue(*, job: Job, task: Task) -> None:
    """Send ``task(job.pk)`` to a worker once the transaction that created the job commits.

    When the broker cannot take the message, the job fails at once (it is never run later: its
    owner retries it) and ``JobNotQueued`` is raised to whoever committed.
    """

    def send() -> None:
        try:
            result = task.apply_async(args=[job.pk])
        except (KombuOperationalError, OSError) as exc:
            logger.warning("could not queue job %s: %s", job.pk, exc)
            job_fail(job=job, message=NOT_QUEUED_MESSAGE)
            raise JobNotQueued(NOT_QUEUED_MESSAGE) from exc
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=result.id or "")

    transaction.on_commit(send)


def job_start(*, job: Job) -> None:
    """Mark the job running (again, after a lost worker): one more attempt, progress from zero, a fresh lease."""
    now = timezone.now()
    job.status = JobStatusChoices.RUNNING
    job.attempts += 1
    job.started = job.heartbeat = now
    job.processed_rows = 0
    job.save(update_fields=["status", "attempts", "started", "heartbeat", "processed_rows", "updated"])


def job_fail(*, job: Job, message: str) -> None:
    job.status = JobStatusChoices.FAILED
    job.message = message
    job.finished = timezone.now()
    job.save(update_fields=["status", "message", "finished", "updated"])


def job_fail_after_database_error(*, job: Job, message: str) -> None:
    """Record a failure after the job's own transaction died with its database connection.

    The import's transaction is gone (rolled back), so the failure is written in a transaction of
    its own, on a fresh connection when the old one is broken and no enclosing transaction holds it.
    """
    if not connection.in_atomic_block and not connection.is_usable():
        connection.close()
    with transaction.atomic():
        job_fail(job=job, message=message)


def job_expire_stale(*, now: datetime.datetime | None = None) -> int:
    """Mark failed every job whose process died or that no worker picked up; returns how many.

    One conditional UPDATE: a heartbeat that lands meanwhile keeps its job out of it.
    """
    now = now or timezone.now()
    return Job.objects.stale(now=now).update(
        status=JobStatusChoices.FAILED, message=INTERRUPTED_MESSAGE, finished=now, updated=now
    )


def job_progress_reporter(*, job: Job) -> Callable[[int], None] | None:
    """Report progress over a second connection, so it is visible while the job's transaction is open.

    Only on PostgreSQL and outside an enclosing transaction: SQLite has one writer at a time, and
    a row locked by an enclosing transaction would block the second connection.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None

    def report(done: int) -> None:
        side = connections.create_connection("default")
        try:
            with side.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute(
                    f"UPDATE {Job._meta.db_table} SET processed_rows = %s, heartbeat = %s WHERE id = %s",
                    [min(done, job.total_rows), timezone.now(), job.pk],
                )
        except DatabaseError:
            logger.warning("could not report progress of job %s", job.pk)
        finally:
            side.close()

    return report


#: The piece of a result file sent to PostgreSQL in one statement (``job_store_result``).
RESULT_CHUNK = 4 * 1024 * 1024


def job_store_result(*, job: Job, file: BinaryIO) -> None:
    """Store the job's result file, read from ``file`` (at its start), without holding it in memory.

    PostgreSQL: appended a few megabytes per statement. Sent whole, a 220,000-row export's 23 MB
    workbook was held as bytes, then again escaped into the statement's text: 380 MB at the worker's
    peak instead of 274 MB. Other databases (SQLite: development, tests) take it in one statement.
    ``job.result`` is then read from the database when next used, and left out of the job's next ``save``.
    """
    if connection.vendor != "postgresql":
        Job.objects.filter(pk=job.pk).update(result=file.read())
    else:
        table, result, key = (connection.ops.quote_name(name) for name in (Job._meta.db_table, "result", "id"))
        Job.objects.filter(pk=job.pk).update(result=b"")
        with connection.cursor() as cursor:
            while chunk := file.read(RESULT_CHUNK):
                cursor.execute(f"UPDATE {table} SET {result} = {result} || %s WHERE {key} = %s", [chunk, job.pk])
    job.__dict__.pop("result", None)  # deferred: loaded again when read, not written by the next save

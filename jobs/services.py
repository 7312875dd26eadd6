"""Writes of background jobs: queueing a job's task, and marking the job running or failed.

The app that owns a kind of job (transfers for imports and exports) creates the job, runs it
and records its result; these are the steps every kind shares.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Task
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from .choices import JobStatusChoices
from .models import Job

logger = logging.getLogger(__name__)


def job_queue(*, job: Job, task: Task) -> None:
    """Send ``task(job.pk)`` to a worker once the transaction that created the job commits."""

    def send() -> None:
        result = task.delay(job.pk)
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=result.id or "")

    transaction.on_commit(send)


def job_start(*, job: Job) -> None:
    """Mark the job running (again, after a lost worker): one more attempt, progress from zero."""
    job.status = JobStatusChoices.RUNNING
    job.attempts += 1
    job.started = timezone.now()
    job.processed_rows = 0
    job.save(update_fields=["status", "attempts", "started", "processed_rows", "updated"])


def job_fail(*, job: Job, message: str) -> None:
    job.status = JobStatusChoices.FAILED
    job.message = message
    job.finished = timezone.now()
    job.save(update_fields=["status", "message", "finished", "updated"])


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
                    f"UPDATE {Job._meta.db_table} SET processed_rows = %s WHERE id = %s",
                    [min(done, job.total_rows), job.pk],
                )
        except DatabaseError:
            logger.warning("could not report progress of job %s", job.pk)
        finally:
            side.close()

    return report

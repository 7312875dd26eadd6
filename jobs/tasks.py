"""The retry policy shared by every Celery task of sxplan (``**RETRY``), and the sweeper of lost jobs.

Tasks are acknowledged late (settings) so that a worker lost mid-task leaves the message on the
queue and the task runs again; lost database connections and deadlocks retry with exponential
backoff. A task must therefore be safe to run twice (a finished job is left as it is).
"""

from celery import shared_task
from django.db import DatabaseError

from .services import job_expire_stale

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="jobs.expire_stale_jobs", **RETRY)
def expire_stale_jobs() -> int:
    """Mark failed the jobs whose process died or that no worker picked up (jobs.services.job_expire_stale)."""
    return job_expire_stale()

"""The retry policy shared by every Celery task of sxplan (``@shared_task(name=..., **RETRY)``).

Tasks are acknowledged late (settings) so that a worker lost mid-task leaves the message on the
queue and the task runs again; lost database connections and deadlocks retry with exponential
backoff. A task must therefore be safe to run twice (a finished job is left as it is).
"""

from django.db import DatabaseError

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}

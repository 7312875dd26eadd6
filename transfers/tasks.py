"""Import and export jobs on a worker: thin tasks that load the job and call the service.

Tasks are acknowledged late (settings) so that a worker lost mid-import leaves the message
on the queue; the import's single transaction left no data behind, and the job runs again.
Lost database connections and deadlocks retry with exponential backoff.
"""

from celery import shared_task
from django.db import DatabaseError

from . import services
from .models import Job

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="transfers.import_job", **RETRY)
def import_job_task(job_id: int) -> str:
    return services.import_job_run(job=Job.objects.get(pk=job_id)).status


@shared_task(name="transfers.export_job", **RETRY)
def export_job_task(job_id: int) -> str:
    return services.export_job_run(job=Job.objects.get(pk=job_id)).status

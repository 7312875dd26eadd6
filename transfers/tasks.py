"""Import and export jobs on a worker: thin tasks that load the job and call the service.

A worker lost mid-import leaves the message on the queue (jobs.tasks.RETRY); the import's single
transaction left no data behind, and the job runs again.
"""

from celery import shared_task

from jobs.models import Job
from jobs.tasks import RETRY


@shared_task(name="transfers.import_job", **RETRY)
def import_job_task(job_id: int) -> str:
    # Imported here: the services queue these tasks (HackSoft styleguide, "Celery").
    from .services import import_job_run

    return import_job_run(job=Job.objects.get(pk=job_id)).status


@shared_task(name="transfers.export_job", **RETRY)
def export_job_task(job_id: int) -> str:
    from .services import export_job_run

    return export_job_run(job=Job.objects.get(pk=job_id)).status

"""The report generation job on a worker: a thin task that loads the job and calls the service."""

from celery import shared_task

from jobs.models import Job
from jobs.tasks import RETRY


@shared_task(name="evaluations.generate_report", **RETRY)
def evaluation_generate_task(job_id: int) -> str:
    # Imported here: the services queue this task (HackSoft styleguide, "Celery").
    from .services import evaluation_generate_run

    return evaluation_generate_run(job=Job.objects.get(pk=job_id)).status

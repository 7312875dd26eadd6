import datetime

from celery import shared_task
from django.utils import timezone

from jobs.tasks import RETRY

from .reminders import stale_project_reminders_send
from .services import warnings_evaluate


@shared_task(name="projects.remind_stale_projects", **RETRY)
def remind_stale_projects(today: str | None = None) -> int:
    """Remind each city of its projects without a progress report lately (once per city and day)."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return stale_project_reminders_send(today=day)


@shared_task(name="projects.evaluate_warnings", **RETRY)
def evaluate_warnings(today: str | None = None) -> dict:
    """Open, escalate and resolve every project's warnings (nightly; idempotent, so a retry is harmless)."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    result = warnings_evaluate(today=day)
    return {"opened": result.opened, "escalated": result.escalated, "resolved": result.resolved}

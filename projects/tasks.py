import datetime

from celery import shared_task
from django.utils import timezone

from jobs.tasks import RETRY

from .reminders import stale_project_reminders_send


@shared_task(name="projects.remind_stale_projects", **RETRY)
def remind_stale_projects(today: str | None = None) -> int:
    """Remind each city of its projects without a progress report lately (once per city and day)."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return stale_project_reminders_send(today=day)

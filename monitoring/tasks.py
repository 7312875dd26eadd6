import datetime

from celery import shared_task
from django.utils import timezone

from jobs.tasks import RETRY

from .reminders import round_reminders_send


@shared_task(name="monitoring.remind_rounds", **RETRY)
def remind_rounds(today: str | None = None) -> int:
    """Remind cities of rounds due soon or overdue, and the province of submissions waiting for review."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return round_reminders_send(today=day)

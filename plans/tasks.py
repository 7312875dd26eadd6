from celery import shared_task
from django.utils import timezone

from transfers.tasks import RETRY

from .snapshots import target_progress_snapshot_take


@shared_task(name="plans.snapshot_target_progress", **RETRY)
def snapshot_target_progress(year: int | None = None) -> int:
    """Snapshot every target's progress for a year (by default the year just ended)."""
    return target_progress_snapshot_take(year=year or timezone.localdate().year - 1)

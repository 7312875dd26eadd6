from celery import shared_task
from django.utils import timezone

from jobs.tasks import RETRY

from .progress import refresh_progress
from .snapshots import target_progress_snapshot_take


@shared_task(name="plans.snapshot_target_progress", **RETRY)
def snapshot_target_progress(year: int | None = None) -> int:
    """Snapshot every target's progress as of 31 December of a year (by default the year just ended)."""
    return target_progress_snapshot_take(year=year or timezone.localdate().year - 1)


@shared_task(name="plans.refresh_target_progress", **RETRY)
def refresh_target_progress() -> None:
    """Recompute every target's progress rollup.

    Every write refreshes its own target; this nightly pass repairs what two transactions
    writing observations of one target at the same moment can leave behind (each computes the
    latest observation without seeing the other's).
    """
    refresh_progress()

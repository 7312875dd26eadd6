"""Yearly snapshots of target progress, so that a year's standing can be compared with the next."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from jobs.choices import JobKindChoices, JobStatusChoices
from jobs.models import Job

from .models import Target, TargetProgressSnapshot
from .progress import progress_as_of

FOUR_PLACES = Decimal("0.0001")


def snapshot_date(year: int) -> datetime.date:
    """The date a year's snapshot stands at: its 31 December, whenever it is taken."""
    return datetime.date(year, 12, 31)


@transaction.atomic
def target_progress_snapshot_take(*, year: int) -> int:
    """Record every target's progress as of 31 December of ``year`` (again, if taken before).

    The status is computed as of that date by ``plans.progress`` from every observation (the
    province's view), so a snapshot taken on 2 January, or months later, or again after a value of
    a later year was entered, says the same thing. Returns the number of targets.
    """
    computed = progress_as_of(Target.objects.all(), as_of=snapshot_date(year))
    existing = {s.target_id: s for s in TargetProgressSnapshot.objects.filter(year=year)}
    for target_id, progress in computed.items():
        observation = progress.observation
        values = {
            "latest_value": None if observation is None else Decimal(observation.value).quantize(FOUR_PLACES),
            "latest_year": None if observation is None else observation.year,
            "latest_quarter": None if observation is None else observation.quarter,
            "progress": progress.progress,
            "expected_progress": progress.expected_progress,
            "status": progress.status,
        }
        snapshot = existing.get(target_id) or TargetProgressSnapshot(target_id=target_id, year=year)
        if snapshot.pk is None or any(getattr(snapshot, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(snapshot, name, value)
            snapshot.full_clean()
            snapshot.save()
    count = len(computed)
    Job.objects.update_or_create(
        key=f"snapshot:{year}",
        defaults={
            "kind": JobKindChoices.SNAPSHOT,
            "status": JobStatusChoices.SUCCEEDED,
            "params": {"year": year},
            "total_rows": count,
            "processed_rows": count,
            "message": f"{year} 年指标进度快照（截至 {year}-12-31）：共 {count} 个指标。",
        },
    )
    return count

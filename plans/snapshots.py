"""Yearly snapshots of target progress, so that a year's standing can be compared with the next."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from django.db import transaction

from jobs.choices import JobKindChoices, JobStatusChoices
from jobs.models import Job

from .models import Target, TargetProgressSnapshot
from .progress import annotate_progress

#: The province's view of the data: the snapshot is taken for everyone, not for one user's cities.
PROVINCE_VIEW = SimpleNamespace(is_authenticated=True, is_active=True, is_superuser=True)

FOUR_PLACES = Decimal("0.0001")
SNAPSHOT_FIELDS = ("latest_value", "latest_year", "latest_quarter", "progress", "expected_progress")


@transaction.atomic
def target_progress_snapshot_take(*, year: int) -> int:
    """Record every target's progress for ``year`` (again, if taken before); returns the number of targets."""
    targets = annotate_progress(Target.objects.all(), user=PROVINCE_VIEW)
    count = 0
    existing = {s.target_id: s for s in TargetProgressSnapshot.objects.filter(year=year)}
    for target in targets:
        values = {name: getattr(target, name) for name in SNAPSHOT_FIELDS}
        if values["latest_value"] is not None:
            # SQLite hands the subquery's decimal back with float noise; the column keeps 4 places.
            values["latest_value"] = Decimal(values["latest_value"]).quantize(FOUR_PLACES)
        values["status"] = target.progress_status
        snapshot = existing.get(target.pk) or TargetProgressSnapshot(target=target, year=year)
        if snapshot.pk is None or any(getattr(snapshot, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(snapshot, name, value)
            snapshot.full_clean()
            snapshot.save()
        count += 1
    Job.objects.update_or_create(
        key=f"snapshot:{year}",
        defaults={
            "kind": JobKindChoices.SNAPSHOT,
            "status": JobStatusChoices.SUCCEEDED,
            "params": {"year": year},
            "total_rows": count,
            "processed_rows": count,
            "message": f"{year} 年指标进度快照：共 {count} 个指标。",
        },
    )
    return count

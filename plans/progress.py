"""Target progress: the one place where it is computed.

The rule below is applied in Python (``progress_of``) whenever an observation or a target is
written (the services in plans.services call ``refresh_progress``, once per batch; the benchmark
generator ``seeds.synthetic`` calls it after its raw inserts), and its
outcome is kept per target in the ``TargetProgress`` rollup. ``annotate_progress(targets,
user=...)`` reads it in SQL, so that lists can be filtered by status and dashboards count
statuses with one GROUP BY over plain columns. It adds to each Target:

``latest_value``, ``latest_year``, ``latest_quarter``
    The target's latest observation: among the observations linked to the target
    (``Observation.target``) whose scope is the target's own scope, the one of the latest
    year; within a year the annual value (quarter 0) before the quarters, then the latest
    quarter. A user who may not see observations of the target's scope (city staff and a
    target of another city) gets none, and so the status ``no_data``.

``progress``
    How far the latest value has come from the baseline toward the goal:
    ``(latest − baseline) / (goal − baseline)``; 0 at the baseline, 1 at the goal, more than 1
    beyond it, negative when moving away. The goal is ``target_value``, except for a range
    target whose baseline lies above the range, where it is ``target_value_max``. Null without a
    baseline value or when the goal equals the baseline.

``expected_progress``
    Where the straight line from (baseline year, 0) to (target year, 1) stands in the latest
    observation's year, clipped to 0…1 (1 when the baseline year is the target year).

``progress_status`` (``ProgressStatusChoices``), the first rule that applies:

    1. no observation                                   → no_data
    2. the latest value meets the target                → achieved
       (≥ / > / ≤ / < as the comparator says; a range: within it; “=” and “约”: reached the
       goal coming from the baseline's side)
    3. the target year has come and the target is unmet → off_track
    4. no progress can be computed (no baseline)        → no_data
    5. progress ≥ expected_progress                     → on_track
    6. progress ≥ AT_RISK_SHARE × expected_progress     → at_risk
    7. otherwise                                        → off_track
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    PositiveSmallIntegerField,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from common.scope import visibility_q

from .choices import ComparatorChoices, ProgressStatusChoices, QuarterChoices
from .models import Observation, Target, TargetProgress

#: Share of the expected progress below which an unmet target is off track rather than at risk.
AT_RISK_SHARE = 0.8
#: The path from a Target to its latest observation (the ``TargetProgress`` rollup).
LATEST = "rollup__observation__"


def annotate_progress(queryset: QuerySet, *, user) -> QuerySet:
    """Targets with the progress fields of the module doc, read from the rollup (idempotent)."""
    if "progress_status" in queryset.query.annotations:
        return queryset
    # The latest observation lies in the target's scope: the user sees it if they see that scope;
    # a user who does not gets what a target without observations gets.
    visible = visibility_q(user, Observation, prefix=LATEST)

    def seen(path: str, output_field):
        if visible is None:
            return F(path)
        return Case(When(visible, then=F(path)), default=Value(None), output_field=output_field)

    return queryset.annotate(
        latest_value=seen(LATEST + "value", DecimalField(max_digits=20, decimal_places=4)),
        latest_year=seen(LATEST + "year", PositiveSmallIntegerField()),
        latest_quarter=seen(LATEST + "quarter", PositiveSmallIntegerField()),
        progress=seen("rollup__progress", FloatField()),
        expected_progress=seen("rollup__expected_progress", FloatField()),
        progress_status=Coalesce(
            seen("rollup__status", CharField()), Value(ProgressStatusChoices.NO_DATA), output_field=CharField()
        ),
    )


def refresh_progress(target_ids: Iterable[int | None] | None = None) -> None:
    """Recompute the ``TargetProgress`` rows of these targets (every target when ``None``)."""
    targets = Target.objects.order_by()
    if target_ids is not None:
        ids = {pk for pk in target_ids if pk is not None}
        if not ids:
            return
        targets = targets.filter(pk__in=ids)
    newest = (
        Observation.objects.filter(target=OuterRef("pk"), scope=OuterRef("scope"))
        .annotate(
            period_rank=Case(
                When(quarter=QuarterChoices.YEAR, then=Value(5)), default=F("quarter"), output_field=IntegerField()
            )
        )
        .order_by("-year", "-period_rank", "-pk")
    )
    targets = list(targets.only(*RULE_FIELDS).annotate(newest=Subquery(newest.values("pk")[:1])))
    observations = Observation.objects.in_bulk([target.newest for target in targets if target.newest is not None])
    rows = []
    for target in targets:
        observation = observations.get(target.newest)
        rows.append(TargetProgress(target=target, observation=observation, **progress_of(target, observation)))
    with transaction.atomic():
        TargetProgress.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["target"],
            update_fields=["observation", "progress", "expected_progress", "status"],
            batch_size=1000,
        )


RULE_FIELDS = (
    "scope", "comparator", "baseline_value", "baseline_year", "target_value", "target_value_max", "target_year",
)  # fmt: skip


def _number(value) -> float | None:
    return None if value is None else float(value)


def progress_of(target: Target, observation: Observation | None) -> dict:
    """``progress``, ``expected_progress`` and ``status`` of a target at this latest observation (module doc)."""
    status = ProgressStatusChoices
    if observation is None:
        return {"progress": None, "expected_progress": None, "status": status.NO_DATA}
    latest, baseline = float(observation.value), _number(target.baseline_value)
    goal = float(target.target_value)
    top = _number(target.target_value_max)
    comparator = ComparatorChoices
    if target.comparator == comparator.RANGE and baseline is not None and top is not None and baseline > top:
        goal = top
    rising = baseline is None or baseline <= goal
    met = {
        comparator.RANGE: top is not None and float(target.target_value) <= latest <= top,
        comparator.GE: latest >= goal,
        comparator.GT: latest > goal,
        comparator.LE: latest <= goal,
        comparator.LT: latest < goal,
    }.get(target.comparator, latest >= goal if rising else latest <= goal)  # "=" and "约"
    progress = None if baseline is None or goal == baseline else (latest - baseline) / (goal - baseline)
    expected = _expected(target.baseline_year, target.target_year, observation.year)
    if met:
        outcome = status.ACHIEVED
    elif observation.year >= target.target_year:
        outcome = status.OFF_TRACK
    elif progress is None:
        outcome = status.NO_DATA
    elif expected is not None and progress >= expected:
        outcome = status.ON_TRACK
    elif expected is not None and progress >= expected * AT_RISK_SHARE:
        outcome = status.AT_RISK
    else:
        outcome = status.OFF_TRACK
    return {"progress": progress, "expected_progress": expected, "status": outcome}


def _expected(baseline_year: int | None, target_year: int, year: int) -> float | None:
    if baseline_year is None:
        return None
    if baseline_year == target_year or year >= target_year:
        return 1.0
    if year <= baseline_year:
        return 0.0
    return (year - baseline_year) / (target_year - baseline_year)

"""Target progress: the one place where it is computed.

``annotate_progress(targets, user=...)`` adds to each Target, in SQL (so that lists can be
filtered by status and dashboards can count statuses with one GROUP BY):

``latest_value``, ``latest_year``, ``latest_quarter``
    The target's latest observation: among the observations linked to the target
    (``Observation.target``) whose scope is the target's own scope and which the user may see,
    the one of the latest year; within a year the annual value (quarter 0) before the quarters,
    then the latest quarter.

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

from django.db.models import Case, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, NullIf

from .choices import ComparatorChoices, ProgressStatusChoices
from .models import Observation

#: Share of the expected progress below which an unmet target is off track rather than at risk.
AT_RISK_SHARE = 0.8


def _float(expression):
    return Cast(expression, FloatField())


def latest_observations(*, user) -> QuerySet:
    """The observations of ``OuterRef`` target in its scope, latest first (see the module doc)."""
    return (
        Observation.objects.for_user(user)
        .filter(target=OuterRef("pk"), scope=OuterRef("scope"))
        .annotate(period_rank=Case(When(quarter=0, then=Value(5)), default=F("quarter"), output_field=IntegerField()))
        .order_by("-year", "-period_rank")
    )


def annotate_progress(queryset: QuerySet, *, user) -> QuerySet:
    """Targets with the progress fields of the module doc (idempotent)."""
    if "progress_status" in queryset.query.annotations:
        return queryset
    latest = latest_observations(user=user)
    comparator = ComparatorChoices
    queryset = queryset.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_year=Subquery(latest.values("year")[:1]),
        latest_quarter=Subquery(latest.values("quarter")[:1]),
    ).alias(
        latest_f=_float("latest_value"),
        baseline_f=_float("baseline_value"),
        target_f=_float("target_value"),
        target_max_f=_float("target_value_max"),
        goal_f=Case(
            When(Q(comparator=comparator.RANGE, baseline_value__gt=F("target_value_max")), then=F("target_max_f")),
            default=F("target_f"),
        ),
        rising=Case(
            When(Q(baseline_f__isnull=True) | Q(baseline_f__lte=F("goal_f")), then=Value(True)),
            default=Value(False),
        ),
    )
    met = (
        Q(comparator=comparator.RANGE, latest_f__gte=F("target_f"), latest_f__lte=F("target_max_f"))
        | Q(comparator=comparator.GE, latest_f__gte=F("goal_f"))
        | Q(comparator=comparator.GT, latest_f__gt=F("goal_f"))
        | Q(comparator=comparator.LE, latest_f__lte=F("goal_f"))
        | Q(comparator=comparator.LT, latest_f__lt=F("goal_f"))
        | Q(comparator__in=[comparator.EQ, comparator.APPROX], rising=True, latest_f__gte=F("goal_f"))
        | Q(comparator__in=[comparator.EQ, comparator.APPROX], rising=False, latest_f__lte=F("goal_f"))
    )
    span = NullIf(_float(F("target_year") - F("baseline_year")), Value(0.0))
    line = _float(F("latest_year") - F("baseline_year")) / span
    status = ProgressStatusChoices
    return queryset.annotate(
        progress=(F("latest_f") - F("baseline_f")) / NullIf(F("goal_f") - F("baseline_f"), Value(0.0)),
        expected_progress=Case(
            When(Q(latest_year__isnull=True) | Q(baseline_year__isnull=True), then=Value(None)),
            When(Q(baseline_year=F("target_year")) | Q(latest_year__gte=F("target_year")), then=Value(1.0)),
            When(latest_year__lte=F("baseline_year"), then=Value(0.0)),
            default=line,
            output_field=FloatField(),
        ),
        progress_status=Case(
            When(latest_f__isnull=True, then=Value(status.NO_DATA)),
            When(met, then=Value(status.ACHIEVED)),
            When(latest_year__gte=F("target_year"), then=Value(status.OFF_TRACK)),
            When(progress__isnull=True, then=Value(status.NO_DATA)),
            When(progress__gte=F("expected_progress"), then=Value(status.ON_TRACK)),
            When(progress__gte=F("expected_progress") * AT_RISK_SHARE, then=Value(status.AT_RISK)),
            default=Value(status.OFF_TRACK),
        ),
    )

"""Target progress as of a date: the one place where it is computed.

A target is judged by its indicator's *preferred* observations in its region, whichever plan
document or bulletin reported them (``Observation.indicator`` and ``scope``, not the target).

Preferred observation
    Per indicator, region and period (year, quarter, month) one value: the highest status
    (修订 over 正式 over 初步), then a source that is not a plan document (a statistical
    bulletin entered by staff is primary; a plan quotes it), then the later plan (published_on,
    else signed_on), then the latest entered (highest id).

Latest value as of a date ``as_of``
    Among the preferred values whose period has ended by ``as_of`` (a year on 31 December, a
    quarter or month on its last day) and which lie after the baseline year (the baseline is not
    progress), the one whose period ends last, the annual value before a quarter or month ending
    the same day. Flow indicators (summed per period) use annual values only: a quarter of a flow
    is not comparable with a yearly goal.

Baseline
    The target's own baseline value and year; when it states no value, the preferred annual value
    of its indicator and region in its baseline year, or (no baseline year) in the year before the
    plan period starts.

Path from baseline to goal (序时进度)
    Through (baseline year, baseline), the yearly steps (``TargetStep``, entered by staff) and
    (target year, goal), each point at the end of its year; between two points straight for rate
    indicators (shares, intensities, growth rates) and compound (constant growth rate) for flow
    and stock indicators when both values are positive, straight otherwise. ``expected_progress``
    is where that path stands at ``as_of``, as a share of the way from baseline to goal (0…1).
    ``progress`` is ``(latest − baseline) / (goal − baseline)``. The goal is ``target_value``, or
    the upper end of a range when the baseline lies above it.

Open SDG progress ratio (``sdg_ratio``, ``grade``)
    ``observed CAGR / needed CAGR`` with ``CAGR = (value / baseline) ** (1 / years) − 1`` from the
    baseline year to the latest value's year (observed) and to the target year (needed); positive
    baseline, latest value and goal only. Grades: goal met → achieved; ratio ≥ SDG_ON_TRACK →
    on_track; ≥ SDG_ACCELERATION → acceleration_needed; ≥ 0 → limited; < 0 → deterioration;
    no ratio → unknown.

Status (``ProgressStatusChoices``)
    After the target year (``as_of`` later than its 31 December), by the latest value of a year up
    to the target year: met → 已完成; a value of the target year that misses it → 未完成; an
    earlier value that meets a stock target → 已完成; otherwise → 逾期无数据.
    Up to the end of the target year: no latest value → 暂无数据; met (not a per-year target) →
    提前完成; no baseline → 暂无数据 (nothing to measure progress from); otherwise ``progress /
    expected_progress`` (per-year targets: the latest annual value / the yearly goal) ≥ FASTER →
    快于预期, ≥ ON_TRACK → 符合序时进度, ≥ BEHIND → 滞后, less → 严重滞后 (before the path starts:
    any progress is faster, none on track, a loss behind).
    ``stale``: the latest value's period ended more than STALE_DAYS before ``as_of``.

Thresholds are settings (``PROGRESS_*``, documented in the README). Today's figures are kept in the
``TargetProgress`` rollup (``refresh_progress``: by the services on every write of a target, step
or observation, and nightly by ``plans.refresh_target_progress``), so lists filter and count them
in SQL (``annotate_progress``). Other dates are computed on the fly by ``progress_as_of`` in three
queries however many targets.
"""

from __future__ import annotations

import datetime
import math
from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    DecimalField,
    F,
    FloatField,
    PositiveSmallIntegerField,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.scope import visibility_q

from .choices import (
    ComparatorChoices,
    IndicatorDirectionChoices,
    ObservationStatusChoices,
    ProgressGradeChoices,
    ProgressStatusChoices,
    TimeAggregationChoices,
)
from .models import Indicator, Observation, Target, TargetProgress, TargetStep

#: The path from a Target to its latest observation (the ``TargetProgress`` rollup).
LATEST = "rollup__observation__"
STATUS_RANK = {
    ObservationStatusChoices.PRELIMINARY: 0,
    ObservationStatusChoices.FINAL: 1,
    ObservationStatusChoices.REVISED: 2,
}


@dataclass(frozen=True)
class Thresholds:
    faster: float
    on_track: float
    behind: float
    sdg_on_track: float
    sdg_acceleration: float
    stale_days: int


def thresholds() -> Thresholds:
    return Thresholds(
        faster=settings.PROGRESS_FASTER_RATIO,
        on_track=settings.PROGRESS_ON_TRACK_RATIO,
        behind=settings.PROGRESS_BEHIND_RATIO,
        sdg_on_track=settings.PROGRESS_SDG_ON_TRACK,
        sdg_acceleration=settings.PROGRESS_SDG_ACCELERATION,
        stale_days=settings.PROGRESS_STALE_DAYS,
    )


@dataclass(frozen=True)
class Progress:
    """A target's standing as of a date (module doc)."""

    as_of: datetime.date
    observation: Observation | None
    baseline: float | None
    progress: float | None
    expected_progress: float | None
    sdg_ratio: float | None
    grade: str
    stale: bool
    status: str


# Reading -----------------------------------------------------------------------------------------


def annotate_progress(queryset: QuerySet, *, user) -> QuerySet:
    """Targets with today's progress read from the rollup, under the names ``attach_progress`` sets (idempotent)."""
    if "progress_status" in queryset.query.annotations:
        return queryset
    # The latest observation lies in the target's scope: the user sees it if they see that scope;
    # a user who does not gets what a target without observations gets.
    visible = visibility_q(user, Observation, prefix=LATEST)

    def seen(path, output_field):
        expression = F(path) if isinstance(path, str) else path
        if visible is None:
            return expression
        return Case(When(visible, then=expression), default=Value(None), output_field=output_field)

    small = PositiveSmallIntegerField()
    return queryset.annotate(
        latest_value=seen(LATEST + "value", DecimalField(max_digits=20, decimal_places=4)),
        latest_year=seen(LATEST + "year", small),
        latest_quarter=seen(LATEST + "quarter", small),
        latest_month=seen(LATEST + "month", small),
        latest_qualifier=seen(LATEST + "qualifier", CharField()),
        latest_source=seen(LATEST + "source", CharField()),
        latest_source_plan=seen(LATEST + "source_plan", small),
        progress=seen("rollup__progress", FloatField()),
        expected_progress=seen("rollup__expected_progress", FloatField()),
        sdg_ratio=seen("rollup__sdg_ratio", FloatField()),
        grade=Coalesce(
            seen("rollup__grade", CharField()), Value(ProgressGradeChoices.UNKNOWN), output_field=CharField()
        ),
        stale=Coalesce(seen("rollup__stale", BooleanField()), Value(False), output_field=BooleanField()),
        progress_status=Coalesce(
            seen("rollup__status", CharField()), Value(ProgressStatusChoices.NO_DATA), output_field=CharField()
        ),
        progress_as_of=F("rollup__as_of"),
    )


def attach_progress(targets: list[Target], *, as_of: datetime.date, user) -> list[Target]:
    """Give each target the attributes ``annotate_progress`` gives, computed as of ``as_of`` (three queries)."""
    computed = progress_as_of(Target.objects.filter(pk__in=[target.pk for target in targets]), as_of=as_of, user=user)
    for target in targets:
        _set_attributes(target, computed[target.pk])
    return targets


def _set_attributes(target: Target, progress: Progress) -> None:
    observation = progress.observation
    target.latest_value = None if observation is None else observation.value
    target.latest_year = None if observation is None else observation.year
    target.latest_quarter = None if observation is None else observation.quarter
    target.latest_month = None if observation is None else observation.month
    target.latest_qualifier = None if observation is None else observation.qualifier
    target.latest_source = None if observation is None else observation.source
    target.latest_source_plan = None if observation is None else observation.source_plan_id
    target.progress = progress.progress
    target.expected_progress = progress.expected_progress
    target.sdg_ratio = progress.sdg_ratio
    target.grade = progress.grade
    target.stale = progress.stale
    target.progress_status = progress.status
    target.progress_as_of = progress.as_of


def progress_as_of(
    queryset: QuerySet,
    *,
    as_of: datetime.date,
    user=None,
    extra: dict[tuple[int, int], list[Observation]] | None = None,
) -> dict[int, Progress]:
    """Each target's progress as of ``as_of``, by primary key, from observations ``user`` may see (None: all).

    Three queries: the targets, their indicators' observations in their regions, their steps.
    The targets are loaded with their indicator and plan (``target.indicator``, ``target.plan``).
    ``extra``: unsaved observations per (indicator id, region id), judged as if they were stored and
    preferred in their periods (monitoring's values under review, "as if approved").
    """
    targets = list(queryset.order_by().select_related("indicator", "plan"))
    if not targets:
        return {}
    chosen = queryset.order_by()
    observations = Observation.objects.filter(
        indicator__in=chosen.values("indicator"), scope__in=chosen.values("scope"), year__lte=as_of.year
    )
    if user is not None:
        observations = observations.for_user(user)
    by_pair = preferred_observations(observations)
    for pair, added in (extra or {}).items():
        periods = {(o.year, o.quarter, o.month) for o in added}
        kept = [o for o in by_pair.get(pair, []) if (o.year, o.quarter, o.month) not in periods]
        by_pair[pair] = sorted(kept + added, key=_period_order)
    steps = defaultdict(list)
    for step in TargetStep.objects.filter(target__in=chosen.values("pk")).order_by("year"):
        steps[step.target_id].append((step.year, float(step.value)))
    limits = thresholds()
    return {
        target.pk: judge(
            target,
            observations=by_pair.get((target.indicator_id, target.scope_id), []),
            steps=steps[target.pk],
            as_of=as_of,
            limits=limits,
        )
        for target in targets
    }


def preferred_observations(observations: QuerySet) -> dict[tuple[int, int], list[Observation]]:
    """The preferred observation of each period, per (indicator, region), in period order (one query)."""
    best: dict[tuple, Observation] = {}
    source_date = Coalesce("source_plan__published_on", "source_plan__signed_on", output_field=DateField())
    for observation in observations.annotate(source_date=source_date):
        period = (
            observation.indicator_id,
            observation.scope_id,
            observation.year,
            observation.quarter,
            observation.month,
        )
        current = best.get(period)
        if current is None or _preference(observation) > _preference(current):
            best[period] = observation
    pairs = defaultdict(list)
    for observation in best.values():
        pairs[(observation.indicator_id, observation.scope_id)].append(observation)
    for values in pairs.values():
        values.sort(key=_period_order)
    return pairs


def _preference(observation: Observation) -> tuple:
    source_date = getattr(observation, "source_date", None)
    return (
        STATUS_RANK.get(observation.status, 0),
        observation.source_plan_id is None,
        source_date or datetime.date.min,
        observation.pk,
    )


def period_end(*, year: int, quarter: int = 0, month: int = 0) -> datetime.date:
    """The last day of a year, a quarter (1–4) or a month (1–12)."""
    last_month = month or (quarter * 3 if quarter else 12)
    return datetime.date(year, last_month, monthrange(year, last_month)[1])


def _period_order(observation: Observation) -> tuple:
    is_annual = observation.quarter == 0 and observation.month == 0
    return (period_end(year=observation.year, quarter=observation.quarter, month=observation.month), is_annual)


# Judging -----------------------------------------------------------------------------------------


def judge(
    target: Target,
    *,
    observations: list[Observation],
    steps: list[tuple[int, float]],
    as_of: datetime.date,
    limits: Thresholds,
) -> Progress:
    """A target's progress as of ``as_of`` from its indicator's preferred observations in its region (module doc)."""
    status, grade = ProgressStatusChoices, ProgressGradeChoices
    indicator = target.indicator
    baseline_year, baseline = _baseline(target, observations)
    goal = _goal(target, baseline)
    after_target_year = as_of > period_end(year=target.target_year)
    candidates = [
        observation
        for observation in observations
        if period_end(year=observation.year, quarter=observation.quarter, month=observation.month) <= as_of
        and (baseline_year is None or observation.year > baseline_year)
        and (indicator.time_aggregation != TimeAggregationChoices.FLOW or observation.quarter == observation.month == 0)
        and (not after_target_year or observation.year <= target.target_year)
    ]
    latest = candidates[-1] if candidates else None
    if latest is None:
        outcome = status.OVERDUE_NO_DATA if after_target_year else status.NO_DATA
        return Progress(as_of, None, baseline, None, None, None, grade.UNKNOWN, False, outcome)

    value = float(latest.value)
    met = _meets(target, value, baseline)
    progress = None if baseline is None or goal == baseline else (value - baseline) / (goal - baseline)
    expected = _expected_progress(target, baseline_year, baseline, goal, steps, as_of)
    ratio = _sdg_ratio(baseline_year, baseline, latest.year, value, target.target_year, goal)
    stale = (as_of - period_end(year=latest.year, quarter=latest.quarter, month=latest.month)).days > limits.stale_days

    if after_target_year:
        if met and (latest.year == target.target_year or indicator.time_aggregation == TimeAggregationChoices.STOCK):
            outcome = status.ACHIEVED
        elif latest.year == target.target_year:
            outcome = status.MISSED
        else:
            outcome = status.OVERDUE_NO_DATA
    elif met and not target.is_per_year:
        outcome = status.AHEAD
    elif target.is_per_year:
        outcome = _by_share(_share_of_goal(indicator, value, goal), 1.0, limits)
    elif progress is None or expected is None:
        outcome = status.NO_DATA
    else:
        outcome = _by_share(progress, expected, limits)

    if met:
        sdg_grade = grade.ACHIEVED
    elif ratio is None:
        sdg_grade = grade.UNKNOWN
    elif ratio >= limits.sdg_on_track:
        sdg_grade = grade.ON_TRACK
    elif ratio >= limits.sdg_acceleration:
        sdg_grade = grade.ACCELERATION_NEEDED
    elif ratio >= 0:
        sdg_grade = grade.LIMITED
    else:
        sdg_grade = grade.DETERIORATION
    return Progress(as_of, latest, baseline, progress, expected, ratio, sdg_grade, stale, outcome)


def _by_share(progress: float, expected: float, limits: Thresholds) -> str:
    status = ProgressStatusChoices
    if expected <= 0:
        return status.FASTER if progress > 0 else status.ON_TRACK if progress == 0 else status.BEHIND
    share = progress / expected
    if share >= limits.faster:
        return status.FASTER
    if share >= limits.on_track:
        return status.ON_TRACK
    if share >= limits.behind:
        return status.BEHIND
    return status.FAR_BEHIND


def _share_of_goal(indicator: Indicator, value: float, goal: float) -> float:
    if indicator.direction == IndicatorDirectionChoices.LOWER:
        return goal / value if value > 0 else 0.0
    return value / goal if goal else 0.0


def _baseline(target: Target, observations: list[Observation]) -> tuple[int | None, float | None]:
    if target.baseline_value is not None:
        return target.baseline_year, float(target.baseline_value)
    year = target.baseline_year
    if year is None and target.plan.period_start is not None:
        year = target.plan.period_start - 1
    if year is None:
        return None, None
    for observation in observations:
        if observation.year == year and observation.quarter == observation.month == 0:
            return year, float(observation.value)
    return year, None


def _goal(target: Target, baseline: float | None) -> float:
    top = None if target.target_value_max is None else float(target.target_value_max)
    if target.comparator == ComparatorChoices.RANGE and baseline is not None and top is not None and baseline > top:
        return top
    return float(target.target_value)


def _meets(target: Target, value: float, baseline: float | None) -> bool:
    comparator = ComparatorChoices
    goal = float(target.target_value)
    top = None if target.target_value_max is None else float(target.target_value_max)
    if target.comparator == comparator.RANGE:
        return top is not None and goal <= value <= top
    if target.comparator == comparator.GE:
        return value >= goal
    if target.comparator == comparator.GT:
        return value > goal
    if target.comparator == comparator.LE:
        return value <= goal
    if target.comparator == comparator.LT:
        return value < goal
    # "=" and "约": reached the goal coming from the baseline's side (or the better side).
    rising = (
        baseline <= goal if baseline is not None else target.indicator.direction == IndicatorDirectionChoices.HIGHER
    )
    return value >= goal if rising else value <= goal


def _expected_progress(
    target: Target,
    baseline_year: int | None,
    baseline: float | None,
    goal: float,
    steps: list[tuple[int, float]],
    as_of: datetime.date,
) -> float | None:
    """Where the path from baseline to goal stands at ``as_of``, as a share of the way (0…1)."""
    if baseline is None or baseline_year is None or goal == baseline:
        return None
    if baseline_year >= target.target_year:
        return 1.0
    points = [(baseline_year, baseline)]
    points += [(year, value) for year, value in steps if baseline_year < year < target.target_year]
    points.append((target.target_year, goal))
    value = path_value(points, at=as_of, compound=target.indicator.time_aggregation != TimeAggregationChoices.RATE)
    return min(max((value - baseline) / (goal - baseline), 0.0), 1.0)


def path_value(points: list[tuple[int, float]], *, at: datetime.date, compound: bool) -> float:
    """The path's value at a date: through (year, value) points at the end of their years (module doc)."""
    moments = [(period_end(year=year).toordinal(), value) for year, value in points]
    when = at.toordinal()
    if when <= moments[0][0]:
        return moments[0][1]
    if when >= moments[-1][0]:
        return moments[-1][1]
    for (start, low), (end, high) in zip(moments, moments[1:], strict=False):
        if start <= when <= end:
            share = (when - start) / (end - start)
            if compound and low > 0 and high > 0:
                return low * (high / low) ** share
            return low + (high - low) * share
    return moments[-1][1]


def _sdg_ratio(
    baseline_year: int | None, baseline: float | None, year: int, value: float, target_year: int, goal: float
) -> float | None:
    if baseline is None or baseline_year is None or baseline <= 0 or value <= 0 or goal <= 0:
        return None
    if year <= baseline_year or target_year <= baseline_year:
        return None
    needed = (goal / baseline) ** (1 / (target_year - baseline_year)) - 1
    if needed == 0:
        return None
    observed = (value / baseline) ** (1 / (year - baseline_year)) - 1
    return observed / needed if math.isfinite(observed) else None


# Keeping the rollup ------------------------------------------------------------------------------


def refresh_progress(target_ids: Iterable[int | None] | None = None) -> None:
    """Recompute today's ``TargetProgress`` rows of these targets (every target when ``None``)."""
    targets = Target.objects.all()
    if target_ids is not None:
        ids = {pk for pk in target_ids if pk is not None}
        if not ids:
            return
        targets = targets.filter(pk__in=ids)
    today = timezone.localdate()
    rows = [
        TargetProgress(
            target_id=pk,
            observation=progress.observation,
            progress=progress.progress,
            expected_progress=progress.expected_progress,
            sdg_ratio=progress.sdg_ratio,
            grade=progress.grade,
            stale=progress.stale,
            status=progress.status,
            as_of=today,
        )
        for pk, progress in progress_as_of(targets, as_of=today).items()
    ]
    with transaction.atomic():
        TargetProgress.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["target"],
            update_fields=[
                "observation", "progress", "expected_progress", "sdg_ratio", "grade", "stale", "status", "as_of",
            ],
            batch_size=1000,
        )  # fmt: skip


def targets_observing(pairs: Iterable[tuple[int | None, int | None]]) -> list[int]:
    """The targets an observation of these (indicator, region) pairs bears on (one query)."""
    pairs = {(indicator, scope) for indicator, scope in pairs if indicator is not None and scope is not None}
    if not pairs:
        return []
    indicators = {indicator for indicator, _ in pairs}
    scopes = {scope for _, scope in pairs}
    rows = Target.objects.filter(indicator__in=indicators, scope__in=scopes).values_list("pk", "indicator", "scope")
    return [pk for pk, indicator, scope in rows if (indicator, scope) in pairs]

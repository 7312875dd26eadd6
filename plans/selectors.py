"""Reads of plans with business rules: targets with their progress and the status counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.filters import descendant_ids
from common.models import defer_heavy_fields

from .choices import CityAggregationChoices, ProgressStatusChoices
from .models import Indicator, Industry, Observation, Plan, Target
from .progress import annotate_progress, period_end, preferred_observations, progress_as_of


def target_list(*, user, queryset: QuerySet | None = None, progress: bool = True) -> QuerySet:
    """The targets this user may see, with today's progress (plans.progress; ``progress=False``: without it,
    for a reader that computes it as of another date with ``attach_progress``)."""
    queryset = (queryset if queryset is not None else Target.objects.all()).for_user(user)
    return annotate_progress(queryset, user=user) if progress else queryset


def annotate_allocations(queryset: QuerySet) -> QuerySet:
    """Targets with ``allocation_count``, ``allocated_total`` (分解合计) and ``allocation_gap`` (差额).

    The total and the gap are those of an allocated target of an additive indicator (null
    otherwise): the target value less the sum of its city targets' values, positive when they do
    not cover it.
    """
    children = Target.objects.filter(parent=OuterRef("pk")).order_by().values("parent")
    amount = DecimalField(max_digits=20, decimal_places=4)
    total = Subquery(children.annotate(total=Sum("target_value")).values("total"), output_field=amount)
    additive = Q(indicator__city_aggregation=CityAggregationChoices.SUM)
    return queryset.annotate(
        allocation_count=Coalesce(Subquery(children.annotate(count=Count("pk")).values("count")), Value(0)),
        allocated_total=Case(When(additive, then=total), default=Value(None), output_field=amount),
    ).annotate(allocation_gap=F("target_value") - F("allocated_total"))


def allocation_summary(*, target: Target) -> dict | None:
    """分解合计 and 差额 of a target that has allocations and an additive indicator; None otherwise."""
    if target.pk is None or not target.indicator.is_additive:
        return None
    total = target.allocations.aggregate(total=Sum("target_value"))["total"]
    if total is None:
        return None
    return {"allocated_total": total, "allocation_gap": target.target_value - Decimal(total)}


def attach_observation_history(targets: list[Target], *, user) -> list[Target]:
    """Give each target ``observation_history``: its indicator's observations in its region that this user may see.

    Every source's value is listed (the chart shows them all), in time order. One query for the
    whole page of targets, read as plain rows (a page can carry tens of thousands of
    observations: model instances and nested serializers would dominate its time).
    """
    pairs: dict[tuple[int, int], list[dict]] = {(target.indicator_id, target.scope_id): [] for target in targets}
    rows = (
        Observation.objects.for_user(user)
        .filter(indicator__in={indicator for indicator, _ in pairs}, scope__in={scope for _, scope in pairs})
        .order_by("year", "quarter", "month", "scope__code", "pk")
        .values_list(
            "indicator", "scope", "id", "year", "quarter", "month", "value", "qualifier", "status",
            "scope__code", "source", "source_plan",
        )
    )  # fmt: skip
    for indicator, scope, pk, year, quarter, month, value, qualifier, status, code, source, source_plan in rows:
        if (indicator, scope) in pairs:
            pairs[(indicator, scope)].append(
                {
                    "id": pk, "year": year, "quarter": quarter, "month": month, "value": str(value),
                    "qualifier": qualifier, "status": status, "scope": code, "source": source,
                    "source_plan": source_plan,
                }
            )  # fmt: skip
    for target in targets:
        target.observation_history = pairs[(target.indicator_id, target.scope_id)]
    return targets


def target_status_counts(*, user, queryset: QuerySet, as_of: datetime.date | None = None) -> dict:
    """Targets by progress status, per plan and in total, as of a date (None: today).

    Today's counts are one GROUP BY over the rollup; another date's are computed by
    ``progress_as_of`` (three queries) and one more query for the plans' titles.
    """
    total = dict.fromkeys(("total", *ProgressStatusChoices.values), 0)
    plans: dict[int, dict] = {}

    def add(plan: int, title: str, status: str, count: int) -> None:
        entry = plans.setdefault(plan, {"plan": plan, "plan_title": title} | dict.fromkeys(total, 0))
        for counts in (entry, total):
            counts[status] += count
            counts["total"] += count

    if as_of is None:
        rows = (
            annotate_progress(queryset, user=user)
            .order_by()
            .values("plan", "plan__title", "progress_status")
            .annotate(count=Count("pk"))
            .order_by("plan")
        )
        for row in rows:
            add(row["plan"], row["plan__title"], row["progress_status"], row["count"])
    else:
        computed = progress_as_of(queryset, as_of=as_of, user=user)
        plan_of = dict(queryset.order_by().values_list("pk", "plan"))
        titles = dict(Plan.objects.filter(pk__in=set(plan_of.values())).values_list("pk", "title"))
        for pk, progress in sorted(computed.items(), key=lambda item: plan_of[item[0]]):
            add(plan_of[pk], titles[plan_of[pk]], progress.status, 1)
    return {"as_of": as_of or timezone.localdate(), "total": total, "results": list(plans.values())}


def indicator_preferred_values(*, user, indicator: Indicator, as_of: datetime.date) -> dict[int, list[Observation]]:
    """An indicator's preferred observations (plans.progress) that this user may see, per region id, in
    period order, of the periods ended by ``as_of``; each with its ``scope`` and ``source_plan`` (one query)."""
    observations = defer_heavy_fields(
        Observation.objects.for_user(user)
        .filter(indicator=indicator, year__lte=as_of.year)
        .select_related("scope", "source_plan")
    )
    return {
        scope: kept
        for (_, scope), values in preferred_observations(observations).items()
        if (kept := [o for o in values if period_end(year=o.year, quarter=o.quarter, month=o.month) <= as_of])
    }


def industry_tree() -> list[dict]:
    """The whole taxonomy as nested nodes, read in one query."""
    nodes, roots = {}, []
    industries = Industry.objects.order_by("order", "code").values("pk", "parent_id", "code", "name", "is_national")
    for row in industries:
        nodes[row["pk"]] = {
            "id": row["pk"],
            "code": row["code"],
            "name": row["name"],
            "is_national": row["is_national"],
            "children": [],
            "_parent": row["parent_id"],
        }
    for node in nodes.values():
        parent = nodes.get(node.pop("_parent"))
        (parent["children"] if parent else roots).append(node)
    return roots


def industry_descendant_ids(industry_id: int) -> list[int]:
    """The industry and all industries below it in the taxonomy, read in one query."""
    return descendant_ids(Industry.objects, industry_id)

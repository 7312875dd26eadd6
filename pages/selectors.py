"""Reads of the web pages that no other reader shares; domain reads stay in the apps' selectors.

Every record goes through ``Model.objects.for_user`` (common.scope).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from common.models import defer_heavy_fields
from plans.filtersets import IndicatorFilterSet
from plans.models import CityRole, Indicator, KeyArea, Measure, Plan, Program, Target
from plans.selectors import annotate_allocations, industry_tree, target_list
from projects.choices import ProjectStageChoices
from projects.models import Enterprise, IndustryBase
from regions.choices import RegionLevelChoices
from regions.models import LayoutScheme, Park, Region, ZoneMembership


def _float(value) -> float | None:
    return None if value is None else float(value)


def city_list(*, user) -> QuerySet:
    return Region.objects.for_user(user).filter(level=RegionLevelChoices.CITY).defer("boundary")


def plan_list(*, user) -> QuerySet:
    return Plan.objects.for_user(user).order_by("-period_start", "title")


def layout_scheme_list(*, user) -> QuerySet:
    return LayoutScheme.objects.for_user(user).select_related("plan").order_by("-plan__period_start", "name")


def targets_with_observations(*, user, as_of: datetime.date | None = None) -> QuerySet:
    """Targets with their progress, the provincial target each is allocated from and their allocations'
    总计 and 差额 (their observations: ``plans.selectors.attach_observation_history``).

    With ``as_of`` (another date than today) today's progress is left out: ``pages.views.target_rows``
    computes the progress as of that date instead (``plans.progress.attach_progress``)."""
    return annotate_allocations(
        target_list(
            user=user,
            queryset=defer_heavy_fields(
                Target.objects.select_related("scope", "industry", "plan", "indicator", "parent__scope")
            ),
            progress=as_of is None,
        )
    )


def indicator_list(*, user, params) -> IndicatorFilterSet:
    """The indicator catalogue through IndicatorFilterSet (the API's), each with its number of targets and plans."""
    queryset = Indicator.objects.for_user(user).annotate(
        target_count=Count("targets", distinct=True), plan_count=Count("targets__plan", distinct=True)
    )
    return IndicatorFilterSet(data=params, queryset=queryset.order_by("category", "name"), user=user)


def stage_summary(*, projects: QuerySet) -> list[dict]:
    """Projects and their investment per stage, every stage of the pipeline listed. Unknown amounts are
    not summed as 0: ``investment`` is the sum of the known ones (None when a stage's projects all lack
    one) and ``unknown`` counts the projects without an amount."""
    return _stages(
        projects.order_by()
        .values("stage")
        .annotate(
            count=Count("pk"),
            investment=Sum("total_investment"),
            unknown=Count("pk", filter=Q(total_investment__isnull=True)),
        )
    )


def stage_summary_from_rollups(*, rollups: QuerySet) -> list[dict]:
    """``stage_summary`` of the projects the rollup rows ``rollups`` count (projects.selectors.project_rollups)."""
    rows = (
        rollups.filter(count__gt=0)
        .order_by()
        .values("stage")
        .annotate(count=Sum("count"), investment=Sum("investment"), unknown=Sum("investment_unknown"))
    )
    # A rollup sums no amount as 0: a stage whose projects all lack one has no known sum.
    return _stages({**row, "investment": None if row["count"] == row["unknown"] else row["investment"]} for row in rows)


def _stages(rows) -> list[dict]:
    rows = {row["stage"]: row for row in rows}
    empty = {"count": 0, "investment": 0, "unknown": 0}
    return [
        {
            "stage": stage.value,
            "label": stage.label,
            "count": rows.get(stage.value, empty)["count"],
            "investment": _float(rows.get(stage.value, empty)["investment"]),
            "unknown": rows.get(stage.value, empty)["unknown"],
        }
        for stage in ProjectStageChoices
    ]


def city_memberships(*, city: Region) -> QuerySet:
    """The city's zone memberships, latest plan first."""
    return (
        ZoneMembership.objects.filter(region=city)
        .select_related("zone__scheme__plan")
        .prefetch_related("zone__industries")
        .order_by("-zone__scheme__plan__period_start", "zone__order")
    )


def city_roles(*, user, city: Region) -> QuerySet:
    return (
        CityRole.objects.for_user(user)
        .filter(city=city)
        .select_related("plan")
        .prefetch_related("industries")
        .order_by("-plan__period_start")
    )


def city_bases(*, user, city: Region) -> QuerySet:
    """The city's bases, each with the parks and anchor enterprises this user may see (a shared
    base also links other cities' records, which are not named here)."""
    return (
        IndustryBase.objects.for_user(user)
        .filter(cities=city)
        .select_related("plan", "industry")
        .order_by("-plan__period_start", "key")
        .prefetch_related(
            Prefetch("parks", queryset=Park.objects.for_user(user)),
            Prefetch("anchors", queryset=Enterprise.objects.for_user(user)),
        )
    )


def city_parks(*, user, city: Region) -> QuerySet:
    return defer_heavy_fields(
        Park.objects.for_user(user).filter(city=city).select_related("city", "county").prefetch_related("industries")
    )


def city_enterprises(*, user, city: Region) -> QuerySet:
    return defer_heavy_fields(
        Enterprise.objects.for_user(user).filter(city=city).select_related("city").prefetch_related("industries")
    )


def program_list(*, user, plan: Plan) -> list[Program]:
    """The plan's programs (重点工程 / 主要任务) in the document's order, with their section and industries."""
    return list(
        Program.objects.for_user(user)
        .filter(plan=plan)
        .select_related("section")
        .prefetch_related("industries")
        .order_by("order", "key")
    )


def measure_list(*, user, plan: Plan) -> list[Measure]:
    """The plan's safeguard measures (保障措施) in the document's order."""
    return list(Measure.objects.for_user(user).filter(plan=plan).select_related("section").order_by("order", "key"))


def key_area_list(*, user, plans: list[Plan]) -> list[KeyArea]:
    return list(
        KeyArea.objects.for_user(user)
        .filter(plan__in=plans)
        .select_related("section")
        .prefetch_related("industries")
        .order_by("plan", "order")
    )


def key_area_comparison(*, plan: Plan, other: Plan, areas: list[KeyArea]) -> list[dict]:
    """Per top-level industry, the key areas each plan devotes to it (or to one of its children)."""
    roots = {}

    def walk(node, root):
        roots[node["id"]] = root
        for child in node["children"]:
            walk(child, root)

    tree = industry_tree()
    for node in tree:
        walk(node, node)
    cells = defaultdict(lambda: {plan.pk: [], other.pk: []})
    for area in areas:
        for industry in area.industries.all():
            names = cells[roots[industry.pk]["id"]][area.plan_id]
            if area.name not in names:
                names.append(area.name)
    return [
        {
            "industry": node["name"],
            "areas": [cells[node["id"]][plan.pk], cells[node["id"]][other.pk]],
            "counts": [len(cells[node["id"]][plan.pk]), len(cells[node["id"]][other.pk])],
        }
        for node in tree
        if node["id"] in cells
    ]

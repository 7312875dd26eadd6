"""Reads of projects with business rules: the dashboard breakdowns.

Each breakdown is one GROUP BY query over the queryset it is given (already scoped and
filtered like the list), plus one aggregate for the total. Rows of the city, stage and
industry breakdowns partition the projects, so they sum to the total; a city may belong to
several zones, so zone rows may overlap.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from common.filters import scoped_filtered
from regions.choices import RegionLevelChoices
from regions.models import Park, Region, Zone, ZoneMembership

from .choices import ProjectStageChoices
from .filtersets import KeyProjectFilterSet
from .models import Enterprise, IndustryBase, KeyProject

#: breakdown → (key path, label path); the stage label comes from its choices.
PROJECT_BREAKDOWNS = {
    "stage": ("stage", None),
    "city": ("city__code", "city__name"),
    "zone": ("city__zone_memberships__zone", "city__zone_memberships__zone__name"),
    "industry": ("industry", "industry__name"),
}
NO_GROUP_LABELS = {"zone": "不属于任何分区", "industry": "未分类"}
STAGE_ORDER = {stage: index for index, stage in enumerate(ProjectStageChoices.values)}


def project_list(*, user, filters: dict | None = None) -> QuerySet:
    """The key projects this user may see, filtered by KeyProjectFilterSet (``filters`` as query params)."""
    queryset = KeyProject.objects.select_related("city", "county", "industry", "enterprise")
    return scoped_filtered(queryset=queryset, user=user, filterset_class=KeyProjectFilterSet, filters=filters)


#: Breakdowns whose rows partition the projects (a project has one stage, one city, one industry).
PARTITIONING_BREAKDOWNS = ("stage", "city", "industry")


def _project_measures() -> dict:
    investment = Coalesce(
        Sum("total_investment"), Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    return {"count": Count("pk"), "investment": investment}


def project_breakdown(*, queryset: QuerySet, by: str) -> dict:
    """Projects and their total investment by stage, city, zone or industry."""
    key, label = PROJECT_BREAKDOWNS[by]
    queryset = queryset.order_by()
    rows = queryset.values(*filter(None, (key, label))).annotate(**_project_measures())
    results = [
        {
            "key": None if row[key] is None else str(row[key]),
            "label": _label(by, row, key, label),
            "count": row["count"],
            "investment": row["investment"],
        }
        for row in rows
    ]
    if by == "stage":
        results.sort(key=lambda row: STAGE_ORDER[row["key"]])
    else:
        results.sort(key=lambda row: (row["key"] is None, row["key"] or ""))
    if by in PARTITIONING_BREAKDOWNS:
        # These rows partition the projects: their sums are the total, no second query needed.
        total = {
            "count": sum(r["count"] for r in results),
            "investment": sum((r["investment"] for r in results), Decimal(0)),
        }
    else:
        total = queryset.aggregate(**_project_measures())
    return {"total": total, "results": results}


def _label(by, row, key, label) -> str:
    if label is None:
        return ProjectStageChoices(row[key]).label
    return row[label] if row[key] is not None else NO_GROUP_LABELS[by]


def base_counts(*, queryset: QuerySet) -> dict:
    """Industry bases by zone (through their cities) and industry; a base in several zones counts in each."""
    zone, industry = "cities__zone_memberships__zone", "industry"
    rows = (
        queryset.order_by()
        .values(zone, f"{zone}__name", industry, f"{industry}__name")
        .annotate(count=Count("pk", distinct=True))
        .order_by(zone, industry)
    )
    results = [
        {
            "zone": row[zone],
            "zone_name": row[f"{zone}__name"] or NO_GROUP_LABELS["zone"],
            "industry": row[industry],
            "industry_name": row[f"{industry}__name"] or NO_GROUP_LABELS["industry"],
            "count": row["count"],
        }
        for row in rows
    ]
    return {"total": queryset.order_by().count(), "results": results}


# Figures of cities and zones for the maps (regions.selectors turns them into GeoJSON). Every
# figure counts only the records the user may see (``Model.objects.for_user``) and is computed by
# the database in the same query as the cities or zones (correlated sub-selects).


def _scoped_figure(queryset: QuerySet, path: str, aggregate, output_field):
    rows = queryset.filter(**{path: OuterRef("pk")}).order_by().values(path).annotate(figure=aggregate).values("figure")
    return Coalesce(Subquery(rows, output_field=output_field), 0, output_field=output_field)


def _count(queryset, path):
    return _scoped_figure(queryset, path, Count("pk", distinct=True), IntegerField())


def _investment(queryset, path):
    return _scoped_figure(queryset, path, Sum("total_investment"), DecimalField(max_digits=20, decimal_places=2))


def city_summary_list(*, user, queryset: QuerySet | None = None) -> QuerySet:
    """The cities with their zone memberships and figures (one query plus one for memberships)."""
    projects = KeyProject.objects.for_user(user)
    queryset = queryset if queryset is not None else Region.objects.all()
    return (
        queryset.filter(level=RegionLevelChoices.CITY)
        .prefetch_related(
            Prefetch("zone_memberships", queryset=ZoneMembership.objects.select_related("zone").order_by("zone__order"))
        )
        .annotate(
            project_count=_count(projects, "city"),
            project_investment=_investment(projects, "city"),
            park_count=_count(Park.objects.for_user(user), "city"),
            enterprise_count=_count(Enterprise.objects.for_user(user), "city"),
            base_count=_count(IndustryBase.objects.for_user(user), "cities"),
        )
    )


def zone_summary_list(*, user, queryset: QuerySet | None = None) -> QuerySet:
    """The zones with their member cities (boundaries included) and project figures."""
    projects = KeyProject.objects.for_user(user)
    queryset = queryset if queryset is not None else Zone.objects.all()
    return (
        queryset.select_related("scheme")
        .prefetch_related(
            Prefetch("memberships", queryset=ZoneMembership.objects.select_related("region")), "industries"
        )
        .annotate(
            project_count=_count(projects, "city__zone_memberships__zone"),
            project_investment=_investment(projects, "city__zone_memberships__zone"),
        )
    )

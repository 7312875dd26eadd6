"""Reads of projects with business rules: the dashboard breakdowns.

Each breakdown is one GROUP BY query over the queryset it is given (already scoped and
filtered like the list), plus one aggregate for the total. Rows of the city, stage and
industry breakdowns partition the projects, so they sum to the total; a city may belong to
several zones, so zone rows may overlap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connections
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from common.filters import scoped_filtered
from regions.choices import RegionLevelChoices
from regions.models import Park, Region, Zone, ZoneMembership

from .choices import ProjectStageChoices, WarningLevelChoices
from .filtersets import KeyProjectFilterSet
from .models import (
    Batch,
    BatchProject,
    Enterprise,
    IndustryBase,
    KeyProject,
    ProjectFigures,
    ProjectReport,
    ProjectRollup,
    ProjectYearFigures,
    ProjectYearPlan,
)

#: breakdown → (key path, label path); the stage label comes from its choices.
PROJECT_BREAKDOWNS = {
    "stage": ("stage", None),
    "city": ("city__code", "city__name"),
    "zone": ("city__zone_memberships__zone", "city__zone_memberships__zone__name"),
    "industry": ("industry", "industry__name"),
}
MONEY = DecimalField(max_digits=20, decimal_places=2)
NO_GROUP_LABELS = {"zone": "不属于任何分区", "industry": "未分类"}
STAGE_ORDER = {stage: index for index, stage in enumerate(ProjectStageChoices.values)}


def project_list(*, user, filters: dict | None = None) -> QuerySet:
    """The key projects this user may see, filtered by KeyProjectFilterSet (``filters`` as query params)."""
    queryset = KeyProject.objects.select_related("city", "county", "industry", "enterprise")
    return scoped_filtered(queryset=queryset, user=user, filterset_class=KeyProjectFilterSet, filters=filters)


#: Breakdowns whose rows partition the projects (a project has one stage, one city, one industry).
PARTITIONING_BREAKDOWNS = ("stage", "city", "industry")


def _project_measures() -> dict:
    # Unknown amounts are not summed as 0: the sum is of the known ones (None when none is known)
    # and the projects without one are counted apart.
    return {
        "count": Count("pk"),
        "investment": Sum("total_investment"),
        "investment_unknown": Count("pk", filter=Q(total_investment__isnull=True)),
    }


def _rollup_measures() -> dict:
    return {
        "count": Sum("count"),
        "investment": Sum("investment"),
        "investment_unknown": Sum("investment_unknown"),
    }


def project_breakdown(*, queryset: QuerySet, by: str) -> dict:
    """Projects and their total investment by stage, city, zone or industry (GROUP BY over the projects)."""
    key, label = PROJECT_BREAKDOWNS[by]
    queryset = queryset.order_by()
    rows = queryset.values(*filter(None, (key, label))).annotate(**_project_measures())
    total = None if by in PARTITIONING_BREAKDOWNS else queryset.aggregate(**_project_measures())
    return _breakdown(by, rows, total)


def project_rollup_breakdown(*, queryset: QuerySet, by: str) -> dict:
    """``project_breakdown`` from the rollups (``queryset``: ProjectRollup rows, scoped and filtered).

    Tens of rows instead of a million: the same numbers as the GROUP BY over the projects.
    """
    key, label = PROJECT_BREAKDOWNS[by]
    queryset = queryset.filter(count__gt=0).order_by()
    rows = queryset.values(*filter(None, (key, label))).annotate(**_rollup_measures())
    total = None if by in PARTITIONING_BREAKDOWNS else queryset.aggregate(**_rollup_measures())
    return _breakdown(by, rows, total)


def project_rollup_count(*, queryset: QuerySet) -> int:
    """The number of projects the rollup rows ``queryset`` count (one row each in the rows of all or of a plan)."""
    return queryset.aggregate(total=Coalesce(Sum("count"), 0))["total"]


def _known(investment, count: int, unknown: int) -> Decimal | None:
    return None if count == unknown else (investment or Decimal(0))


def _breakdown(by: str, rows, total: dict | None) -> dict:
    key, label = PROJECT_BREAKDOWNS[by]
    results = [
        {
            "key": None if row[key] is None else str(row[key]),
            "label": _label(by, row, key, label),
            "count": row["count"],
            "investment": _known(row["investment"], row["count"], row["investment_unknown"]),
            "investment_unknown": row["investment_unknown"],
        }
        for row in rows
    ]
    if by == "stage":
        results.sort(key=lambda row: STAGE_ORDER[row["key"]])
    else:
        results.sort(key=lambda row: (row["key"] is None, row["key"] or ""))
    if total is None:
        # These rows partition the projects: their sums are the total, no second query needed.
        known = [r["investment"] for r in results if r["investment"] is not None]
        total = {
            "count": sum(r["count"] for r in results),
            "investment": sum(known, Decimal(0)) if known else None,
            "investment_unknown": sum(r["investment_unknown"] for r in results),
        }
    else:
        count, unknown = total["count"] or 0, total["investment_unknown"] or 0
        total = {
            "count": count,
            "investment": _known(total["investment"], count, unknown),
            "investment_unknown": unknown,
        }
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


def project_rollups(*, user, plan=None) -> QuerySet:
    """The rollup rows this user may see: of all projects, or of those ``plan`` names."""
    rows = ProjectRollup.objects.for_user(user)
    return rows.filter(plan=plan) if plan is not None else rows.filter(plan__isnull=True)


def _rollup_figures(rollups: QuerySet, path: str) -> dict:
    rows = rollups.filter(**{path: OuterRef("pk")}).order_by().values(path)

    def figure(field, output_field):
        sums = rows.annotate(figure=Sum(field)).values("figure")
        return Coalesce(Subquery(sums, output_field=output_field), 0, output_field=output_field)

    return {
        "project_count": figure("count", IntegerField()),
        "project_investment": figure("investment", MONEY),
        "project_investment_unknown": figure("investment_unknown", IntegerField()),
    }


def _project_figures(user, projects: QuerySet | None, plan, path: str) -> dict:
    if projects is None:
        return _rollup_figures(project_rollups(user=user, plan=plan), path)
    return {
        "project_count": _count(projects, path),
        "project_investment": _investment(projects, path),
        "project_investment_unknown": _count(projects.filter(total_investment__isnull=True), path),
    }


def city_summary_list(
    *, user, queryset: QuerySet | None = None, projects: QuerySet | None = None, plan=None
) -> QuerySet:
    """The cities with their zone memberships and figures (one query plus one for memberships).

    Project figures come from the rollups (of all visible projects, or of those ``plan`` names);
    ``projects`` (already scoped) replaces them with a count over those projects.
    """
    queryset = queryset if queryset is not None else Region.objects.all()
    return (
        queryset.filter(level=RegionLevelChoices.CITY)
        .prefetch_related(
            Prefetch("zone_memberships", queryset=ZoneMembership.objects.select_related("zone").order_by("zone__order"))
        )
        .annotate(
            **_project_figures(user, projects, plan, "city"),
            park_count=_count(Park.objects.for_user(user), "city"),
            enterprise_count=_count(Enterprise.objects.for_user(user), "city"),
            base_count=_count(IndustryBase.objects.for_user(user), "cities"),
        )
    )


def zone_summary_list(
    *, user, queryset: QuerySet | None = None, projects: QuerySet | None = None, plan=None
) -> QuerySet:
    """The zones with their member cities (boundaries included) and project figures (as ``city_summary_list``)."""
    queryset = queryset if queryset is not None else Zone.objects.all()
    return (
        queryset.select_related("scheme")
        .prefetch_related(
            Prefetch("memberships", queryset=ZoneMembership.objects.select_related("region")), "industries"
        )
        .annotate(**_project_figures(user, projects, plan, "city__zone_memberships__zone"))
    )


# Investment progress and warnings (issue 15). Unknown amounts stay unknown: a sum is of the known
# amounts only and always comes with the number of projects whose amount is unknown; a rate is
# None unless both of its amounts are known.


def _kept(model, field: str, output_field, **lookups):
    """One figure of the project's kept row (a lookup by key): evaluated for the rows a page returns only."""
    # At most one row (one per project, or per project and year): no ORDER BY, which would join each
    # figure to its project to sort by the project's ordering (half of a 500-row page's execution time).
    rows = model.objects.filter(project=OuterRef("pk"), **lookups).order_by().values(field)[:1]
    return Subquery(rows, output_field=output_field)


def with_investment_progress(queryset: QuerySet, *, year: int) -> QuerySet:
    """Projects annotated, in the same query, with the year's planned and completed investment, the
    cumulative completed investment (from the monthly reports), the reports without an amount and
    the open warnings (all and red): read by key from the figures the services keep (ProjectFigures).

    Lookups by key, not joins: a list page's query first picks its keys (common.api.pagination), and a
    join would be made for every row matching the filters before the page is cut.
    """
    this_year = {"year": year}
    return queryset.annotate(
        planned_year=_kept(ProjectYearFigures, "planned", MONEY, **this_year),
        completed_year=_kept(ProjectYearFigures, "completed", MONEY, **this_year),
        completed_year_unknown=Coalesce(_kept(ProjectYearFigures, "reports_unknown", IntegerField(), **this_year), 0),
        **_cumulative_figures(),
    )


def with_cumulative_progress(queryset: QuerySet) -> QuerySet:
    """``with_investment_progress`` without the year's figures: the cumulative completed investment, the
    reports without an amount and the open warnings (all and red), for a page that shows only those (the
    admin's changelist: three lookups fewer per row, and less for the planner)."""
    return queryset.annotate(**_cumulative_figures())


def _cumulative_figures() -> dict:
    return {
        "completed_total": _kept(ProjectFigures, "completed_total", MONEY),
        "completed_total_unknown": Coalesce(_kept(ProjectFigures, "reports_unknown", IntegerField()), 0),
        "open_warnings": Coalesce(_kept(ProjectFigures, "open_warnings", IntegerField()), 0),
        "red_warnings": Coalesce(_kept(ProjectFigures, "red_warnings", IntegerField()), 0),
    }


def joined_figures(*, year: int, prefix: str = "") -> dict:
    """``with_investment_progress``'s figures as annotations by two joins, for reads over many projects (one
    pass, no lookup per row; ``ProjectFigures`` is one row per project, ``ProjectYearFigures`` one per project
    and year: the joins add no row). The investment figures' names start with ``prefix``; the warnings' do not."""
    this_year = f"{prefix}this_year"
    return {
        this_year: FilteredRelation("year_figures", condition=Q(year_figures__year=year)),
        f"{prefix}planned_year": F(f"{this_year}__planned"),
        f"{prefix}completed_year": F(f"{this_year}__completed"),
        f"{prefix}completed_year_unknown": Coalesce(F(f"{this_year}__reports_unknown"), 0),
        f"{prefix}completed_total": F("figures__completed_total"),
        f"{prefix}completed_total_unknown": Coalesce(F("figures__reports_unknown"), 0),
        "open_warnings": Coalesce(F("figures__open_warnings"), 0),
        "red_warnings": Coalesce(F("figures__red_warnings"), 0),
    }


def project_figures_year(*, project_id: int, year: int) -> int:
    """The year whose investment a project's page shows: ``year`` if the project has a plan or a report
    for it, else the latest earlier year that has one (else ``year``). One query."""
    reports = ProjectReport.objects.filter(project_id=project_id, year__lte=year).order_by().values_list("year")
    plans = ProjectYearPlan.objects.filter(project_id=project_id, year__lte=year).order_by().values_list("year")
    return max((row[0] for row in reports.union(plans)), default=year)


def completion_rate(done: Decimal | None, unknown: int, planned: Decimal | None) -> float | None:
    """done / planned as a percentage; None when either is unknown (a report without an amount included)."""
    if done is None or unknown or not planned:
        return None
    return round(float(done / planned) * 100, 1)


#: What ``project_progress`` reads of a project, in this order.
PROGRESS_SOURCES = (
    "planned_year",
    "completed_year",
    "completed_year_unknown",
    "completed_total",
    "completed_total_unknown",
    "total_investment",
)


def project_progress(project) -> dict:
    """The investment figures of a project annotated by ``with_investment_progress``."""
    return {
        "year_planned": project.planned_year,
        "year_completed": project.completed_year,
        "year_unknown_reports": project.completed_year_unknown,
        "year_rate": completion_rate(project.completed_year, project.completed_year_unknown, project.planned_year),
        "total_completed": project.completed_total,
        "total_unknown_reports": project.completed_total_unknown,
        "total_rate": completion_rate(
            project.completed_total, project.completed_total_unknown, project.total_investment
        ),
    }


def investment_by_city(*, queryset: QuerySet, year: int) -> list[dict]:
    """Per city, the sums and counts behind ``investment_summary``, ``city_rankings`` and ``warning_counts``:
    one GROUP BY over the projects joined to their kept figures.

    A project's completed amount of the year (or in all) is known when it has a report with an amount and
    none without; rates divide over the projects whose both amounts are known and the planned one is not 0.
    """
    rows = queryset.order_by().annotate(**joined_figures(year=year))
    year_known = Q(completed_year__isnull=False, completed_year_unknown=0)
    total_known = Q(completed_total__isnull=False, completed_total_unknown=0)
    year_rated = year_known & Q(planned_year__gt=0) | year_known & Q(planned_year__lt=0)
    total_rated = total_known & Q(total_investment__gt=0) | total_known & Q(total_investment__lt=0)
    return list(
        rows.values("city__code", "city__name")
        .annotate(
            projects=Count("pk"),
            live=Count("pk", filter=~Q(stage=ProjectStageChoices.CANCELLED)),
            started=Count("pk", filter=Q(stage__in=STARTED_STAGES)),
            total_sum=Sum("total_investment"),
            total_missing=Count("pk", filter=Q(total_investment__isnull=True)),
            planned_sum=Sum("planned_year"),
            planned_missing=Count("pk", filter=Q(planned_year__isnull=True)),
            completed_year_sum=Sum("completed_year", filter=year_known),
            completed_year_missing=Count("pk", filter=Q(completed_year__isnull=True) | Q(completed_year_unknown__gt=0)),
            completed_total_sum=Sum("completed_total", filter=total_known),
            completed_total_missing=Count(
                "pk", filter=Q(completed_total__isnull=True) | Q(completed_total_unknown__gt=0)
            ),
            rate_year_done=Sum("completed_year", filter=year_rated),
            rate_year_planned=Sum("planned_year", filter=year_rated),
            rate_year_known=Count("pk", filter=year_rated),
            rate_total_done=Sum("completed_total", filter=total_rated),
            rate_total_planned=Sum("total_investment", filter=total_rated),
            open_sum=Sum("open_warnings"),
            red_sum=Sum("red_warnings"),
        )
        .order_by("city__code")
    )


def _added(rows: list[dict], name: str) -> Decimal | None:
    known = [row[name] for row in rows if row[name] is not None]
    return sum(known, Decimal(0)) if known else None


SUMMED = ("total", "planned", "completed_year", "completed_total")


def investment_summary(*, queryset: QuerySet, year: int, by_city: list[dict] | None = None) -> dict:
    """Sums of total, planned and completed investment over projects, each with its count of unknowns.

    A project's completed amount is unknown when it has no report with an amount or a report without one.
    A sum of nothing known is None (shown "—"), never 0. Rates divide over the projects whose both
    amounts are known. One query (``investment_by_city``, added up here; ``by_city`` if already read).
    """
    rows = investment_by_city(queryset=queryset, year=year) if by_city is None else by_city
    return {
        "year": year,
        "projects": sum(row["projects"] for row in rows),
        **{name: _added(rows, f"{name}_sum") for name in SUMMED},
        **{f"{name}_unknown": sum(row[f"{name}_missing"] for row in rows) for name in SUMMED},
        "year_rate": completion_rate(_added(rows, "rate_year_done"), 0, _added(rows, "rate_year_planned")),
        "total_rate": completion_rate(_added(rows, "rate_total_done"), 0, _added(rows, "rate_total_planned")),
        "open_warnings": sum(row["open_sum"] or 0 for row in rows),
        "red_warnings": sum(row["red_sum"] or 0 for row in rows),
    }


def monthly_investment(*, project: KeyProject) -> list[dict]:
    """A project's months: planned (the year's plan spread evenly, 序时进度) and completed, with running totals.

    A month whose amount is unknown is None and the running total stops being known from there on.
    """
    reports = list(project.reports.order_by("year", "month").values("year", "month", "investment_completed"))
    plans = dict(project.year_plans.values_list("year", "planned_investment"))
    years = sorted({row["year"] for row in reports} | set(plans))
    done = {(row["year"], row["month"]): row["investment_completed"] for row in reports}
    months, cumulative, known = [], Decimal(0), True
    for year in years:
        planned_year = plans.get(year)
        year_done = Decimal(0)
        reported_months = [m for (y, m) in done if y == year]
        last = max(reported_months, default=0)
        # A year with a plan shows all its months; a year without one, the months it reported.
        first = 1 if planned_year is not None else min(reported_months)
        for month in range(first, (12 if planned_year is not None else last) + 1):
            amount = done.get((year, month))
            reported = (year, month) in done
            if reported and amount is None:
                known = False
            if amount is not None:
                cumulative += amount
                year_done += amount
            months.append(
                {
                    "period": f"{year}-{month:02d}",
                    "planned_cumulative": None
                    if planned_year is None
                    else float((planned_year * month / 12).quantize(Decimal("0.01"))),
                    "completed": None if not reported or amount is None else float(amount),
                    "completed_year_cumulative": float(year_done) if known and month <= last else None,
                    "completed_cumulative": float(cumulative) if known and month <= last else None,
                }
            )
    return months


def warning_counts(*, queryset: QuerySet) -> dict:
    """Open warnings by city and level (one query): ``{"rows": [{code, name, yellow, red}], "yellow", "red"}``."""
    rows = (
        queryset.filter(resolved_on__isnull=True)
        .order_by()
        .values("project__city__code", "project__city__name")
        .annotate(
            yellow=Count("pk", filter=Q(level=WarningLevelChoices.YELLOW)),
            red=Count("pk", filter=Q(level=WarningLevelChoices.RED)),
        )
        .order_by("project__city__code")
    )
    result = [
        {
            "code": row["project__city__code"],
            "name": row["project__city__name"],
            "yellow": row["yellow"],
            "red": row["red"],
        }
        for row in rows
    ]
    return {
        "rows": result,
        "yellow": sum(row["yellow"] for row in result),
        "red": sum(row["red"] for row in result),
    }


def warning_counts_by_city(*, by_city: list[dict]) -> dict:
    """``warning_counts`` of the projects whose ``investment_by_city`` rows these are (no query)."""
    rows = [
        {
            "code": row["city__code"],
            "name": row["city__name"],
            "yellow": row["open_sum"] - row["red_sum"],
            "red": row["red_sum"],
        }
        for row in by_city
        if row["open_sum"]
    ]
    return {"rows": rows, "yellow": sum(row["yellow"] for row in rows), "red": sum(row["red"] for row in rows)}


def batch_list(*, projects: QuerySet) -> QuerySet:
    """The batches (latest first) in which any of ``projects`` (already scoped) took part."""
    entries = BatchProject.objects.filter(batch=OuterRef("pk"), project__in=projects.order_by().values("pk"))
    return Batch.objects.filter(Exists(entries))


def batch_summary(*, batches: QuerySet, user, projects: QuerySet | None = None) -> list[dict]:
    """Per batch and city, the projects this user may see signed / started / producing there and their
    investment (known sum and unknown count). One query for the entries.

    ``projects`` (already scoped, e.g. those of one plan) limits the entries to them.
    """
    entries = BatchProject.objects.for_user(user).filter(batch__in=batches)
    if projects is not None:
        entries = entries.filter(project__in=projects.order_by().values("pk"))
    entries = (
        entries.order_by()
        .values("batch", "project__city__code", "project__city__name", "kind")
        .annotate(
            count=Count("pk"),
            investment=Sum("project__total_investment"),
            unknown=Count("pk", filter=Q(project__total_investment__isnull=True)),
        )
    )
    by_batch = {batch.pk: {"batch": batch, "cities": {}, "totals": {}} for batch in batches}
    for row in entries:
        item = by_batch[row["batch"]]
        city = item["cities"].setdefault(
            row["project__city__code"], {"code": row["project__city__code"], "name": row["project__city__name"]}
        )
        city[row["kind"]] = {"count": row["count"], "investment": row["investment"], "unknown": row["unknown"]}
        total = item["totals"].setdefault(row["kind"], {"count": 0, "investment": None, "unknown": 0})
        total["count"] += row["count"]
        total["unknown"] += row["unknown"]
        if row["investment"] is not None:
            total["investment"] = (total["investment"] or Decimal(0)) + row["investment"]
    return [{**item, "cities": sorted(item["cities"].values(), key=lambda c: c["code"])} for item in by_batch.values()]


STARTED_STAGES = (ProjectStageChoices.STARTED, ProjectStageChoices.IN_PRODUCTION, ProjectStageChoices.AT_CAPACITY)


def city_rankings(*, queryset: QuerySet, year: int, by_city: list[dict] | None = None) -> list[dict]:
    """Cities ranked by 开工率 (projects started or beyond, of those not cancelled), the year's
    投资完成率 (over projects whose planned and completed amounts are both known) and open warnings
    (fewest first). One query (``investment_by_city``; ``by_city`` if already read); each row has its
    ranks (``None`` where the rate is unknown)."""
    rows = investment_by_city(queryset=queryset, year=year) if by_city is None else by_city
    result = []
    for row in rows:
        planned, done = row["rate_year_planned"] or Decimal(0), row["rate_year_done"] or Decimal(0)
        result.append(
            {
                "code": row["city__code"],
                "name": row["city__name"],
                "projects": row["live"],
                "started": row["started"],
                "planned": planned,
                "done": done,
                "known": row["rate_year_known"],
                "warnings": row["open_sum"] or 0,
                "red": row["red_sum"] or 0,
                "start_rate": round(row["started"] / row["live"] * 100, 1) if row["live"] else None,
                "investment_rate": completion_rate(done if row["rate_year_known"] else None, 0, planned),
            }
        )
    for key, reverse in (("start_rate", True), ("investment_rate", True), ("warnings", False)):
        ranked = sorted((c for c in result if c[key] is not None), key=lambda c: c[key], reverse=reverse)
        for position, city in enumerate(ranked, start=1):
            city[f"{key}_rank"] = position
        for city in result:
            city.setdefault(f"{key}_rank", None)
    return sorted(result, key=lambda c: (c["start_rate_rank"] is None, c["start_rate_rank"] or 0, c["code"]))


def top_projects_by_city(*, queryset: QuerySet, city_ids: Iterable[int], limit: int = 3) -> dict[int, list[KeyProject]]:
    """Per city id, its ``limit`` projects of the largest total investment (unknown amounts last), with
    their open warnings (``open_warnings``, ``red_warnings``). One query: on PostgreSQL a UNION ALL of
    each city's first rows of the index ``projects_project_city_top`` (a window over every project
    sorts them all: most of the dashboard's time at 100,000 projects); elsewhere that window."""
    ranked = queryset.select_related(None).annotate(
        open_warnings=Coalesce(_kept(ProjectFigures, "open_warnings", IntegerField()), 0),
        red_warnings=Coalesce(_kept(ProjectFigures, "red_warnings", IntegerField()), 0),
    )
    columns = ("pk", "name", "city_id", "stage", "total_investment")
    order = (F("total_investment").desc(nulls_last=True), F("pk").asc())
    city_ids = list(city_ids)
    if connections[queryset.db].features.supports_slicing_ordering_in_compound and len(city_ids) > 1:
        first, *others = [ranked.filter(city_id=city).only(*columns).order_by(*order)[:limit] for city in city_ids]
        rows = first.union(*others, all=True)
    else:
        window = Window(RowNumber(), partition_by=[F("city_id")], order_by=list(order))
        rows = ranked.order_by().annotate(city_rank=window).filter(city_rank__lte=limit).only(*columns)
    tops = defaultdict(list)
    for project in sorted(rows, key=lambda p: (p.total_investment is None, -(p.total_investment or 0), p.pk)):
        tops[project.city_id].append(project)
    return dict(tops)


def monthly_investment_summary(*, queryset: QuerySet, year: int, planned: Decimal | None) -> list[dict]:
    """The year's months over the projects of ``queryset``: investment completed (known amounts), the
    reports without an amount, the running total, and 序时进度 of the year's planned investment
    (``planned`` spread evenly; None if unknown). One query."""
    rows = {
        row["month"]: row
        for row in ProjectReport.objects.filter(project__in=queryset.order_by().values("pk"), year=year)
        .order_by()
        .values("month")
        .annotate(
            completed=Sum("investment_completed"),
            reports=Count("pk"),
            unknown=Count("pk", filter=Q(investment_completed__isnull=True)),
        )
    }
    months, running = [], None
    for month in range(1, 13):
        row = rows.get(month, {})
        completed = row.get("completed")
        if completed is not None:
            running = (running or Decimal(0)) + completed
        months.append(
            {
                "month": month,
                "period": f"{month}月",
                "completed": None if completed is None else float(completed),
                "reports": row.get("reports", 0),
                "unknown": row.get("unknown", 0),
                "completed_cumulative": None if running is None or not row else float(running),
                "planned_cumulative": None
                if planned is None
                else float((planned * month / 12).quantize(Decimal("0.01"))),
            }
        )
    return months

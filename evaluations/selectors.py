"""Reads of evaluations: the snapshot of a plan's figures as of a date, and its view for some cities.

The snapshot (``plan_snapshot``) is plain JSON, the only input of the report generators:

- ``plan``, ``as_of``, ``cities`` (the province's prefecture-level cities, by code);
- ``targets``: every target of the plan with its indicator, values, the preferred observation
  and progress as of the date (plans.progress, the same computation as ``/api/v1/targets/?as_of=``),
  its status and its report grade; allocations are the targets whose ``parent`` is set. An annual
  evaluation as of 31 December of a year already closed reads each target's yearly snapshot of that
  year instead (``TargetProgressSnapshot``, the figures of ``/api/v1/target-snapshots/``): the
  year's standing as recorded when it closed, whatever was corrected since; ``figures_from`` says
  which (``snapshot`` or ``computed``: a target without a snapshot of the year is computed as of
  the date), and ``snapshot_year`` names the year when any row came from a snapshot;
- ``projects``: the plan's key projects (named by it or mentioned in it) counted by city and
  stage *as of the date*, with their total investment where it is known and the number of
  projects whose investment is unknown (never summed as 0), investment completed from their
  progress reports up to the date, and each city's largest projects;
- ``sections``: parts keyed by name that the generators add to the report when present (a
  snapshot taken before a part existed stays valid): ``milestones`` (per city: milestones due,
  met and overdue by the date), ``warning_counts`` (per city and level: warnings open at the
  date, red once escalated by then) and ``warnings`` (the red ones by name).

Decimal values are strings with four places (as the API writes them), ratios are floats rounded to
six places (as the API writes them).

Report grades (``grade_of``), from the as-of status of plans.progress:
提前实现 ← 提前完成 and 已完成 (the goal is met by the date); 快于预期 ← 快于预期; 基本符合预期 ←
符合序时进度; 滞后 ← 滞后, 严重滞后 and 未完成; 暂无数据 ← 暂无数据 and 逾期无数据 (its own row,
never counted as on track).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from plans.choices import ProgressStatusChoices
from plans.models import Plan, Target, TargetProgressSnapshot
from plans.progress import progress_as_of
from plans.snapshots import snapshot_date
from projects.choices import ProjectStageChoices, WarningLevelChoices, WarningRuleChoices
from projects.models import KeyProject, Milestone, ProjectReport, ProjectWarning
from regions.choices import RegionLevelChoices
from regions.models import Region

from .choices import EvaluationGradeChoices, EvaluationKindChoices

SNAPSHOT_VERSION = 1
FOUR_PLACES = Decimal("0.0001")
#: Projects per city kept by name in the snapshot (the largest by total investment).
PROJECTS_PER_CITY = 20
#: Red warnings per city kept by name (the oldest first); all are counted.
RED_WARNINGS_PER_CITY = 20

GRADE_OF_STATUS = {
    ProgressStatusChoices.AHEAD: EvaluationGradeChoices.AHEAD,
    ProgressStatusChoices.ACHIEVED: EvaluationGradeChoices.AHEAD,
    ProgressStatusChoices.FASTER: EvaluationGradeChoices.FASTER,
    ProgressStatusChoices.ON_TRACK: EvaluationGradeChoices.ON_TRACK,
    ProgressStatusChoices.BEHIND: EvaluationGradeChoices.LAGGING,
    ProgressStatusChoices.FAR_BEHIND: EvaluationGradeChoices.LAGGING,
    ProgressStatusChoices.MISSED: EvaluationGradeChoices.LAGGING,
    ProgressStatusChoices.NO_DATA: EvaluationGradeChoices.NO_DATA,
    ProgressStatusChoices.OVERDUE_NO_DATA: EvaluationGradeChoices.NO_DATA,
}


def grade_of(status: str) -> str:
    return GRADE_OF_STATUS[status]


def _decimal(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(FOUR_PLACES))


def _ratio(value) -> float | None:
    return None if value is None else round(float(value), 6)


def closed_snapshot_year(*, kind: str, as_of: datetime.date) -> int | None:
    """The year whose yearly snapshots an evaluation reads: an annual one as of the 31 December of a closed year."""
    closed = as_of == snapshot_date(as_of.year) and as_of.year < timezone.localdate().year
    return as_of.year if kind == EvaluationKindChoices.ANNUAL and closed else None


def plan_snapshot(*, plan: Plan, as_of: datetime.date, kind: str = "") -> dict:
    """Every figure of an evaluation of ``plan`` as of ``as_of``, seen by the province (module doc)."""
    cities = list(
        Region.objects.filter(level=RegionLevelChoices.CITY).order_by("code").values("code", "name", "short_name")
    )
    year = closed_snapshot_year(kind=kind, as_of=as_of)
    targets = _targets(plan, as_of, snapshot_year=year)
    return {
        "version": SNAPSHOT_VERSION,
        "as_of": as_of.isoformat(),
        "plan": {
            "id": plan.pk,
            "code": plan.code,
            "title": plan.title,
            "short_title": plan.short_title,
            "issuer": plan.issuer,
            "doc_number": plan.doc_number,
            "period_start": plan.period_start,
            "period_end": plan.period_end,
        },
        "cities": cities,
        "snapshot_year": year if any(t["figures_from"] == "snapshot" for t in targets) else None,
        "targets": targets,
        "projects": _projects(plan, as_of),
        "sections": _sections(plan, as_of),
    }


def _targets(plan: Plan, as_of: datetime.date, *, snapshot_year: int | None = None) -> list[dict]:
    queryset = Target.objects.filter(plan=plan)
    computed = progress_as_of(queryset, as_of=as_of)
    yearly = {}
    if snapshot_year is not None:
        yearly = {s.target_id: s for s in TargetProgressSnapshot.objects.filter(target__plan=plan, year=snapshot_year)}
    rows = []
    targets = queryset.select_related("indicator", "scope__parent", "key_area", "industry").order_by(
        "parent_id", "scope__code", "key"
    )
    for target in targets.defer("scope__boundary", "scope__parent__boundary"):
        progress = computed[target.pk]
        observation = progress.observation
        row = {
            "id": target.pk,
            "key": target.key,
            "name": target.name,
            "indicator": target.indicator.name,
            "unit": target.indicator.unit,
            "nature": target.nature,
            "nature_label": target.get_nature_display(),
            "comparator": target.comparator,
            "comparator_label": target.get_comparator_display(),
            "baseline_value": _decimal(target.baseline_value),
            "baseline_year": target.baseline_year,
            "target_value": _decimal(target.target_value),
            "target_value_max": _decimal(target.target_value_max),
            "target_year": target.target_year,
            "is_per_year": target.is_per_year,
            "is_cumulative": target.is_cumulative,
            "scope": target.scope.code,
            "scope_name": target.scope.name,
            "scope_city": _city_of(target.scope),
            "parent": target.parent_id,
            "key_area": target.key_area.name if target.key_area_id else "",
            "industry": target.industry.name if target.industry_id else "",
            "latest_value": None if observation is None else _decimal(observation.value),
            "latest_year": None if observation is None else observation.year,
            "latest_quarter": None if observation is None else observation.quarter,
            "latest_month": None if observation is None else observation.month,
            "latest_qualifier": None if observation is None else observation.qualifier,
            "latest_source": None if observation is None else observation.source,
            # The baseline progress is measured from: the target's own, else its indicator's value
            # in the baseline year (or the year before the period), as plans.progress takes it.
            "baseline": progress.baseline,
            "baseline_used_year": target.baseline_year or (plan.period_start - 1 if plan.period_start else None),
            "progress": _ratio(progress.progress),
            "expected_progress": _ratio(progress.expected_progress),
            "sdg_ratio": _ratio(progress.sdg_ratio),
            "stale": progress.stale,
            "status": progress.status,
            "status_label": ProgressStatusChoices(progress.status).label,
            "grade": grade_of(progress.status),
            "grade_label": EvaluationGradeChoices(grade_of(progress.status)).label,
            "figures_from": "computed",
        }
        if target.pk in yearly:
            _read_yearly_snapshot(row, yearly[target.pk])
        rows.append(row)
    return rows


def _read_yearly_snapshot(row: dict, snapshot: TargetProgressSnapshot) -> None:
    """The row's figures as the year's snapshot recorded them (what ``/api/v1/target-snapshots/`` answers).

    The snapshot keeps the value, its year and quarter, the progress and the status; the month,
    qualifier and source are the computed observation's only when it is still the same value.
    """
    same = (row["latest_value"], row["latest_year"], row["latest_quarter"]) == (
        _decimal(snapshot.latest_value),
        snapshot.latest_year,
        snapshot.latest_quarter,
    )
    row.update(
        latest_value=_decimal(snapshot.latest_value),
        latest_year=snapshot.latest_year,
        latest_quarter=snapshot.latest_quarter,
        progress=_ratio(snapshot.progress),
        expected_progress=_ratio(snapshot.expected_progress),
        status=snapshot.status,
        status_label=ProgressStatusChoices(snapshot.status).label,
        grade=grade_of(snapshot.status),
        grade_label=EvaluationGradeChoices(grade_of(snapshot.status)).label,
        figures_from="snapshot",
    )
    if not same:
        row.update(latest_month=None, latest_qualifier=None, latest_source=None, sdg_ratio=None)


def _city_of(region: Region) -> str | None:
    """The city code of a region (a county's city); None for the province."""
    if region.level == RegionLevelChoices.CITY:
        return region.code
    if region.level == RegionLevelChoices.COUNTY and region.parent_id:
        return region.parent.code
    return None


def _report_up_to(as_of: datetime.date) -> Q:
    return Q(year__lt=as_of.year) | Q(year=as_of.year, month__lte=as_of.month)


def stage_as_of_expression(as_of: datetime.date):
    """A project's stage as of a date, in SQL.

    The stage of its latest progress report up to the date; else from its dates (投产, 开工, 签约
    on or before the date); else 谋划 when it has a date but none has come yet; else, with nothing
    dated at all, its stage today (nothing tells otherwise).
    """
    latest_report = (
        ProjectReport.objects.filter(_report_up_to(as_of), project=OuterRef("pk"))
        .order_by("-year", "-month")
        .values("stage")[:1]
    )
    stage = ProjectStageChoices
    dated = Q(signed_on__isnull=False) | Q(started_on__isnull=False) | Q(production_on__isnull=False)
    by_dates = Case(
        When(production_on__lte=as_of, then=Value(stage.IN_PRODUCTION)),
        When(started_on__lte=as_of, then=Value(stage.STARTED)),
        When(signed_on__lte=as_of, then=Value(stage.SIGNED)),
        When(dated, then=Value(stage.PLANNED)),
        default=F("stage"),
        output_field=CharField(),
    )
    return Coalesce(Subquery(latest_report, output_field=CharField()), by_dates, output_field=CharField())


def _projects(plan: Plan, as_of: datetime.date) -> dict:
    money = DecimalField(max_digits=20, decimal_places=2)
    completed = (
        ProjectReport.objects.filter(_report_up_to(as_of), project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum("investment_completed"))
        .values("total")
    )
    projects = (
        _plan_projects(plan)
        .annotate(stage_as_of=stage_as_of_expression(as_of))
        .annotate(completed=Coalesce(Subquery(completed, output_field=money), Value(Decimal(0)), output_field=money))
    )
    rows = (
        projects.order_by()
        .values("city__code", "stage_as_of")
        .annotate(
            count=Count("pk"),
            investment=Sum("total_investment"),
            investment_known=Count("total_investment"),
            completed_total=Sum("completed"),
        )
        .order_by("city__code", "stage_as_of")
    )
    counts = [
        {
            "city": row["city__code"],
            "stage": row["stage_as_of"],
            "count": row["count"],
            "investment": _decimal(row["investment"] or 0),
            "investment_known": row["investment_known"],
            "investment_unknown": row["count"] - row["investment_known"],
            "completed": _decimal(row["completed_total"] or 0),
        }
        for row in rows
    ]
    industry_rows = (
        projects.order_by()
        .values("city__code", "industry__name")
        .annotate(count=Count("pk"), investment=Sum("total_investment"), investment_known=Count("total_investment"))
        .order_by("city__code", "industry__name")
    )
    by_industry = [
        {
            "city": row["city__code"],
            "industry": row["industry__name"] or "未分类",
            "count": row["count"],
            "investment": _decimal(row["investment"] or 0),
            "investment_unknown": row["count"] - row["investment_known"],
        }
        for row in industry_rows
    ]
    largest = []
    for city in sorted({row["city"] for row in counts}):
        top = (
            projects.filter(city__code=city)
            .select_related("enterprise", "industry", "city")
            .order_by(F("total_investment").desc(nulls_last=True), "name")[:PROJECTS_PER_CITY]
        )
        largest.extend(
            {
                "id": project.pk,
                "name": project.name,
                "city": city,
                "enterprise": project.enterprise.name if project.enterprise_id else "",
                "industry": project.industry.name if project.industry_id else "",
                "stage": project.stage_as_of,
                "stage_label": ProjectStageChoices(project.stage_as_of).label,
                "total_investment": _decimal(project.total_investment),
                "completed": _decimal(project.completed),
                "capacity": project.capacity,
            }
            for project in top.defer("city__boundary")
        )
    return {
        "stages": [{"key": key, "label": label} for key, label in ProjectStageChoices.choices],
        "counts": counts,
        "by_industry": by_industry,
        "largest": largest,
    }


def _plan_projects(plan: Plan):
    return KeyProject.objects.filter(Q(plan=plan) | Q(pk__in=plan.mentioned_projects.values("pk")))


def _sections(plan: Plan, as_of: datetime.date) -> dict:
    """Milestones and warnings of the plan's projects as they stood at the date (rows name their city)."""
    projects = _plan_projects(plan).values("pk")
    due = Q(planned_on__lte=as_of)
    met = Q(actual_on__lte=as_of)
    milestones = (
        Milestone.objects.filter(due | met, project__in=projects)
        .order_by()
        .values("project__city__code")
        .annotate(
            due=Count("pk", filter=due),
            met=Count("pk", filter=met),
            overdue=Count("pk", filter=due & ~met),
        )
        .order_by("project__city__code")
    )
    # Open at the date: opened by then and not yet resolved; red once escalated by then (or opened red
    # and never escalated).
    open_then = Q(opened_on__lte=as_of) & (Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of))
    red_then = Q(level=WarningLevelChoices.RED) & (Q(escalated_on__isnull=True) | Q(escalated_on__lte=as_of))
    warnings = ProjectWarning.objects.filter(open_then, project__in=projects).annotate(
        level_then=Case(
            When(red_then, then=Value(WarningLevelChoices.RED)),
            default=Value(WarningLevelChoices.YELLOW),
            output_field=CharField(),
        )
    )
    counts = (
        warnings.order_by()
        .values("project__city__code", "level_then")
        .annotate(count=Count("pk"))
        .order_by("project__city__code", "level_then")
    )
    red = []
    for city in sorted({row["project__city__code"] for row in counts if row["level_then"] == "red"}):
        rows = (
            warnings.filter(level_then=WarningLevelChoices.RED, project__city__code=city)
            .select_related("project")
            .order_by("opened_on", "pk")[:RED_WARNINGS_PER_CITY]
        )
        red.extend(
            {
                "city": city,
                "project": warning.project.name,
                "rule": warning.rule,
                "rule_label": WarningRuleChoices(warning.rule).label,
                "level": WarningLevelChoices.RED.value,
                "text": f"{warning.project.name}：{warning.message}",
                "opened_on": warning.opened_on.isoformat(),
            }
            for warning in rows
        )
    return {
        "milestones": [
            {"city": row["project__city__code"], "due": row["due"], "met": row["met"], "overdue": row["overdue"]}
            for row in milestones
        ],
        "warning_counts": [
            {"city": row["project__city__code"], "level": row["level_then"], "count": row["count"]} for row in counts
        ],
        "warnings": red,
    }


def snapshot_for_cities(snapshot: dict, city_codes: set[str]) -> dict:
    """The part of a snapshot that staff of these cities may see.

    Province-wide targets stay (their values are the province's, which every role reads);
    targets of other cities and their counties, project counts and projects of other cities are
    left out, as are rows of further sections that name another city (``city``).
    """
    view = dict(snapshot)
    view["cities"] = [city for city in snapshot["cities"] if city["code"] in city_codes]
    view["targets"] = [
        target for target in snapshot["targets"] if target["scope_city"] is None or target["scope_city"] in city_codes
    ]
    projects = snapshot["projects"]
    view["projects"] = {
        **projects,
        **{
            name: [row for row in projects[name] if row["city"] in city_codes]
            for name in ("counts", "by_industry", "largest")
        },
    }
    view["sections"] = {
        name: [row for row in rows if row.get("city") in (None, *city_codes)] if isinstance(rows, list) else rows
        for name, rows in snapshot.get("sections", {}).items()
    }
    view["restricted_to"] = sorted(city_codes)
    return view

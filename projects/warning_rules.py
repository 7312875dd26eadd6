"""The warning rules (预警规则) of key projects: what each rule finds for a project on a given day.

Pure reads, in a fixed number of queries per batch of projects; ``projects.services.warnings_evaluate``
turns the findings into opened, escalated and resolved warnings. Each rule answers, per project:

- a ``Finding`` (the rule is broken, at a level, with the numbers behind it),
- ``PASSED`` (the rule holds: an open warning of it is resolved), or
- ``UNKNOWN`` (the rule cannot be judged, e.g. an unknown amount: an open warning is left as it is).

Rules (thresholds in settings, README “Warnings”):

- ``milestone_overdue``: a milestone of the procedure (立项 … 竣工, other) not met ``YELLOW_DAYS``
  after its planned date is yellow, ``RED_DAYS`` after it red; the most overdue one counts.
- ``stage_late``: the planned date of 开工 / 投产 / 达产 passed the same number of days ago while the
  project's stage has not reached that stage.
- ``investment_behind``: the year's completed investment (the reports of the months elapsed) lags
  序时进度 (months elapsed / 12 of the year's planned investment) by more than YELLOW_POINTS / RED_POINTS.
- ``no_report``: no report for the last month whose report was due (``NO_REPORT_DAYS`` after its
  end) is yellow; neither for the month before, red. Only projects signed, started or in production report.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from .choices import (
    STAGE_MILESTONES,
    MilestoneStatusChoices,
    ProjectStageChoices,
    WarningLevelChoices,
    WarningRuleChoices,
)
from .models import KeyProject, Milestone, ProjectReport, ProjectYearPlan

PASSED = "passed"
UNKNOWN = "unknown"
#: Stages in which a project files monthly reports.
REPORTING_STAGES = (ProjectStageChoices.SIGNED, ProjectStageChoices.STARTED, ProjectStageChoices.IN_PRODUCTION)
STAGE_RANK = {stage: index for index, stage in enumerate(ProjectStageChoices.values)}


@dataclass(frozen=True)
class Finding:
    level: str
    message: str
    figures: dict = field(default_factory=dict)


def days_level(days: int) -> str | None:
    """The level of something ``days`` past its planned date (None: not yet a warning)."""
    if days <= 0:
        return None
    if days >= settings.WARNING_MILESTONE_RED_DAYS:
        return WarningLevelChoices.RED
    if days >= settings.WARNING_MILESTONE_YELLOW_DAYS:
        return WarningLevelChoices.YELLOW
    return None


def points_level(points: float) -> str | None:
    """The level of investment ``points`` percentage points behind 序时进度."""
    if points > settings.WARNING_INVESTMENT_RED_POINTS:
        return WarningLevelChoices.RED
    if points > settings.WARNING_INVESTMENT_YELLOW_POINTS:
        return WarningLevelChoices.YELLOW
    return None


def month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def last_due_month(today: datetime.date) -> tuple[int, int]:
    """The latest month whose report was due before ``today`` (due ``WARNING_NO_REPORT_DAYS`` after its end)."""
    year, month = previous_month(today.year, today.month)
    while month_end(year, month) + datetime.timedelta(days=settings.WARNING_NO_REPORT_DAYS) >= today:
        year, month = previous_month(year, month)
    return year, month


def evaluate(projects: list[KeyProject], *, today: datetime.date) -> dict[int, dict[str, object]]:
    """Per project id, per rule: a Finding, PASSED or UNKNOWN. Four queries for the whole batch."""
    ids = [project.pk for project in projects]
    milestones = defaultdict(list)
    for milestone in Milestone.objects.filter(project__in=ids, planned_on__lt=today).exclude(
        status=MilestoneStatusChoices.MET
    ):
        milestones[milestone.project_id].append(milestone)
    plans = dict(
        ProjectYearPlan.objects.filter(project__in=ids, year=today.year).values_list("project", "planned_investment")
    )
    due = last_due_month(today)
    before = previous_month(*due)
    reports = defaultdict(dict)
    rows = ProjectReport.objects.filter(project__in=ids, year__gte=before[0]).values_list(
        "project", "year", "month", "investment_completed"
    )
    for project_id, year, month, amount in rows:
        reports[project_id][(year, month)] = amount
    results = {}
    for project in projects:
        if project.stage == ProjectStageChoices.CANCELLED:
            results[project.pk] = {rule: PASSED for rule in WarningRuleChoices.values}
            continue
        results[project.pk] = {
            WarningRuleChoices.MILESTONE_OVERDUE: _milestone_overdue(milestones[project.pk], today),
            WarningRuleChoices.STAGE_LATE: _stage_late(project, milestones[project.pk], today),
            WarningRuleChoices.INVESTMENT_BEHIND: _investment_behind(plans.get(project.pk), reports[project.pk], today),
            WarningRuleChoices.NO_REPORT: _no_report(project, reports[project.pk], due, before, today),
        }
    return results


def _milestone_overdue(milestones: list[Milestone], today):
    late = [(m, (today - m.planned_on).days) for m in milestones if m.code not in STAGE_MILESTONES]
    flagged = [(m, days) for m, days in late if days_level(days)]
    if not flagged:
        return PASSED
    milestone, days = max(flagged, key=lambda pair: pair[1])
    return Finding(
        level=days_level(days),
        message=f"里程碑“{milestone.label}”计划于 {milestone.planned_on:%Y-%m-%d} 完成，已逾期 {days} 天"
        + (f"（共 {len(flagged)} 个里程碑逾期）" if len(flagged) > 1 else "")
        + "。",
        figures={
            "milestone": milestone.pk,
            "milestone_name": milestone.label,
            "expected": milestone.planned_on.isoformat(),
            "actual": None,
            "days": days,
            "count": len(flagged),
        },
    )


def _stage_late(project: KeyProject, milestones: list[Milestone], today):
    rank = STAGE_RANK[project.stage]
    late = []
    for milestone in milestones:
        stage = STAGE_MILESTONES.get(milestone.code)
        days = (today - milestone.planned_on).days
        if stage is not None and rank < STAGE_RANK[stage] and days_level(days):
            late.append((milestone, stage, days))
    if not late:
        return PASSED
    milestone, stage, days = max(late, key=lambda row: row[2])
    return Finding(
        level=days_level(days),
        message=f"计划于 {milestone.planned_on:%Y-%m-%d} {ProjectStageChoices(stage).label}，"
        f"已过 {days} 天，项目仍处于“{project.get_stage_display()}”阶段。",
        figures={
            "milestone": milestone.pk,
            "expected": stage,
            "actual": project.stage,
            "planned_on": milestone.planned_on.isoformat(),
            "days": days,
        },
    )


def _investment_behind(planned: Decimal | None, reports: dict, today):
    months = today.month - 1  # months whose reports count by now
    if months == 0 or not planned:
        return UNKNOWN  # nothing expected yet, or no planned investment to measure against
    amounts = [amount for (year, month), amount in reports.items() if year == today.year and month <= months]
    if any(amount is None for amount in amounts):
        return UNKNOWN  # an unknown monthly amount: the sum is unknown too, never taken as 0
    actual = sum(amounts, Decimal(0))
    expected_share = Decimal(months) / 12
    actual_share = actual / planned
    points = float((expected_share - actual_share) * 100)
    level = points_level(points)
    if level is None:
        return PASSED
    return Finding(
        level=level,
        message=f"{today.year}年 1—{months} 月完成投资 {actual:.2f} 亿元，占年度计划 {float(actual_share) * 100:.1f}%，"
        f"落后序时进度（{float(expected_share) * 100:.1f}%）{points:.1f} 个百分点。",
        figures={
            "year": today.year,
            "months": months,
            "planned": str(planned),
            "expected": str((planned * expected_share).quantize(Decimal("0.01"))),
            "actual": str(actual),
            "expected_percent": round(float(expected_share) * 100, 1),
            "actual_percent": round(float(actual_share) * 100, 1),
            "points": round(points, 1),
        },
    )


def _no_report(project: KeyProject, reports: dict, due, before, today):
    if project.stage not in REPORTING_STAGES:
        return PASSED
    created = timezone.localdate(project.created) if project.created else today
    expected = [period for period in (due, before) if month_end(*period) >= created]
    missing = [period for period in expected if period not in reports]
    if due not in missing:
        return PASSED
    level = WarningLevelChoices.RED if before in missing else WarningLevelChoices.YELLOW
    days = (today - month_end(*due)).days - settings.WARNING_NO_REPORT_DAYS
    names = "、".join(f"{year}年{month}月" for year, month in missing)
    return Finding(
        level=level,
        message=f"未报送 {names} 调度月报。",
        figures={
            "expected": f"{due[0]}-{due[1]:02d}",
            "actual": None,
            "missing": [f"{year}-{month:02d}" for year, month in missing],
            "days": days,
        },
    )

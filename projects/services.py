"""Writes of enterprises (and their short names), industry bases (and their cities), key projects (and the other plans
naming them and their co-builders) and their progress reports.

One function per write, keyword-only; the rules they share (scope, ``full_clean``, history)
are in common.services. ``user=None`` is a trusted system writer (see there).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from common.locking import allow_locked_writes, refuse_locked
from common.scope import can_reference
from common.services import record_create, record_delete, record_update, records_create
from notices.choices import NoticeKindChoices
from notices.services import city_staff, notice_send
from plans.models import Industry, KeyArea, Plan
from regions.models import Park, Region, RegionGroup

from . import figures, rollups, search_text, warning_rules
from .choices import WarningLevelChoices
from .models import (
    BaseCity,
    Batch,
    BatchProject,
    Enterprise,
    EnterpriseAlias,
    IndustryBase,
    KeyProject,
    Milestone,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
    ProjectWarning,
    ProjectYearPlan,
)


class EnterpriseData(TypedDict, total=False):
    name: str
    kind: str
    city: Region | None
    county: Region | None
    is_leading: bool
    description: str
    industries: list[Industry]
    source_file: str
    source_quote: str


def enterprise_create(*, user, data: EnterpriseData, reason: str = "") -> Enterprise:
    return record_create(model=Enterprise, user=user, data=data, reason=reason)


@transaction.atomic
def enterprise_update(*, instance: Enterprise, user, data: EnterpriseData, reason: str = "") -> Enterprise:
    enterprise = record_update(instance=instance, user=user, data=data, reason=reason)
    if "name" in data:
        search_text.refresh(enterprise_id=enterprise.pk)
    return enterprise


def enterprise_delete(*, instance: Enterprise, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class EnterpriseAliasData(TypedDict, total=False):
    enterprise: Enterprise
    alias: str


@transaction.atomic
def enterprise_alias_create(*, user, data: EnterpriseAliasData, reason: str = "") -> EnterpriseAlias:
    alias = record_create(model=EnterpriseAlias, user=user, data=data, reason=reason)
    search_text.refresh(enterprise_id=alias.enterprise_id)
    return alias


@transaction.atomic
def enterprise_alias_update(
    *, instance: EnterpriseAlias, user, data: EnterpriseAliasData, reason: str = ""
) -> EnterpriseAlias:
    before = instance.enterprise_id
    alias = record_update(instance=instance, user=user, data=data, reason=reason)
    for enterprise in {before, alias.enterprise_id}:
        search_text.refresh(enterprise_id=enterprise)
    return alias


@transaction.atomic
def enterprise_alias_delete(*, instance: EnterpriseAlias, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)
    search_text.refresh(enterprise_id=instance.enterprise_id)


@transaction.atomic
def enterprise_aliases_set(*, enterprise: Enterprise, user, aliases: list[str], reason: str = "") -> bool:
    """Make the enterprise's short names exactly ``aliases``; True if anything changed.

    A short name another enterprise uses is refused under the field ``aliases``, naming that
    enterprise only if the user may see it (common.scope: never confirm a hidden record).
    """
    current = {alias.alias: alias for alias in enterprise.aliases.all()}
    if set(current) == set(aliases):
        return False
    taken = EnterpriseAlias.objects.filter(alias__in=aliases).exclude(enterprise=enterprise)
    for alias in taken.select_related("enterprise"):
        if user is None or can_reference(user, alias.enterprise):
            raise ValidationError({"aliases": f"简称「{alias.alias}」已被企业「{alias.enterprise.name}」使用。"})
        raise ValidationError({"aliases": f"简称「{alias.alias}」已被使用。"})
    for name in set(current) - set(aliases):
        enterprise_alias_delete(instance=current[name], user=user, reason=reason)
    for name in aliases:
        if name not in current:
            enterprise_alias_create(user=user, data={"enterprise": enterprise, "alias": name}, reason=reason)
    return True


class IndustryBaseData(TypedDict, total=False):
    plan: Plan
    key: str
    name: str
    kind: str
    industry: Industry | None
    key_area: KeyArea | None
    revenue_target: Decimal | None
    revenue_target_year: int | None
    description: str
    region_group: RegionGroup | None
    cities: list[Region]  # as quoted; inferred cities are written as links (``base_city_*``)
    parks: list[Park]
    anchors: list[Enterprise]
    source_file: str
    source_quote: str


def industry_base_create(*, user, data: IndustryBaseData, reason: str = "") -> IndustryBase:
    return record_create(model=IndustryBase, user=user, data=data, reason=reason)


def industry_base_update(*, instance: IndustryBase, user, data: IndustryBaseData, reason: str = "") -> IndustryBase:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def industry_base_delete(*, instance: IndustryBase, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class BaseCityData(TypedDict, total=False):
    base: IndustryBase
    region: Region
    inferred: bool
    note: str


def base_city_create(*, user, data: BaseCityData, reason: str = "") -> BaseCity:
    return record_create(model=BaseCity, user=user, data=data, reason=reason)


def base_city_update(*, instance: BaseCity, user, data: BaseCityData, reason: str = "") -> BaseCity:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def base_city_delete(*, instance: BaseCity, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class KeyProjectData(TypedDict, total=False):
    name: str
    plan: Plan | None
    enterprise: Enterprise | None
    industry: Industry | None
    city: Region
    county: Region | None
    park: Park | None
    base: IndustryBase | None
    capacity: str
    capacity_value: Decimal | None
    capacity_unit: str
    total_investment: Decimal | None
    stage: str
    signed_on: datetime.date | None
    started_on: datetime.date | None
    production_on: datetime.date | None
    description: str
    source_file: str
    source_quote: str


@transaction.atomic
def key_project_create(*, user, data: KeyProjectData, reason: str = "") -> KeyProject:
    project = record_create(model=KeyProject, user=user, data=data, reason=reason)
    search_text.refresh(project_ids=[project.pk])
    rollups.apply(after=rollups.states([project.pk]))
    return project


@transaction.atomic
def key_project_create_many(
    *, user, rows: list[KeyProjectData], reason: str = ""
) -> list[KeyProject | ValidationError | PermissionDenied]:
    """Create many projects as ``key_project_create`` would one by one (common.services.records_create)."""
    outcomes = records_create(model=KeyProject, user=user, rows=rows, reason=reason)
    created = [outcome.pk for outcome in outcomes if isinstance(outcome, KeyProject)]
    search_text.refresh(project_ids=created)
    rollups.apply(after=rollups.states(created))
    return outcomes


def key_project_update(
    *, instance: KeyProject, user, data: KeyProjectData, reason: str = "", locked: bool = False
) -> KeyProject:
    """``locked``: the caller's transaction holds the project's row lock, ``instance`` (with its mentions
    prefetched) was read under it, and any error ends that whole transaction (the API's PATCH): the state
    the rollups had is the instance's (no second lock and read), and no savepoint of its own is taken."""
    with transaction.atomic(savepoint=not locked):
        if locked:
            mentions = frozenset(mention.plan_id for mention in instance.mentions.all())
            before = {
                instance.pk: rollups.ProjectState(
                    instance.city_id,
                    instance.stage,
                    instance.industry_id,
                    instance.total_investment,
                    instance.plan_id,
                    mentions,
                )
            }
        else:
            before = rollups.states([instance.pk], lock=True)
        project = record_update(instance=instance, user=user, data=data, reason=reason, savepoint=not locked)
        if data.keys() & {"name", "capacity", "county", "enterprise"}:
            search_text.refresh(project_ids=[project.pk])
        # What the saved row adds now (the row is locked and the mentions are not this write's).
        rollups.apply(before=before, after={project.pk: rollups.saved_state(before[project.pk], project)})
        return project


@transaction.atomic
def key_project_delete(*, instance: KeyProject, user, reason: str = "") -> None:
    before = rollups.states([instance.pk], lock=True)
    record_delete(instance=instance, user=user, reason=reason)
    rollups.apply(before=before)


def project_rollup_rebuild() -> None:
    """Recount the project rollups (ProjectRollup), the projects' figures (ProjectFigures) and the search
    text from the projects, reports and warnings: after a load that bypassed the services."""
    with transaction.atomic():
        rollups.rebuild()
        figures.rebuild()
        search_text.rebuild()


class ProjectMentionData(TypedDict, total=False):
    project: KeyProject
    plan: Plan
    source_file: str
    source_quote: str


@transaction.atomic
def project_mention_create(*, user, data: ProjectMentionData, reason: str = "") -> ProjectMention:
    project = data.get("project")
    before = rollups.states([project.pk], lock=True) if project is not None else {}
    mention = record_create(model=ProjectMention, user=user, data=data, reason=reason)
    rollups.apply(before=before, after=rollups.states([mention.project_id]))
    return mention


@transaction.atomic
def project_mention_update(
    *, instance: ProjectMention, user, data: ProjectMentionData, reason: str = ""
) -> ProjectMention:
    projects = {instance.project_id, getattr(data.get("project"), "pk", instance.project_id)}
    before = rollups.states(projects, lock=True)
    mention = record_update(instance=instance, user=user, data=data, reason=reason)
    rollups.apply(before=before, after=rollups.states(projects))
    return mention


@transaction.atomic
def project_mention_delete(*, instance: ProjectMention, user, reason: str = "") -> None:
    before = rollups.states([instance.project_id], lock=True)
    record_delete(instance=instance, user=user, reason=reason)
    rollups.apply(before=before, after=rollups.states([instance.project_id]))


@transaction.atomic
def key_project_mentions_set(*, project: KeyProject, user, plans: list[Plan], reason: str = "") -> bool:
    """Make the other plans naming the project exactly ``plans``; True if anything changed.

    A mention kept keeps its quote; a new one has none until the province enters it.
    """
    current = {mention.plan_id: mention for mention in project.mentions.all()}
    wanted = {plan.pk: plan for plan in plans}
    for pk in set(current) - set(wanted):
        project_mention_delete(instance=current[pk], user=user, reason=reason)
    for pk in set(wanted) - set(current):
        project_mention_create(user=user, data={"project": project, "plan": wanted[pk]}, reason=reason)
    return set(current) != set(wanted)


class ProjectBuilderData(TypedDict, total=False):
    project: KeyProject
    enterprise: Enterprise
    role: str
    order: int


@transaction.atomic
def project_builder_create(*, user, data: ProjectBuilderData, reason: str = "") -> ProjectBuilder:
    builder = record_create(model=ProjectBuilder, user=user, data=data, reason=reason)
    search_text.refresh(project_ids=[builder.project_id])
    return builder


@transaction.atomic
def project_builder_update(
    *, instance: ProjectBuilder, user, data: ProjectBuilderData, reason: str = ""
) -> ProjectBuilder:
    before = instance.project_id
    builder = record_update(instance=instance, user=user, data=data, reason=reason)
    search_text.refresh(project_ids={before, builder.project_id})
    return builder


@transaction.atomic
def project_builder_delete(*, instance: ProjectBuilder, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)
    search_text.refresh(project_ids=[instance.project_id])


@transaction.atomic
def key_project_builders_set(*, project: KeyProject, user, enterprises: list[Enterprise], reason: str = "") -> bool:
    """Make the project's co-builders exactly ``enterprises``, in this order; True if anything changed.

    A co-builder the user may not see (another city's enterprise) is kept as it is, never dropped
    (common.services: hidden links are kept).
    """
    current = {builder.enterprise_id: builder for builder in project.builders.select_related("enterprise")}
    hidden = {pk for pk, builder in current.items() if user is not None and not can_reference(user, builder.enterprise)}
    wanted = [enterprise for enterprise in enterprises if enterprise.pk not in hidden]
    visible = [pk for pk, builder in current.items() if pk not in hidden]  # in order (the model's ordering)
    if visible == [enterprise.pk for enterprise in wanted]:
        return False
    changed = False
    for pk in set(current) - hidden - {enterprise.pk for enterprise in wanted}:
        project_builder_delete(instance=current[pk], user=user, reason=reason)
        changed = True
    for order, enterprise in enumerate(wanted, start=1):
        builder = current.get(enterprise.pk)
        if builder is None:
            data = {"project": project, "enterprise": enterprise, "order": order}
            project_builder_create(user=user, data=data, reason=reason)
            changed = True
        elif builder.order != order:
            project_builder_update(instance=builder, user=user, data={"order": order}, reason=reason)
            changed = True
    return changed


class ProjectReportData(TypedDict, total=False):
    project: KeyProject
    year: int
    month: int
    stage: str
    investment_completed: Decimal | None
    note: str
    progress: str
    problems: str
    problem_level: str
    reported_by: AbstractBaseUser | None


def _reported(user, data: ProjectReportData) -> ProjectReportData:
    """The reporter of a new report is the acting user unless the data names one."""
    return {"reported_by": user, **data}


@transaction.atomic
def project_report_create(*, user, data: ProjectReportData, reason: str = "") -> ProjectReport:
    """File a monthly dispatch report; a report that moves the stage moves the project's stage."""
    report = record_create(model=ProjectReport, user=user, data=_reported(user, data), reason=reason)
    _report_written(reports=[report], user=user)
    return report


@transaction.atomic
def project_report_create_many(
    *, user, rows: list[ProjectReportData], reason: str = ""
) -> list[ProjectReport | ValidationError | PermissionDenied]:
    """File many reports as ``project_report_create`` would one by one (common.services.records_create)."""
    outcomes = records_create(
        model=ProjectReport, user=user, rows=[_reported(user, data) for data in rows], reason=reason
    )
    _report_written(reports=[outcome for outcome in outcomes if isinstance(outcome, ProjectReport)], user=user)
    return outcomes


@transaction.atomic
def project_report_update(*, instance: ProjectReport, user, data: ProjectReportData, reason: str = "") -> ProjectReport:
    """Change a report. A report moved to another period so that another report becomes its project's latest
    hands the project's stage to that report, if the stage was this report's (as ``project_report_delete``)."""
    refuse_locked(ProjectReport, [instance.pk])
    project = KeyProject.objects.select_for_update().get(pk=instance.project_id)
    was_latest = _latest_report(project) == instance.pk
    stage_before = ProjectReport.objects.values_list("stage", flat=True).get(pk=instance.pk)  # admin forms edit
    report = record_update(instance=instance, user=user, data=data, reason=reason)
    if was_latest and project.stage == stage_before:
        newest = project.reports.order_by("-year", "-month").first()
        if newest.pk != report.pk and newest.stage != project.stage:
            key_project_update(instance=project, user=user, data={"stage": newest.stage}, reason=_report_reason(newest))
    _report_written(reports=[report], user=user)
    return report


@transaction.atomic
def project_report_delete(*, instance: ProjectReport, user, reason: str = "") -> None:
    """Withdraw a report. If it was the project's latest and its stage is the project's, the project goes
    back (through ``key_project_update``, in its history) to the stage of the report now latest or, with
    none left, to the stage it had before this report moved it; then its warnings are re-evaluated."""
    refuse_locked(ProjectReport, [instance.pk])
    project = KeyProject.objects.select_for_update().get(pk=instance.project_id)
    was_latest = _latest_report(project) == instance.pk
    record_delete(instance=instance, user=user, reason=reason)
    if was_latest and project.stage == instance.stage:
        stage = _stage_without(project=project, report=instance)
        if stage is not None and stage != project.stage:
            project = key_project_update(
                instance=project,
                user=user,
                data={"stage": stage},
                reason=f"撤回{instance.year}年{instance.month}月调度报告",
            )
    warnings_evaluate(today=timezone.localdate(), projects=[project])


# Monthly dispatch (issue 15): a report moves its project's stage and re-evaluates its warnings.


def _report_reason(report: ProjectReport) -> str:
    """The reason in the project's history of a stage moved by a report."""
    return f"{report.year}年{report.month}月调度报告"


def _latest_report(project: KeyProject) -> int | None:
    return project.reports.order_by("-year", "-month").values_list("pk", flat=True).first()


def _stage_without(*, project: KeyProject, report: ProjectReport) -> str | None:
    """The stage the project would have without ``report`` (already deleted): the latest remaining
    report's, else the stage before this report moved it (from the project's history); None: keep it."""
    remaining = project.reports.order_by("-year", "-month").values_list("stage", flat=True).first()
    if remaining is not None:
        return remaining
    moved = (
        project.history.filter(history_change_reason=_report_reason(report), stage=report.stage)
        .order_by("-history_date", "-history_id")
        .first()
    )
    before = moved.prev_record if moved is not None else None
    return before.stage if before is not None else None


def _report_written(*, reports: list[ProjectReport], user) -> None:
    """After reports were filed or changed: a project whose latest report it is takes that report's stage
    (through ``key_project_update``, in its history); then the projects' warnings are re-evaluated."""
    projects = {}
    for report in reports:
        project = KeyProject.objects.get(pk=report.project_id)
        projects[project.pk] = project
        if _latest_report(project) == report.pk and report.stage != project.stage:
            projects[project.pk] = key_project_update(
                instance=project, user=user, data={"stage": report.stage}, reason=_report_reason(report)
            )
    warnings_evaluate(today=timezone.localdate(), projects=list(projects.values()))


# Investment plans of the year -----------------------------------------------------------------------


class ProjectYearPlanData(TypedDict, total=False):
    project: KeyProject
    year: int
    planned_investment: Decimal
    note: str


def project_year_plan_create(*, user, data: ProjectYearPlanData, reason: str = "") -> ProjectYearPlan:
    with transaction.atomic():
        plan = record_create(model=ProjectYearPlan, user=user, data=data, reason=reason)
        warnings_evaluate(today=timezone.localdate(), projects=[plan.project])
    return plan


def project_year_plan_update(
    *, instance: ProjectYearPlan, user, data: ProjectYearPlanData, reason: str = ""
) -> ProjectYearPlan:
    with transaction.atomic():
        plan = record_update(instance=instance, user=user, data=data, reason=reason)
        warnings_evaluate(today=timezone.localdate(), projects=[plan.project])
    return plan


def project_year_plan_delete(*, instance: ProjectYearPlan, user, reason: str = "") -> None:
    with transaction.atomic():
        project = instance.project
        record_delete(instance=instance, user=user, reason=reason)
        warnings_evaluate(today=timezone.localdate(), projects=[project])


# Milestones -----------------------------------------------------------------------------------------


class MilestoneData(TypedDict, total=False):
    project: KeyProject
    code: str
    name: str
    planned_on: datetime.date
    actual_on: datetime.date | None
    status: str
    responsible_unit: str
    note: str


def milestone_create(*, user, data: MilestoneData, reason: str = "") -> Milestone:
    """A new milestone; its planned date is also its baseline (基线)."""
    data = {key: value for key, value in data.items() if key != "baseline_on"}
    with transaction.atomic():
        milestone = record_create(
            model=Milestone, user=user, data={**data, "baseline_on": data.get("planned_on")}, reason=reason
        )
        warnings_evaluate(today=timezone.localdate(), projects=[milestone.project])
    return milestone


def milestone_update(*, instance: Milestone, user, data: MilestoneData, reason: str = "") -> Milestone:
    """Change a milestone; moving its planned date needs a reason (kept in the history), the baseline stays."""
    if "baseline_on" in data and data["baseline_on"] != instance.baseline_on:
        raise ValidationError({"baseline_on": "基线日期是首次填报的计划日期，不能修改。"})
    data = {key: value for key, value in data.items() if key != "baseline_on"}
    if "planned_on" in data and data["planned_on"] != instance.planned_on and not reason.strip():
        raise ValidationError({"planned_on": "调整计划日期须说明原因（基线日期保持不变）。"})
    with transaction.atomic():
        milestone = record_update(instance=instance, user=user, data=data, reason=reason)
        warnings_evaluate(today=timezone.localdate(), projects=[milestone.project])
    return milestone


def milestone_delete(*, instance: Milestone, user, reason: str = "") -> None:
    with transaction.atomic():
        project = instance.project
        record_delete(instance=instance, user=user, reason=reason)
        warnings_evaluate(today=timezone.localdate(), projects=[project])


# “三个一批” batches ------------------------------------------------------------------------------------


class BatchData(TypedDict, total=False):
    name: str
    held_on: datetime.date
    note: str


def batch_create(*, user, data: BatchData, reason: str = "") -> Batch:
    return record_create(model=Batch, user=user, data=data, reason=reason)


def batch_update(*, instance: Batch, user, data: BatchData, reason: str = "") -> Batch:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def batch_delete(*, instance: Batch, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class BatchProjectData(TypedDict, total=False):
    batch: Batch
    project: KeyProject
    kind: str


def batch_project_create(*, user, data: BatchProjectData, reason: str = "") -> BatchProject:
    return record_create(model=BatchProject, user=user, data=data, reason=reason)


def batch_project_update(*, instance: BatchProject, user, data: BatchProjectData, reason: str = "") -> BatchProject:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def batch_project_delete(*, instance: BatchProject, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


# Warnings (预警) ---------------------------------------------------------------------------------------


def warning_acknowledge(*, instance: ProjectWarning, user, comment: str = "") -> ProjectWarning:
    """The project's city (or the province) has seen the warning: who, when, and what they say about it."""
    if instance.resolved_on is not None:
        raise ValidationError({"resolved_on": "预警已解除，无需确认。"})
    data = {"acknowledged_at": timezone.now(), "acknowledged_by": user, "comment": comment.strip()}
    return record_update(instance=instance, user=user, data=data, reason="确认预警")


@transaction.atomic
def warning_resolve(
    *, instance: ProjectWarning, user, today: datetime.date | None = None, reason: str = ""
) -> ProjectWarning:
    """Close a warning (by hand, or by the rules when the project is back on track)."""
    warning = _warning_close(instance=instance, user=user, today=today, reason=reason)
    figures.refresh(project_ids=[warning.project_id])
    return warning


def _warning_close(*, instance: ProjectWarning, user, today: datetime.date | None, reason: str) -> ProjectWarning:
    if instance.resolved_on is not None:
        raise ValidationError({"resolved_on": "预警已解除。"})
    today = today or timezone.localdate()
    return record_update(
        instance=instance, user=user, data={"resolved_on": max(today, instance.opened_on)}, reason=reason or "解除预警"
    )


@dataclass
class EvaluationResult:
    opened: int = 0
    escalated: int = 0
    resolved: int = 0
    red_notices: int = 0


EVALUATION_BATCH = 2000


def warnings_evaluate(*, today: datetime.date, projects=None, notify: bool = True) -> EvaluationResult:
    """Open, escalate (yellow → red) and resolve warnings as the rules find them on ``today``; idempotent.

    ``projects`` (a list or queryset) limits the run to them; None runs over every project (nightly).
    A rule that cannot be judged (UNKNOWN) leaves its open warning as it is. A warning never goes
    back from red to yellow; it is resolved when the rule holds again. New red warnings are sent
    to the staff of the project's city (notices, once per warning) unless ``notify`` is False
    (synthetic data, which must not fill real inboxes).
    """
    result = EvaluationResult()
    if projects is None:
        projects = KeyProject.objects.order_by("pk")
    if isinstance(projects, models.QuerySet):
        chunks = _keyset_chunks(projects.only("pk", "name", "stage", "city", "created"), EVALUATION_BATCH)
    else:
        projects = list(projects)
        chunks = (projects[start : start + EVALUATION_BATCH] for start in range(0, len(projects), EVALUATION_BATCH))
    recipients = {}
    for chunk in chunks:
        if chunk:
            _evaluate_chunk(chunk, today, result, recipients if notify else None)
    return result


def _keyset_chunks(queryset: models.QuerySet, size: int):
    """The queryset's rows in key order, ``size`` at a time, each chunk read from where the last ended:
    an OFFSET would walk past every earlier row again (a million projects: 500 chunks, each slower)."""
    queryset = queryset.order_by("pk")
    last = None
    while chunk := list((queryset if last is None else queryset.filter(pk__gt=last))[:size]):
        yield chunk
        last = chunk[-1].pk


@transaction.atomic
def _evaluate_chunk(projects: list[KeyProject], today, result: EvaluationResult, recipients: dict | None) -> None:
    findings = warning_rules.evaluate(projects, today=today)
    open_warnings = {
        (warning.project_id, warning.rule): warning
        for warning in ProjectWarning.objects.filter(project__in=[p.pk for p in projects], resolved_on__isnull=True)
    }
    red, opening = [], []
    for project in projects:
        for rule, outcome in findings[project.pk].items():
            warning = open_warnings.get((project.pk, rule))
            if outcome == warning_rules.UNKNOWN:
                continue
            if outcome == warning_rules.PASSED:
                if warning is not None:
                    _warning_close(instance=warning, user=None, today=today, reason="规则复核通过，自动解除")
                    result.resolved += 1
                continue
            if warning is None:
                opening.append((project, rule, outcome))
            elif outcome.level == WarningLevelChoices.RED and warning.level == WarningLevelChoices.YELLOW:
                data = {"level": outcome.level, "message": outcome.message, "figures": outcome.figures}
                warning = record_update(
                    instance=warning, user=None, data={**data, "escalated_on": today}, reason="预警升级为红色"
                )
                result.escalated += 1
                red.append((warning, project))
    for start in range(0, len(opening), OPEN_BATCH):
        batch = opening[start : start + OPEN_BATCH]
        for (project, _, _), warning in zip(batch, _warnings_open(opening=batch, today=today), strict=True):
            if warning is None:
                continue  # opened by a concurrent run
            result.opened += 1
            if warning.level == WarningLevelChoices.RED:
                red.append((warning, project))
    if recipients is not None:
        for warning, project in red:
            result.red_notices += _notify_red(warning=warning, project=project, recipients=recipients)
    # The chunk's reports, year plans and warnings are as they will be committed: recount their figures.
    figures.refresh(project_ids=[project.pk for project in projects])


#: New warnings created together (records_create: a few queries per batch instead of several per warning).
OPEN_BATCH = 500


def _warnings_open(*, opening: list[tuple[KeyProject, str, warning_rules.Finding]], today) -> list:
    """Open these warnings (project, rule, finding) at once; None where a concurrent run opened it first."""
    rows = [
        _warning_data(project=project, rule=rule, finding=finding, today=today) for project, rule, finding in opening
    ]
    try:
        outcomes = records_create(model=ProjectWarning, user=None, rows=rows, reason="规则评估发出预警")
    except IntegrityError:
        # A concurrent run opened some of them after the checks: the batch was rolled back; one by one.
        return [_warning_open(project=p, rule=r, finding=f, today=today) for p, r, f in opening]
    opened = []
    for (project, rule, _), outcome in zip(opening, outcomes, strict=True):
        if isinstance(outcome, Exception):
            if ProjectWarning.objects.filter(project=project, rule=rule, resolved_on__isnull=True).exists():
                outcome = None
            else:
                raise outcome
        opened.append(outcome)
    return opened


def _warning_data(*, project: KeyProject, rule: str, finding, today) -> dict:
    return {
        "project": project,
        "rule": rule,
        "level": finding.level,
        "message": finding.message,
        "figures": finding.figures,
        "opened_on": today,
    }


def _warning_open(*, project: KeyProject, rule: str, finding, today) -> ProjectWarning | None:
    data = _warning_data(project=project, rule=rule, finding=finding, today=today)
    try:
        with transaction.atomic():
            return record_create(model=ProjectWarning, user=None, data=data, reason="规则评估发出预警")
    except (IntegrityError, ValidationError):
        if ProjectWarning.objects.filter(project=project, rule=rule, resolved_on__isnull=True).exists():
            return None
        raise


def _notify_red(*, warning: ProjectWarning, project: KeyProject, recipients: dict) -> int:
    if project.city_id not in recipients:
        recipients[project.city_id] = list(city_staff(city_id=project.city_id))
    sent = notice_send(
        recipients=recipients[project.city_id],
        key=f"warning:{warning.pk}:red",
        data={
            "kind": NoticeKindChoices.WARNING_RED,
            "title": f"红色预警：{project.name}（{warning.get_rule_display()}）",
            "body": warning.message,
            "link": f"/projects/{project.pk}/",
        },
    )
    return len(sent)


@transaction.atomic
def project_report_lock_set(*, instances: Iterable[ProjectReport], locked: bool, reason: str = "") -> int:
    """Lock or unlock reports (a trusted system write: monitoring approves and reopens submissions).

    Unlocking sets the transaction's unlock flag (common.locking), so the PostgreSQL trigger lets it pass.
    Returns how many changed; each change is in the report's history.
    """
    changed = 0
    if not locked:
        allow_locked_writes()
    for instance in instances:
        if instance.locked == locked:
            continue
        instance.locked = locked
        instance._change_reason = reason or None
        instance.save(update_fields=["locked", "updated"])
        changed += 1
    return changed

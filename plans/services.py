"""Writes of plans and their parts: sections, industries, key areas, targets, observations, programs …

One function per write, keyword-only; the rules they share (scope, ``full_clean``, history)
are in common.services. ``user=None`` is a trusted system writer (see there). The services that
change targets or observations keep the ``TargetProgress`` rollup (plans.progress) themselves,
once per call: a target's own row when it or its yearly steps change, and every target of an
observation's indicator and region when the observation changes (progress reads an indicator's
observations, whichever plan reported them). Deleting a target or a plan needs nothing (its
rollup row goes with it).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from common.services import record_create, record_delete, record_update, records_create
from regions.models import Region

from .models import (
    CityRole,
    Indicator,
    Industry,
    KeyArea,
    Measure,
    Observation,
    Plan,
    PlanSection,
    Program,
    Target,
    TargetStep,
)
from .progress import refresh_progress, targets_observing

# Relations to the projects app are typed as plain models: plans sits below projects.


class PlanData(TypedDict, total=False):
    code: str
    title: str
    short_title: str
    kind: str
    issuer: str
    doc_number: str
    period_start: int | None
    period_end: int | None
    signed_on: datetime.date | None
    published_on: datetime.date | None
    status: str
    follows: Plan | None
    summary: str
    source_file: str
    source_quote: str


def plan_create(*, user, data: PlanData, reason: str = "") -> Plan:
    return record_create(model=Plan, user=user, data=data, reason=reason)


def plan_update(*, instance: Plan, user, data: PlanData, reason: str = "") -> Plan:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def plan_delete(*, instance: Plan, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class PlanSectionData(TypedDict, total=False):
    plan: Plan
    parent: PlanSection | None
    key: str
    number: str
    title: str
    order: int
    page: int | None


def plan_section_create(*, user, data: PlanSectionData, reason: str = "") -> PlanSection:
    return record_create(model=PlanSection, user=user, data=data, reason=reason)


def plan_section_update(*, instance: PlanSection, user, data: PlanSectionData, reason: str = "") -> PlanSection:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def plan_section_delete(*, instance: PlanSection, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class IndustryData(TypedDict, total=False):
    code: str
    name: str
    parent: Industry | None
    is_national: bool
    order: int
    description: str


def industry_create(*, user, data: IndustryData, reason: str = "") -> Industry:
    return record_create(model=Industry, user=user, data=data, reason=reason)


def industry_update(*, instance: Industry, user, data: IndustryData, reason: str = "") -> Industry:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def industry_delete(*, instance: Industry, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class KeyAreaData(TypedDict, total=False):
    plan: Plan
    parent: KeyArea | None
    section: PlanSection | None
    key: str
    name: str
    order: int
    description: str
    industries: list[Industry]
    source_file: str
    source_quote: str


def key_area_create(*, user, data: KeyAreaData, reason: str = "") -> KeyArea:
    return record_create(model=KeyArea, user=user, data=data, reason=reason)


def key_area_update(*, instance: KeyArea, user, data: KeyAreaData, reason: str = "") -> KeyArea:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def key_area_delete(*, instance: KeyArea, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class IndicatorData(TypedDict, total=False):
    key: str
    name: str
    unit: str
    definition: str
    direction: str
    time_aggregation: str
    city_aggregation: str
    numerator: Indicator | None
    denominator: Indicator | None
    category: str
    national_code: str


def indicator_create(*, user, data: IndicatorData, reason: str = "") -> Indicator:
    return record_create(model=Indicator, user=user, data=data, reason=reason)


@transaction.atomic
def indicator_update(*, instance: Indicator, user, data: IndicatorData, reason: str = "") -> Indicator:
    """Change an indicator; its direction and aggregation bear on the progress of its targets."""
    indicator = record_update(instance=instance, user=user, data=data, reason=reason)
    refresh_progress(Target.objects.filter(indicator=indicator).values_list("pk", flat=True))
    return indicator


def indicator_delete(*, instance: Indicator, user, reason: str = "") -> None:
    """Delete an indicator that no target or observation refers to (they protect it)."""
    record_delete(instance=instance, user=user, reason=reason)


class TargetData(TypedDict, total=False):
    plan: Plan
    key: str
    indicator: Indicator
    name: str
    nature: str
    is_cumulative: bool
    is_per_year: bool
    parent: Target | None
    comparator: str
    baseline_value: Decimal | None
    baseline_year: int | None
    target_value: Decimal
    target_value_max: Decimal | None
    target_year: int
    scope: Region
    industry: Industry | None
    key_area: KeyArea | None
    section: PlanSection | None
    base: models.Model | None  # projects.IndustryBase
    description: str
    source_file: str
    source_quote: str


def _named(data: TargetData) -> TargetData:
    """A target without its own wording is named as its indicator."""
    if data.get("name") or "indicator" not in data:
        return data
    return {**data, "name": data["indicator"].name}


def _keyed(data: TargetData) -> TargetData:
    """A target without a key gets one from its indicator, region and year, free in its plan (imports name none)."""
    if data.get("key") or not all(data.get(name) for name in ("plan", "indicator", "scope", "target_year")):
        return data
    base = f"{data['indicator'].key[:44]}-{data['scope'].code}-{data['target_year']}"
    taken = set(Target.objects.filter(plan=data["plan"], key__startswith=base).values_list("key", flat=True))
    key = next(key for key in (base, *(f"{base}-{n}" for n in range(2, 1000))) if key not in taken)
    return {**data, "key": key}


@transaction.atomic
def target_create(*, user, data: TargetData, reason: str = "") -> Target:
    """Create a target and its progress row."""
    target = record_create(model=Target, user=user, data=_keyed(_named(data)), reason=reason)
    refresh_progress([target.pk])
    return target


@transaction.atomic
def target_update(*, instance: Target, user, data: TargetData, reason: str = "") -> Target:
    """Change a target; its status may change with its values."""
    target = record_update(instance=instance, user=user, data=data, reason=reason)
    refresh_progress([target.pk])
    return target


def target_delete(*, instance: Target, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class TargetStepData(TypedDict, total=False):
    target: Target
    year: int
    value: Decimal


@transaction.atomic
def target_step_create(*, user, data: TargetStepData, reason: str = "") -> TargetStep:
    """Enter a yearly step of a target; the target's 序时进度 follows it."""
    step = record_create(model=TargetStep, user=user, data=data, reason=reason)
    refresh_progress([step.target_id])
    return step


@transaction.atomic
def target_step_update(*, instance: TargetStep, user, data: TargetStepData, reason: str = "") -> TargetStep:
    before = instance.target_id
    step = record_update(instance=instance, user=user, data=data, reason=reason)
    refresh_progress([before, step.target_id])
    return step


@transaction.atomic
def target_step_delete(*, instance: TargetStep, user, reason: str = "") -> None:
    target_id = instance.target_id
    record_delete(instance=instance, user=user, reason=reason)
    refresh_progress([target_id])


class ObservationData(TypedDict, total=False):
    indicator: Indicator
    value: Decimal
    qualifier: str
    year: int
    quarter: int
    month: int
    scope: Region
    status: str
    source_plan: Plan | None
    source: str
    reported_by: AbstractBaseUser | None
    source_file: str
    source_quote: str


def _reported(user, data: ObservationData) -> ObservationData:
    """The reporter of a new observation is the acting user unless the data names one."""
    return {"reported_by": user, **data}


def _refresh_observed(pairs) -> None:
    refresh_progress(targets_observing(pairs))


@transaction.atomic
def observation_create(*, user, data: ObservationData, reason: str = "") -> Observation:
    """Record a measured value and refresh every target of its indicator and region."""
    observation = record_create(model=Observation, user=user, data=_reported(user, data), reason=reason)
    _refresh_observed([(observation.indicator_id, observation.scope_id)])
    return observation


@transaction.atomic
def observation_create_many(
    *, user, rows: list[ObservationData], reason: str = ""
) -> list[Observation | ValidationError | PermissionDenied]:
    """Record many values as ``observation_create`` would one by one (common.services.records_create).

    The progress of the targets they bear on is refreshed once for the batch.
    """
    outcomes = records_create(
        model=Observation, user=user, rows=[_reported(user, data) for data in rows], reason=reason
    )
    _refresh_observed(
        (outcome.indicator_id, outcome.scope_id) for outcome in outcomes if isinstance(outcome, Observation)
    )
    return outcomes


@transaction.atomic
def observation_update(*, instance: Observation, user, data: ObservationData, reason: str = "") -> Observation:
    """Change a measured value; the targets of its indicator and region before and after are refreshed."""
    before = Observation.objects.filter(pk=instance.pk).values_list("indicator_id", "scope_id").first()
    observation = record_update(instance=instance, user=user, data=data, reason=reason)
    _refresh_observed([before, (observation.indicator_id, observation.scope_id)])
    return observation


@transaction.atomic
def observation_delete(*, instance: Observation, user, reason: str = "") -> None:
    pair = (instance.indicator_id, instance.scope_id)
    record_delete(instance=instance, user=user, reason=reason)
    _refresh_observed([pair])


@transaction.atomic
def observation_delete_many(*, user, instances: Iterable[Observation], reason: str = "") -> None:
    """Delete observations as ``observation_delete`` would one by one; progress is refreshed once for the batch."""
    pairs = set()
    for instance in instances:
        pairs.add((instance.indicator_id, instance.scope_id))
        record_delete(instance=instance, user=user, reason=reason)
    _refresh_observed(pairs)


class ProgramData(TypedDict, total=False):
    plan: Plan
    parent: Program | None
    section: PlanSection | None
    key: str
    kind: str
    name: str
    order: int
    description: str
    industries: list[Industry]
    source_file: str
    source_quote: str


def program_create(*, user, data: ProgramData, reason: str = "") -> Program:
    return record_create(model=Program, user=user, data=data, reason=reason)


def program_update(*, instance: Program, user, data: ProgramData, reason: str = "") -> Program:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def program_delete(*, instance: Program, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class MeasureData(TypedDict, total=False):
    plan: Plan
    parent: Measure | None
    section: PlanSection | None
    key: str
    name: str
    order: int
    description: str
    source_file: str
    source_quote: str


def measure_create(*, user, data: MeasureData, reason: str = "") -> Measure:
    return record_create(model=Measure, user=user, data=data, reason=reason)


def measure_update(*, instance: Measure, user, data: MeasureData, reason: str = "") -> Measure:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def measure_delete(*, instance: Measure, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class CityRoleData(TypedDict, total=False):
    plan: Plan
    city: Region
    role: str
    industries: list[Industry]
    source_file: str
    source_quote: str


def city_role_create(*, user, data: CityRoleData, reason: str = "") -> CityRole:
    return record_create(model=CityRole, user=user, data=data, reason=reason)


def city_role_update(*, instance: CityRole, user, data: CityRoleData, reason: str = "") -> CityRole:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def city_role_delete(*, instance: CityRole, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)

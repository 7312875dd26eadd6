"""Writes of enterprises (and their short names), industry bases (and their cities), key projects (and the other plans
naming them and their co-builders) and their progress reports.

One function per write, keyword-only; the rules they share (scope, ``full_clean``, history)
are in common.services. ``user=None`` is a trusted system writer (see there).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from common.locking import allow_locked_writes, refuse_locked
from common.scope import can_reference
from common.services import record_create, record_delete, record_update, records_create
from plans.models import Industry, KeyArea, Plan
from regions.models import Park, Region, RegionGroup

from .models import (
    BaseCity,
    Enterprise,
    EnterpriseAlias,
    IndustryBase,
    KeyProject,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
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


def enterprise_update(*, instance: Enterprise, user, data: EnterpriseData, reason: str = "") -> Enterprise:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def enterprise_delete(*, instance: Enterprise, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class EnterpriseAliasData(TypedDict, total=False):
    enterprise: Enterprise
    alias: str


def enterprise_alias_create(*, user, data: EnterpriseAliasData, reason: str = "") -> EnterpriseAlias:
    return record_create(model=EnterpriseAlias, user=user, data=data, reason=reason)


def enterprise_alias_update(
    *, instance: EnterpriseAlias, user, data: EnterpriseAliasData, reason: str = ""
) -> EnterpriseAlias:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def enterprise_alias_delete(*, instance: EnterpriseAlias, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


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


def key_project_create(*, user, data: KeyProjectData, reason: str = "") -> KeyProject:
    return record_create(model=KeyProject, user=user, data=data, reason=reason)


def key_project_create_many(
    *, user, rows: list[KeyProjectData], reason: str = ""
) -> list[KeyProject | ValidationError | PermissionDenied]:
    """Create many projects as ``key_project_create`` would one by one (common.services.records_create)."""
    return records_create(model=KeyProject, user=user, rows=rows, reason=reason)


def key_project_update(*, instance: KeyProject, user, data: KeyProjectData, reason: str = "") -> KeyProject:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def key_project_delete(*, instance: KeyProject, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class ProjectMentionData(TypedDict, total=False):
    project: KeyProject
    plan: Plan
    source_file: str
    source_quote: str


def project_mention_create(*, user, data: ProjectMentionData, reason: str = "") -> ProjectMention:
    return record_create(model=ProjectMention, user=user, data=data, reason=reason)


def project_mention_update(
    *, instance: ProjectMention, user, data: ProjectMentionData, reason: str = ""
) -> ProjectMention:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def project_mention_delete(*, instance: ProjectMention, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class ProjectBuilderData(TypedDict, total=False):
    project: KeyProject
    enterprise: Enterprise
    role: str
    order: int


def project_builder_create(*, user, data: ProjectBuilderData, reason: str = "") -> ProjectBuilder:
    return record_create(model=ProjectBuilder, user=user, data=data, reason=reason)


def project_builder_update(
    *, instance: ProjectBuilder, user, data: ProjectBuilderData, reason: str = ""
) -> ProjectBuilder:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def project_builder_delete(*, instance: ProjectBuilder, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class ProjectReportData(TypedDict, total=False):
    project: KeyProject
    year: int
    month: int
    stage: str
    investment_completed: Decimal
    note: str
    reported_by: AbstractBaseUser | None


def _reported(user, data: ProjectReportData) -> ProjectReportData:
    """The reporter of a new report is the acting user unless the data names one."""
    return {"reported_by": user, **data}


def project_report_create(*, user, data: ProjectReportData, reason: str = "") -> ProjectReport:
    """File a progress report."""
    return record_create(model=ProjectReport, user=user, data=_reported(user, data), reason=reason)


def project_report_create_many(
    *, user, rows: list[ProjectReportData], reason: str = ""
) -> list[ProjectReport | ValidationError | PermissionDenied]:
    """File many reports as ``project_report_create`` would one by one (common.services.records_create)."""
    return records_create(model=ProjectReport, user=user, rows=[_reported(user, data) for data in rows], reason=reason)


def project_report_update(*, instance: ProjectReport, user, data: ProjectReportData, reason: str = "") -> ProjectReport:
    refuse_locked(ProjectReport, [instance.pk])
    return record_update(instance=instance, user=user, data=data, reason=reason)


def project_report_delete(*, instance: ProjectReport, user, reason: str = "") -> None:
    refuse_locked(ProjectReport, [instance.pk])
    record_delete(instance=instance, user=user, reason=reason)


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

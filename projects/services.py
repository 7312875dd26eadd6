"""Writes of enterprises (and their short names), industry bases (and their cities), key projects (and the other plans
naming them and their co-builders) and their progress reports.

One function per write, keyword-only; the rules they share (scope, ``full_clean``, history)
are in common.services. ``user=None`` is a trusted system writer (see there).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

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


def project_builder_create(*, user, data: ProjectBuilderData, reason: str = "") -> ProjectBuilder:
    return record_create(model=ProjectBuilder, user=user, data=data, reason=reason)


def project_builder_update(
    *, instance: ProjectBuilder, user, data: ProjectBuilderData, reason: str = ""
) -> ProjectBuilder:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def project_builder_delete(*, instance: ProjectBuilder, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


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
    return record_update(instance=instance, user=user, data=data, reason=reason)


def project_report_delete(*, instance: ProjectReport, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)

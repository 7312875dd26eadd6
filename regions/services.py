"""Writes of regions, region groups (and their cities), layout schemes, zones, zone memberships and parks.

One function per write, keyword-only; the rules they share (scope, ``full_clean``, history)
are in common.services. ``user=None`` is a trusted system writer (see there).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.core.cache import cache
from django.db import models

from common.services import record_create, record_delete, record_update

from .models import LayoutScheme, Park, Region, RegionGroup, RegionGroupMembership, Zone, ZoneMembership
from .selectors import BOUNDARIES_CACHE_KEY

# Relations to the plans app are typed as plain models: regions sits below plans.


class RegionData(TypedDict, total=False):
    code: str
    name: str
    short_name: str
    level: str
    parent: Region | None
    boundary: dict | None
    center_lon: Decimal | None
    center_lat: Decimal | None


def region_create(*, user, data: RegionData, reason: str = "") -> Region:
    region = record_create(model=Region, user=user, data=data, reason=reason)
    cache.delete(BOUNDARIES_CACHE_KEY)
    return region


def region_update(*, instance: Region, user, data: RegionData, reason: str = "") -> Region:
    region = record_update(instance=instance, user=user, data=data, reason=reason)
    cache.delete(BOUNDARIES_CACHE_KEY)
    return region


def region_delete(*, instance: Region, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)
    cache.delete(BOUNDARIES_CACHE_KEY)


class RegionGroupData(TypedDict, total=False):
    """A group's fields; its cities are written as memberships (``region_group_membership_*``)."""

    name: str
    note: str
    source_file: str
    source_quote: str


def region_group_create(*, user, data: RegionGroupData, reason: str = "") -> RegionGroup:
    return record_create(model=RegionGroup, user=user, data=data, reason=reason)


def region_group_update(*, instance: RegionGroup, user, data: RegionGroupData, reason: str = "") -> RegionGroup:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def region_group_delete(*, instance: RegionGroup, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class RegionGroupMembershipData(TypedDict, total=False):
    group: RegionGroup
    region: Region
    inferred: bool
    note: str


def region_group_membership_create(*, user, data: RegionGroupMembershipData, reason: str = "") -> RegionGroupMembership:
    return record_create(model=RegionGroupMembership, user=user, data=data, reason=reason)


def region_group_membership_update(
    *, instance: RegionGroupMembership, user, data: RegionGroupMembershipData, reason: str = ""
) -> RegionGroupMembership:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def region_group_membership_delete(*, instance: RegionGroupMembership, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class LayoutSchemeData(TypedDict, total=False):
    plan: models.Model  # plans.Plan
    name: str
    description: str
    source_file: str
    source_quote: str


def layout_scheme_create(*, user, data: LayoutSchemeData, reason: str = "") -> LayoutScheme:
    return record_create(model=LayoutScheme, user=user, data=data, reason=reason)


def layout_scheme_update(*, instance: LayoutScheme, user, data: LayoutSchemeData, reason: str = "") -> LayoutScheme:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def layout_scheme_delete(*, instance: LayoutScheme, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class ZoneData(TypedDict, total=False):
    """A zone's fields; its cities are written as memberships (``zone_membership_*``)."""

    scheme: LayoutScheme
    kind: str
    name: str
    order: int
    corridor: str
    description: str
    region_group: RegionGroup | None
    industries: list[models.Model]  # plans.Industry
    source_file: str
    source_quote: str


def zone_create(*, user, data: ZoneData, reason: str = "") -> Zone:
    return record_create(model=Zone, user=user, data=data, reason=reason)


def zone_update(*, instance: Zone, user, data: ZoneData, reason: str = "") -> Zone:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def zone_delete(*, instance: Zone, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class ZoneMembershipData(TypedDict, total=False):
    zone: Zone
    region: Region
    inferred: bool
    note: str


def zone_membership_create(*, user, data: ZoneMembershipData, reason: str = "") -> ZoneMembership:
    return record_create(model=ZoneMembership, user=user, data=data, reason=reason)


def zone_membership_update(
    *, instance: ZoneMembership, user, data: ZoneMembershipData, reason: str = ""
) -> ZoneMembership:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def zone_membership_delete(*, instance: ZoneMembership, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)


class ParkData(TypedDict, total=False):
    name: str
    short_name: str
    level: str
    kind: str
    city: Region
    county: Region | None
    industries: list[models.Model]  # plans.Industry
    description: str
    source_file: str
    source_quote: str


def park_create(*, user, data: ParkData, reason: str = "") -> Park:
    return record_create(model=Park, user=user, data=data, reason=reason)


def park_update(*, instance: Park, user, data: ParkData, reason: str = "") -> Park:
    return record_update(instance=instance, user=user, data=data, reason=reason)


def park_delete(*, instance: Park, user, reason: str = "") -> None:
    record_delete(instance=instance, user=user, reason=reason)

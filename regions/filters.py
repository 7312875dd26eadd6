"""Filters that name regions and zones, for every app's FilterSets (see common.filters).

A city or any region is named by its GB/T 2260 code (``?city=140100``), a zone by id.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from common.filters import matching

from .choices import RegionLevelChoices
from .models import Region, Zone, ZoneMembership


def _regions(request=None):
    return Region.objects.defer(*Region.heavy_fields)


def _cities(request=None):
    return _regions(request).filter(level=RegionLevelChoices.CITY)


@extend_schema_field(OpenApiTypes.STR)
class CityFilter(django_filters.ModelChoiceFilter):
    """``?city=140100``: records of that city; ``field_name`` is the path to the Region(s)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", _cities)
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("label", "城市（行政区划代码）")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return matching(qs, **{self.field_name: value})


class RegionCodeFilter(CityFilter):
    """Any region (province, city or county) by code."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", _regions)
        kwargs.setdefault("label", "行政区划代码")
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class ZoneFilter(django_filters.ModelChoiceFilter):
    """``?zone=<id>``: records in the member cities of a zone; ``field_name`` leads to the city."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Zone.objects.all())
        kwargs.setdefault("label", "布局分区 ID")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        members = ZoneMembership.objects.filter(zone=value).values("region_id")
        return matching(qs, **{f"{self.field_name}__in": members})

"""Filters that name plans' models, for every app's FilterSets above regions (see common.filters)."""

from __future__ import annotations

from common.filters import SubtreeFilter

from .models import Industry


class IndustryFilter(SubtreeFilter):
    """``?industry=<id>``: records of that industry or any industry below it in the taxonomy."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Industry.objects.all())
        kwargs.setdefault("label", "产业分类 ID（含下级）")
        super().__init__(*args, **kwargs)

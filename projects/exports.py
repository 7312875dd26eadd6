"""What the fast CSV export of the project list (common.api.csv_fast) reads for the fields only projects have."""

from __future__ import annotations

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.api.csv_fast import CsvField

from .selectors import project_progress


class _Figures:
    """The attributes ``project_progress`` reads, from one row's values."""

    __slots__ = (
        "planned_year",
        "completed_year",
        "completed_year_unknown",
        "completed_total",
        "completed_total_unknown",
        "total_investment",
    )

    def __init__(self, values: tuple):
        (
            self.planned_year,
            self.completed_year,
            self.completed_year_unknown,
            self.completed_total,
            self.completed_total_unknown,
            self.total_investment,
        ) = values


class InvestmentProgressCsv(CsvField):
    """``investment_progress`` (KeyProjectSerializer.get_investment_progress): ``project_progress`` of the figures.

    The list reads the kept figures by key, a lookup per row of its page (``with_investment_progress``);
    an export reads every row, so it joins them once (``ProjectFigures`` is one row per project,
    ``ProjectYearFigures`` one per project and year: the joins add no row), for the open warnings too.
    """

    fetch = (
        "_csv_planned_year",
        "_csv_completed_year",
        "_csv_completed_year_unknown",
        "_csv_completed_total",
        "_csv_completed_total_unknown",
        "total_investment",
    )
    # What project_progress passes through unchanged (the rates it computes are written by Python).
    columns = {
        "year_planned": "_csv_planned_year",
        "year_completed": "_csv_completed_year",
        "year_unknown_reports": "_csv_completed_year_unknown",
        "total_completed": "_csv_completed_total",
        "total_unknown_reports": "_csv_completed_total_unknown",
    }

    def prepare(self, queryset: QuerySet) -> QuerySet:
        year = timezone.localdate().year
        return queryset.annotate(
            _csv_this_year=FilteredRelation("year_figures", condition=Q(year_figures__year=year)),
            _csv_planned_year=F("_csv_this_year__planned"),
            _csv_completed_year=F("_csv_this_year__completed"),
            _csv_completed_year_unknown=Coalesce(F("_csv_this_year__reports_unknown"), 0),
            _csv_completed_total=F("figures__completed_total"),
            _csv_completed_total_unknown=Coalesce(F("figures__reports_unknown"), 0),
            # The same figures as the list's lookups by key, read through the same join.
            open_warnings=Coalesce(F("figures__open_warnings"), 0),
            red_warnings=Coalesce(F("figures__red_warnings"), 0),
        )

    def value(self, values: tuple) -> dict:
        return project_progress(_Figures(values))

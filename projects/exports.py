"""What the fast CSV export of the project list (common.api.csv_fast) reads for the fields only projects have."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from common.api.csv_fast import CsvField

from .selectors import PROGRESS_SOURCES, completion_rate, joined_figures, project_progress

#: Keeps the export's figures apart from the list's own annotations of the same names.
PREFIX = "_csv_"


class _Figures:
    """The attributes ``project_progress`` reads, from one row's values (in ``PROGRESS_SOURCES``' order)."""

    __slots__ = PROGRESS_SOURCES

    def __init__(self, values: tuple):
        for name, value in zip(PROGRESS_SOURCES, values, strict=True):
            setattr(self, name, value)


class InvestmentProgressCsv(CsvField):
    """``investment_progress`` (KeyProjectSerializer.get_investment_progress): ``project_progress`` of the figures.

    The list reads the kept figures by key, a lookup per row of its page (``with_investment_progress``);
    an export reads every row, so it joins them once (``ProjectFigures`` is one row per project,
    ``ProjectYearFigures`` one per project and year: the joins add no row), for the open warnings too.
    """

    # The project's own column as it is, the kept figures by their joined names.
    fetch = tuple(name if name == "total_investment" else PREFIX + name for name in PROGRESS_SOURCES)
    # What project_progress passes through unchanged (the rates it computes are written by Python).
    columns = {
        "year_planned": f"{PREFIX}planned_year",
        "year_completed": f"{PREFIX}completed_year",
        "year_unknown_reports": f"{PREFIX}completed_year_unknown",
        "total_completed": f"{PREFIX}completed_total",
        "total_unknown_reports": f"{PREFIX}completed_total_unknown",
    }

    def prepare(self, queryset: QuerySet) -> QuerySet:
        year = timezone.localdate().year
        # The warnings too: the same figures as the list's lookups by key, read through the same join.
        return queryset.annotate(**joined_figures(year=year, prefix=PREFIX))

    def value(self, values: tuple) -> dict:
        return project_progress(_Figures(values))

    def cells(self, attrs: tuple[str, ...]):
        """The rates (all that Python computes of the figures, see ``columns``) from the values, as
        ``project_progress`` computes them, without building its dict and an object per row."""
        if attrs != ("year_rate", "total_rate"):
            return None
        planned, completed, unknown, total, total_unknown, investment = (PROGRESS_SOURCES.index(name) for name in (
            "planned_year", "completed_year", "completed_year_unknown", "completed_total", "completed_total_unknown",
            "total_investment",
        ))  # fmt: skip

        def rates(values: tuple) -> tuple:
            return (
                completion_rate(values[completed], values[unknown], values[planned]),
                completion_rate(values[total], values[total_unknown], values[investment]),
            )

        return rates

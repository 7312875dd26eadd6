"""The mechanics of ProjectFigures and ProjectYearFigures: each project's figures from its reports,
year plans and warnings, recounted from those rows.

The services that write reports, year plans or warnings call ``refresh`` in the same transaction.
It locks the projects' rows first, so two writers of one project's reports take turns and the
second recounts what the first committed (each statement of READ COMMITTED sees the committed
rows). Bulk loads that bypass the services (``generate_data``'s COPY) call ``rebuild``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from .choices import WarningLevelChoices
from .models import KeyProject, ProjectFigures, ProjectReport, ProjectWarning, ProjectYearFigures, ProjectYearPlan

#: Projects per statement (SQLite's limit on parameters; four IN lists per statement).
CHUNK = 200


def _tables() -> dict:
    return {
        "figures": ProjectFigures._meta.db_table,
        "years": ProjectYearFigures._meta.db_table,
        "reports": ProjectReport._meta.db_table,
        "plans": ProjectYearPlan._meta.db_table,
        "warnings": ProjectWarning._meta.db_table,
        "projects": KeyProject._meta.db_table,
    }


def _statements(where: str) -> list[str]:
    """Delete and recount the rows of the projects ``where`` selects (a condition on ``project_id``)."""
    t = _tables()
    return [
        f"DELETE FROM {t['years']} WHERE {where}",
        f"""INSERT INTO {t["years"]} (project_id, year, planned, completed, reports_unknown)
            SELECT project_id, year, max(planned), sum(amount), sum(unknown) FROM (
                SELECT project_id, year, NULL AS planned, investment_completed AS amount,
                       CASE WHEN investment_completed IS NULL THEN 1 ELSE 0 END AS unknown
                FROM {t["reports"]} WHERE {where}
                UNION ALL
                SELECT project_id, year, planned_investment, NULL, 0 FROM {t["plans"]} WHERE {where}
            ) k GROUP BY project_id, year""",
        f"DELETE FROM {t['figures']} WHERE {where}",
        f"""INSERT INTO {t["figures"]} (project_id, completed_total, reports_unknown, open_warnings, red_warnings)
            SELECT project_id, sum(amount), sum(unknown), sum(opened), sum(red) FROM (
                SELECT project_id, investment_completed AS amount,
                       CASE WHEN investment_completed IS NULL THEN 1 ELSE 0 END AS unknown, 0 AS opened, 0 AS red
                FROM {t["reports"]} WHERE {where}
                UNION ALL
                SELECT project_id, NULL, 0, 1, CASE WHEN level = %s THEN 1 ELSE 0 END
                FROM {t["warnings"]} WHERE resolved_on IS NULL AND {where}
            ) k GROUP BY project_id""",
    ]


def _run(where: str, params: list) -> None:
    delete_years, insert_years, delete_figures, insert_figures = _statements(where)
    with connection.cursor() as cursor:
        cursor.execute(delete_years, params)
        cursor.execute(insert_years, params * 2)
        cursor.execute(delete_figures, params)
        cursor.execute(insert_figures, [*params, WarningLevelChoices.RED, *params])


def refresh(*, project_ids: Iterable[int]) -> None:
    """Recount the figures of these projects (locking their rows until the transaction ends)."""
    ids = sorted(set(project_ids))
    with transaction.atomic():  # a caller outside a transaction (a script, a test factory) still gets the lock
        _refresh(ids)


def _refresh(ids: list[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        # Locked in key order, so that writers of overlapping projects never wait on each other in a cycle.
        list(KeyProject.objects.filter(pk__in=chunk).order_by("pk").select_for_update().values_list("pk"))
        _run(f"project_id IN ({', '.join(['%s'] * len(chunk))})", chunk)


def rebuild() -> None:
    """Recount every project's figures (four statements)."""
    _run("1 = 1", [])

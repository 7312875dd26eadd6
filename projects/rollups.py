"""The mechanics of ProjectRollup: what projects add to it, a write's change as deltas, and the rebuild.

The project services call ``states`` before and after a write and ``apply`` the difference in
the same transaction: one upsert adds each row's delta to the stored figures
(``count = count + delta``), so concurrent writes to the same row add up instead of
overwriting each other. Rows are written in key order, after the written projects are locked,
so two writers never wait on each other in a cycle. Bulk loads that bypass the services
(``generate_data``'s COPY) call ``rebuild``, which recounts everything from the projects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from .models import KeyProject, ProjectMention, ProjectRollup


@dataclass(frozen=True)
class ProjectState:
    """What one project adds to the rollups."""

    city: int
    stage: str
    industry: int | None
    investment: Decimal | None
    plan: int | None
    mentions: frozenset[int]

    @property
    def plans(self) -> frozenset[int]:
        return self.mentions | ({self.plan} if self.plan else frozenset())


def saved_state(before: ProjectState, project: KeyProject) -> ProjectState:
    """The state of a project just saved by a write that did not change its mentions (no query)."""
    return ProjectState(
        project.city_id, project.stage, project.industry_id, project.total_investment, project.plan_id, before.mentions
    )


def rollup_key(plan: int | None, city: int, stage: str, industry: int | None) -> str:
    return f"{plan or 0}:{city}:{stage}:{industry or 0}"


def states(project_ids: Iterable[int], *, lock: bool = False) -> dict[int, ProjectState]:
    """The stored state of these projects (two queries); ``lock`` holds their rows until the transaction ends."""
    ids = list(project_ids)
    if not ids:
        return {}
    projects = KeyProject.objects.filter(pk__in=ids).order_by("pk")
    if lock:
        projects = projects.select_for_update(of=("self",))
    rows = list(projects.values_list("pk", "city_id", "stage", "industry_id", "total_investment", "plan_id"))
    named = defaultdict(set)
    for project, plan in ProjectMention.objects.filter(project_id__in=ids).values_list("project_id", "plan_id"):
        named[project].add(plan)
    return {
        pk: ProjectState(city, stage, industry, investment, plan, frozenset(named[pk]))
        for pk, city, stage, industry, investment, plan in rows
    }


def _contributions(states_: Iterable[ProjectState], sign: int, into: dict) -> None:
    for state in states_:
        for plan in (None, *state.plans):
            row = into.setdefault((plan, state.city, state.stage, state.industry), [0, Decimal(0), 0])
            row[0] += sign
            row[1] += sign * (state.investment or Decimal(0))
            row[2] += sign * (state.investment is None)


def apply(*, before: dict[int, ProjectState] | None = None, after: dict[int, ProjectState] | None = None) -> None:
    """Add to the rollup rows the change from ``before`` to ``after`` (states of the same projects)."""
    deltas: dict = {}
    _contributions((before or {}).values(), -1, deltas)
    _contributions((after or {}).values(), 1, deltas)
    rows = sorted(
        (rollup_key(*dims), *dims, *delta) for dims, delta in deltas.items() if delta[0] or delta[1] or delta[2]
    )
    if not rows:
        return
    table = connection.ops.quote_name(ProjectRollup._meta.db_table)
    q = connection.ops.quote_name
    columns = ("key", "plan_id", "city_id", "stage", "industry_id", "count", "investment", "investment_unknown")
    summed = ("count", "investment", "investment_unknown")
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) VALUES {placeholders} "
        f"ON CONFLICT ({q('key')}) DO UPDATE SET "
        + ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in summed)
    )
    params = [value for row in rows for value in (*row[:6], str(row[6]), row[7])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _key_sql(plan: str) -> str:
    # int || text is text on PostgreSQL and SQLite alike.
    return f"coalesce({plan}, 0) || ':' || p.city_id || ':' || p.stage || ':' || coalesce(p.industry_id, 0)"


def rebuild() -> None:
    """Recount every rollup row from the projects and mentions (two statements)."""
    table = ProjectRollup._meta.db_table
    projects, mentions = KeyProject._meta.db_table, ProjectMention._meta.db_table
    measures = "count(*), coalesce(sum(p.total_investment), 0), count(*) - count(p.total_investment)"
    columns = "key, plan_id, city_id, stage, industry_id, count, investment, investment_unknown"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"""INSERT INTO {table} ({columns})
            SELECT {_key_sql("NULL")}, NULL, p.city_id, p.stage, p.industry_id, {measures}
            FROM {projects} p GROUP BY p.city_id, p.stage, p.industry_id
            UNION ALL
            SELECT {_key_sql("n.plan_id")}, n.plan_id, p.city_id, p.stage, p.industry_id, {measures}
            FROM (SELECT id AS project_id, plan_id FROM {projects} WHERE plan_id IS NOT NULL
                  UNION SELECT project_id, plan_id FROM {mentions}) n
            JOIN {projects} p ON p.id = n.project_id
            GROUP BY n.plan_id, p.city_id, p.stage, p.industry_id"""
        )

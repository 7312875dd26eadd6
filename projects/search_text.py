"""KeyProject.search_text: what ``search=`` looks in, kept in one column by the services.

One UPDATE writes it for the projects named (by id, or by an enterprise they are built by), for
every project after bulk loads: the name, the capacity, the county's name, and the names and
short names of the lead enterprise and the co-builders, one per line, in lower case. The same
statement runs on PostgreSQL and SQLite (only the name of the string aggregate differs).

``matching()`` is the search itself: a substring of the column, which PostgreSQL finds through the
trigram index (terms of three characters or more) or the bigram index (two characters, which have
no trigram), both made by the migrations.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.fields.array import ArrayContains
from django.db import connection, connections
from django.db.models import Func, QuerySet, TextField

from regions.models import Region

from .models import Enterprise, EnterpriseAlias, KeyProject, ProjectBuilder


class Bigrams(Func):
    """``projects_bigrams(text)``: the text's distinct two-character substrings (PostgreSQL, migration 0008)."""

    function = "projects_bigrams"
    output_field = ArrayField(TextField())


def matching(queryset: QuerySet, term: str) -> QuerySet:
    """The projects whose search text contains ``term`` (any case).

    On PostgreSQL a two-character term also names its bigram, which the bigram index serves (unless
    it is common, see ``COMMON_SHARE``); the LIKE stays as well, so the rows are exactly those of
    the LIKE alone (a text holds the term if and only if the term is one of its two-character substrings).
    """
    term = term.lower()
    queryset = queryset.filter(search_text__contains=term)
    connection = connections[queryset.db]
    if len(term) == 2 and connection.vendor == "postgresql" and term not in _common_bigrams(connection):
        queryset = queryset.filter(ArrayContains(Bigrams("search_text"), [term]))
    return queryset


#: A bigram in at least this share of the projects (项目: all of them) is searched by the LIKE alone: the
#: index would not narrow the rows down, and a scan that computed every row's bigrams would take seconds.
COMMON_SHARE = 0.05
#: How long the common bigrams, read from the statistics ANALYZE keeps of the index, are reused.
COMMON_SECONDS = 300.0
_common: dict[str, tuple[float, frozenset[str]]] = {}


def _common_bigrams(connection) -> frozenset[str]:
    """The bigrams of at least ``COMMON_SHARE`` of the projects, by the planner's statistics (read at most
    once every ``COMMON_SECONDS`` per database)."""
    key = f"{connection.alias}:{connection.settings_dict['NAME']}"
    read_at, common = _common.get(key, (-COMMON_SECONDS, frozenset()))
    if time.monotonic() - read_at >= COMMON_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT x.bigram FROM pg_stats s,"
                " unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS x(bigram, share)"
                " WHERE s.schemaname = current_schema() AND s.tablename = 'projects_project_search_bigram'"
                " AND x.share >= %s",
                [COMMON_SHARE],
            )
            common = frozenset(row[0] for row in cursor.fetchall())
        _common[key] = (time.monotonic(), common)
    return common


def _sql(where: str) -> str:
    aggregate = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    p, b = KeyProject._meta.db_table, ProjectBuilder._meta.db_table
    e, a, r = Enterprise._meta.db_table, EnterpriseAlias._meta.db_table, Region._meta.db_table
    builders = f"SELECT b.enterprise_id FROM {b} b WHERE b.project_id = {p}.id"
    return f"""
        UPDATE {p} SET search_text = lower(
            {p}.name || %(nl)s || {p}.capacity || %(nl)s
            || coalesce((SELECT r.name FROM {r} r WHERE r.id = {p}.county_id), '') || %(nl)s
            || coalesce((SELECT {aggregate}(n.name, %(nl)s) FROM (
                SELECT e.name FROM {e} e WHERE e.id = {p}.enterprise_id OR e.id IN ({builders})
                UNION ALL
                SELECT a.alias FROM {a} a WHERE a.enterprise_id = {p}.enterprise_id OR a.enterprise_id IN ({builders})
            ) n), ''))
        WHERE {where}"""


def refresh(*, project_ids: Iterable[int] = (), enterprise_id: int | None = None) -> None:
    """Rewrite the search text of these projects and of those ``enterprise_id`` builds (lead or co-builder)."""
    ids = list(project_ids)
    p, b = KeyProject._meta.db_table, ProjectBuilder._meta.db_table
    conditions, params = [], {"nl": "\n"}
    if ids:
        params.update({f"id{index}": pk for index, pk in enumerate(ids)})
        conditions.append(f"{p}.id IN ({', '.join(f'%(id{index})s' for index in range(len(ids)))})")
    if enterprise_id is not None:
        params["enterprise"] = enterprise_id
        conditions.append(
            f"({p}.enterprise_id = %(enterprise)s"
            f" OR {p}.id IN (SELECT project_id FROM {b} WHERE enterprise_id = %(enterprise)s))"
        )
    if conditions:
        with connection.cursor() as cursor:
            cursor.execute(_sql(" OR ".join(conditions)), params)


def rebuild() -> None:
    """Rewrite the search text of every project (after a load that bypassed the services)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("1 = 1"), {"nl": "\n"})

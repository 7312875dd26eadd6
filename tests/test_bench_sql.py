"""The hand-written SQL the benchmark measures sxplan against runs on the current schema.

The bench's limits are plain SQL over the tables; a renamed column breaks them only when
``make bench`` runs (the target-progress limit read ``plans_observation.target_id`` for a
session after observations moved to indicators). Each statement is run here on an empty but
migrated PostgreSQL database, where an unknown column or table fails at once.
"""

import pytest
from django.db import connection

from bench import peers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def run(sql: str, params=None) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.parametrize("name", sorted(peers.DASHBOARD_SQL))
def test_each_dashboard_limit_runs(name):
    assert isinstance(run(peers.DASHBOARD_SQL[name]), list)


@pytest.mark.parametrize("name", sorted(peers.GEO_SQL))
def test_each_map_limit_runs(name):
    assert isinstance(run(peers.GEO_SQL[name]), list)


def test_the_target_progress_limit_runs():
    assert run(peers.TARGETS_WITH_HISTORY_SQL) == [("[]",)]


@pytest.mark.parametrize("order", sorted(set(peers.ORDERINGS.values())))
def test_the_project_list_limit_runs_in_every_order(order):
    params = {"city": "140100", "stages": list(peers.STAGE_LABELS), "industry": None, "limit": 50, "offset": 0}
    assert run(peers.PROJECT_SQL.format(order=order), params) == []

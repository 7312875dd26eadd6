"""Rollups under concurrent writers, on PostgreSQL.

In a module of its own: a transactional test must not run while another module-scoped test world of
the same file holds its transaction open (the threads would not see the rows the test made).
"""

import threading
from decimal import Decimal

import pytest

from projects.models import ProjectRollup
from projects.services import key_project_create, key_project_delete, key_project_update
from regions.models import Region
from tests.concurrency import run_at_once
from tests.projects.test_rollups import grouped_from_projects, stored


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_writers_of_one_city_and_stage_add_up():
    """Twelve threads create and move projects of the same city and stage at once: no delta is lost."""
    province = Region.objects.get_or_create(code="140000", defaults={"name": "山西省", "level": "province"})[0]
    city = Region.objects.create(code="149900", name="并发市", level="city", parent=province)
    writers, each = 12, 5
    barrier = threading.Barrier(writers)

    def write(index: int) -> None:
        barrier.wait()
        for n in range(each):
            project = key_project_create(
                user=None,
                data={
                    "name": f"并发项目{index}-{n}",
                    "city": city,
                    "stage": "started",
                    "total_investment": Decimal("1.50") if n % 2 else None,
                },
            )
            if n == 0:
                key_project_update(instance=project, user=None, data={"total_investment": Decimal("2.00")})
            if n == each - 1:
                key_project_delete(instance=project, user=None)

    assert run_at_once(write, writers, timeout=120) == []
    row = ProjectRollup.objects.get(plan=None, city=city, stage="started", industry=None)
    # Per writer: n=0 (2.00), n=1 (1.50), n=2 (unknown), n=3 (1.50); n=4 deleted.
    assert (row.count, row.investment, row.investment_unknown) == (writers * 4, writers * Decimal("5.00"), writers)
    assert stored() == grouped_from_projects()

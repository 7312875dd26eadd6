"""The dashboards' cached answers under concurrent writers, on PostgreSQL (a module of its own: transactional)."""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Sum

from plans.models import Industry
from projects import dashboard_cache, selectors
from projects.models import DashboardChange, ProjectRollup
from projects.services import key_project_create, key_project_delete
from regions.models import Region
from tests.concurrency import run_at_once
from tests.projects.test_rollups import grouped_from_projects, stored


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_writers_each_read_their_own_writes_from_the_cache():
    """Twelve threads write projects of one city and stage, each of its own industry, and after each
    commit read the cached breakdown by industry: it always counts exactly what that writer committed
    (never an answer cached before its commit), while the others' writes keep changing the generation."""
    province = Region.objects.get_or_create(code="140000", defaults={"name": "山西省", "level": "province"})[0]
    city = Region.objects.create(code="149900", name="并发市", level="city", parent=province)
    writers, each = 12, 6
    industries = [Industry.objects.create(code=f"T{index}", name=f"并发产业{index}") for index in range(writers)]
    reader = get_user_model().objects.create_superuser("cache-reader", password="pw-123456")
    barrier = threading.Barrier(writers)

    def by_industry() -> dict:
        def compute():
            figures = selectors.project_rollup_breakdown(
                queryset=ProjectRollup.objects.filter(plan=None), by="industry"
            )
            return {row["key"]: (row["count"], row["investment"]) for row in figures["results"]}

        return dashboard_cache.cached("test-by-industry", user=reader, parts=(), compute=compute)

    def write(index: int) -> None:
        industry, mine = industries[index], []
        barrier.wait()
        for n in range(each):
            mine.append(
                key_project_create(
                    user=None,
                    data={
                        "name": f"并发项目{index}-{n}",
                        "city": city,
                        "stage": "started",
                        "industry": industry,
                        "total_investment": Decimal("1.25"),
                    },
                )
            )
            if n % 3 == 2:
                key_project_delete(instance=mine.pop(0), user=None)
            expected = (len(mine), Decimal("1.25") * len(mine)) if mine else (0, None)
            assert by_industry().get(str(industry.pk), (0, None)) == expected, (index, n)

    assert run_at_once(write, writers, timeout=180) == []
    assert stored() == grouped_from_projects()
    assert all(by_industry()[str(industry.pk)] == (4, Decimal("5.00")) for industry in industries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_rows_are_folded_without_losing_a_write():
    """One row per statement, folded into one every 256 rows: the total counts every statement."""
    province = Region.objects.get_or_create(code="140000", defaults={"name": "山西省", "level": "province"})[0]
    city = Region.objects.create(code="149800", name="折叠市", level="city", parent=province)
    start = DashboardChange.objects.aggregate(total=Sum("weight"))["total"] or 0
    with connection.cursor() as cursor:
        for _ in range(600):
            cursor.execute("UPDATE regions_region SET name = name WHERE id = %s", [city.pk])
    assert DashboardChange.objects.aggregate(total=Sum("weight"))["total"] == start + 600
    assert DashboardChange.objects.count() < 300

"""The project rollups: kept by the services equal to a GROUP BY over the projects, under concurrent writes too."""

import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connections

from plans.models import Industry, Plan
from projects.models import KeyProject, ProjectMention, ProjectRollup
from projects.services import (
    key_project_create,
    key_project_create_many,
    key_project_delete,
    key_project_mentions_set,
    key_project_update,
    project_mention_create,
    project_rollup_rebuild,
)
from regions.models import Region
from tests import factories
from tests.api.base import all_rows


def grouped_from_projects() -> dict:
    """The rollup rows computed from the projects and mentions themselves (what a GROUP BY gives)."""
    named = defaultdict(set)
    for project, plan in ProjectMention.objects.values_list("project_id", "plan_id"):
        named[project].add(plan)
    rows = defaultdict(lambda: [0, Decimal(0), 0])
    for pk, city, stage, industry, investment, plan in KeyProject.objects.values_list(
        "pk", "city_id", "stage", "industry_id", "total_investment", "plan_id"
    ):
        for each in {None, plan, *named[pk]}:
            row = rows[(each, city, stage, industry)]
            row[0] += 1
            row[1] += investment or Decimal(0)
            row[2] += investment is None
    return {key: tuple(value) for key, value in rows.items()}


def stored() -> dict:
    return {
        (r.plan_id, r.city_id, r.stage, r.industry_id): (r.count, r.investment, r.investment_unknown)
        for r in ProjectRollup.objects.filter(count__gt=0)
    }


@pytest.fixture
def places(data):
    return data.taiyuan, data.datong, Industry.objects.order_by("pk")[:2], Plan.objects.order_by("pk")


def test_every_project_write_keeps_the_rollups_equal_to_the_grouped_projects(data, places):
    taiyuan, datong, (steel, other), plans = places
    plan = plans[0]
    other_plan = factories.make_plan("rollup-other", title="另一规划")
    assert stored() == grouped_from_projects()
    fields = {"name": "汇总测试项目", "city": taiyuan, "stage": "signed", "total_investment": Decimal("12.5")}
    project = key_project_create(user=None, data=fields)
    assert stored() == grouped_from_projects()
    key_project_update(instance=project, user=None, data={"stage": "started", "industry": steel, "plan": plan})
    assert stored() == grouped_from_projects()
    key_project_update(instance=project, user=None, data={"total_investment": None, "city": datong})
    assert stored() == grouped_from_projects()
    key_project_mentions_set(project=project, user=None, plans=[other_plan])
    assert stored() == grouped_from_projects()
    key_project_update(instance=project, user=None, data={"total_investment": Decimal("3.25"), "industry": other})
    assert stored() == grouped_from_projects()
    key_project_mentions_set(project=project, user=None, plans=[])
    assert stored() == grouped_from_projects()
    outcomes = key_project_create_many(
        user=None,
        rows=[
            {"name": f"批量汇总项目{i}", "city": taiyuan, "stage": "planned", "industry": steel, "plan": plan}
            for i in range(3)
        ]
        + [{"name": "", "city": taiyuan}],  # invalid: counted nowhere
    )
    assert sum(isinstance(o, KeyProject) for o in outcomes) == 3
    assert stored() == grouped_from_projects()
    project_mention_create(user=None, data={"project": outcomes[0], "plan": other_plan})
    key_project_delete(instance=outcomes[0], user=None)
    key_project_delete(instance=project, user=None)
    assert stored() == grouped_from_projects()
    maintained = stored()
    project_rollup_rebuild()
    assert stored() == maintained
    other_plan.delete()  # its rows go with it; the rows of all projects stay
    assert stored() == grouped_from_projects()


def test_unknown_investment_is_counted_apart_never_as_zero(data, api):
    client = api(data.admin)
    for row in client.get("/api/v1/dashboard/projects-by-stage/").json()["results"]:
        listed = all_rows(client, "/api/v1/projects/", {"stage": row["key"]})
        unknown = sum(p["total_investment"] is None for p in listed)
        assert row["investment_unknown"] == unknown
        if unknown == len(listed):
            assert row["investment"] is None  # nothing known: not 0


@pytest.mark.parametrize("by", ["stage", "city", "zone", "industry"])
def test_rollups_answer_the_plan_filter_like_the_grouped_projects(data, api, by):
    """``?plan=`` (projects the plan names, first or in a mention) from the rollups = the GROUP BY path."""
    client = api(data.admin)
    for plan in Plan.objects.all():
        fast = client.get(f"/api/v1/dashboard/projects-by-{by}/", {"plan": plan.pk}).json()
        # An extra filter the rollups do not keep (has_enterprise either way): the GROUP BY path.
        grouped = [
            client.get(f"/api/v1/dashboard/projects-by-{by}/", {"plan": plan.pk, "has_enterprise": flag}).json()
            for flag in ("true", "false")
        ]
        assert fast["total"]["count"] == sum(g["total"]["count"] for g in grouped)
        assert fast["total"]["investment_unknown"] == sum(g["total"]["investment_unknown"] for g in grouped)


def test_rollups_refuse_bad_filters_like_the_list(data, api):
    client = api(data.admin)
    for params in ({"plan": "999999"}, {"city": "999999"}, {"stage": "nonsense"}, {"industry": "x"}):
        listed = client.get("/api/v1/projects/", params)
        rolled = client.get("/api/v1/dashboard/projects-by-city/", params)
        assert rolled.status_code == listed.status_code == 400
        assert rolled.json() == listed.json()


def test_the_map_counts_from_the_rollups(data, api):
    client = api(data.ty_staff)
    features = client.get("/api/v1/geo/cities/").json()["features"]
    counts = {f["properties"]["code"]: f["properties"]["project_count"] for f in features}
    listed = all_rows(client, "/api/v1/projects/", {})
    assert counts["140100"] == sum(p["city"] == "140100" for p in listed) > 0
    assert sum(counts.values()) == len(listed)  # 大同's projects are not 太原 staff's to count


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_writers_of_one_city_and_stage_add_up():
    """Twelve threads create and move projects of the same city and stage at once: no delta is lost."""
    province = Region.objects.get_or_create(code="140000", defaults={"name": "山西省", "level": "province"})[0]
    city = Region.objects.create(code="149900", name="并发市", level="city", parent=province)
    writers, each = 12, 5
    barrier = threading.Barrier(writers)
    errors = []

    def write(index: int) -> None:
        try:
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
        except Exception as exc:  # noqa: BLE001 (reported below, with the thread's index)
            errors.append((index, exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    row = ProjectRollup.objects.get(plan=None, city=city, stage="started", industry=None)
    # Per writer: n=0 (2.00), n=1 (1.50), n=2 (unknown), n=3 (1.50); n=4 deleted.
    assert (row.count, row.investment, row.investment_unknown) == (writers * 4, writers * Decimal("5.00"), writers)
    assert stored() == grouped_from_projects()

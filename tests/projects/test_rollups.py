"""The project rollups: kept by the services equal to a GROUP BY over the projects, under concurrent writes too."""

from collections import defaultdict
from decimal import Decimal

import pytest

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


def test_an_api_patch_keeps_the_rollups_from_the_record_it_locked(data, api, places):
    """The PATCH takes the rollups' state before the write from the record it read under the lock (with its
    mentions), not from a second lock and read: the rollups stay equal to the grouped projects."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    taiyuan, datong, (steel, other), plans = places
    project = key_project_create(
        user=None,
        data={"name": "接口汇总项目", "city": taiyuan, "stage": "signed", "total_investment": Decimal("2.5")},
    )
    project_mention_create(user=None, data={"project": project, "plan": plans[0]})
    client, url = api(data.admin), f"/api/v1/projects/{project.pk}/"
    for body in (
        {"stage": "started", "industry": steel.pk},
        {"city": "140200", "total_investment": None},
        {"total_investment": "7.75", "industry": other.pk, "plan": plans[0].pk},
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.patch(url, body, format="json")
        assert response.status_code == 200, response.content
        assert stored() == grouped_from_projects(), body
        states = 'SELECT "projects_keyproject"."id" AS "pk", "projects_keyproject"."city_id" AS "city_id"'
        assert not [q for q in queries.captured_queries if q["sql"].startswith(states)]

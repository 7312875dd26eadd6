"""Dashboard aggregates: they agree with the lists, sum to their totals and respect scope."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.base import all_rows

PROJECT_BREAKDOWNS = ["stage", "city", "zone", "industry"]
PARTITIONS = ["stage", "city", "industry"]  # a project is in exactly one row of these
PROJECT_FILTERS = [{}, {"city": "140100"}, {"industry": "3"}, {"stage": ["started", "signed"], "investment_min": "10"}]


def project_totals(rows) -> dict:
    return {
        "count": len(rows),
        "investment": sum(Decimal(row["total_investment"] or 0) for row in rows),
        "investment_unknown": sum(row["total_investment"] is None for row in rows),
    }


def known(value) -> Decimal:
    return Decimal(value) if value is not None else Decimal(0)


@pytest.fixture
def industry_params(data):
    """PROJECT_FILTERS with the industry named by its id."""
    return [{**params, "industry": data.materials.pk} if "industry" in params else params for params in PROJECT_FILTERS]


@pytest.mark.parametrize("by", PROJECT_BREAKDOWNS)
@pytest.mark.parametrize("role", ["admin", "ty_staff", "ty_viewer"])
def test_project_totals_agree_with_the_list(data, api, industry_params, by, role):
    client = api(getattr(data, role))
    for params in industry_params:
        body = client.get(f"/api/v1/dashboard/projects-by-{by}/", params).json()
        expected = project_totals(all_rows(client, "/api/v1/projects/", params))
        assert body["total"]["count"] == expected["count"]
        assert known(body["total"]["investment"]) == expected["investment"]
        assert body["total"]["investment_unknown"] == expected["investment_unknown"]
        if by in PARTITIONS:
            assert sum(row["count"] for row in body["results"]) == expected["count"]
            assert sum(known(row["investment"]) for row in body["results"]) == expected["investment"]
            assert sum(row["investment_unknown"] for row in body["results"]) == expected["investment_unknown"]


@pytest.mark.parametrize("by", PARTITIONS)
def test_each_row_agrees_with_the_list_filtered_to_it(data, api, by):
    client = api(data.admin)
    param = {"stage": "stage", "city": "city", "industry": "industry"}[by]
    for row in client.get(f"/api/v1/dashboard/projects-by-{by}/").json()["results"]:
        if row["key"] is None:
            continue
        listed = all_rows(client, "/api/v1/projects/", {param: row["key"]})
        if by == "industry":  # the list's industry filter includes descendants
            listed = [p for p in listed if str(p["industry"]) == row["key"]]
        assert project_totals(listed) == {
            "count": row["count"],
            "investment": known(row["investment"]),
            "investment_unknown": row["investment_unknown"],
        }
        assert (row["investment"] is None) == (row["count"] == row["investment_unknown"])


def test_projects_by_zone_counts_each_zone_of_the_projects_city(data, api):
    body = api(data.admin).get("/api/v1/dashboard/projects-by-zone/").json()
    counts = {row["label"]: row["count"] for row in body["results"]}
    assert counts == {"太忻一体化核": 4, "大西发展带": 5}  # Taiyuan is in both
    assert body["total"]["count"] == 6


def test_city_staff_see_only_their_city_in_aggregates(data, api):
    client = api(data.ty_staff)
    rows = client.get("/api/v1/dashboard/projects-by-city/").json()["results"]
    assert [row["key"] for row in rows] == ["140100"]
    assert client.get("/api/v1/dashboard/projects-by-city/", {"city": "140200"}).json()["total"]["count"] == 0
    bases = client.get("/api/v1/dashboard/bases-by-zone-industry/").json()
    assert bases["total"] == 2  # the Taiyuan–Jinzhong base and the province-wide one


def test_targets_by_status_per_plan(data, api):
    """Today every target of the world (due 2025) is past its year; as of 2024-06-30 it is the mid-term picture."""
    client = api(data.admin)
    body = client.get("/api/v1/dashboard/targets-by-status/").json()
    (plan,) = body["results"]
    assert plan["plan"] == data.plan.pk and plan["total"] == 10
    assert {k: v for k, v in plan.items() if k not in ("plan", "plan_title", "total") and v} == {
        "achieved": 3,
        "overdue_no_data": 7,
    }
    assert body["total"] == {k: v for k, v in plan.items() if k not in ("plan", "plan_title")}
    for status in ("achieved", "overdue_no_data"):
        assert len(all_rows(client, "/api/v1/targets/", {"status": status})) == plan[status]
    mid_term = client.get("/api/v1/dashboard/targets-by-status/", {"as_of": "2024-06-30"}).json()
    (plan,) = mid_term["results"]
    assert mid_term["as_of"] == "2024-06-30"
    assert {k: v for k, v in plan.items() if k not in ("plan", "plan_title", "total") and v} == {
        "ahead": 3,
        "faster": 1,
        "behind": 1,
        "far_behind": 1,
        "no_data": 4,
    }
    for status in ("ahead", "faster", "behind", "far_behind", "no_data"):
        rows = all_rows(client, "/api/v1/targets/", {"status": status, "as_of": "2024-06-30"})
        assert len(rows) == plan[status]


def test_targets_by_status_respects_scope_and_filters(data, api):
    body = api(data.dt_staff).get("/api/v1/dashboard/targets-by-status/", {"city": "140100"}).json()
    # Taiyuan's own target shows no data: its value is not Datong's to see; its allocation has none.
    total = body["total"]
    assert (total["total"], total["no_data"], total["overdue_no_data"]) == (2, 1, 1)


def test_bases_by_zone_and_industry(data, api):
    client = api(data.admin)
    body = client.get("/api/v1/dashboard/bases-by-zone-industry/").json()
    assert body["total"] == len(all_rows(client, "/api/v1/bases/"))
    rows = {(row["zone_name"], row["industry_name"]): row["count"] for row in body["results"]}
    assert rows == {
        ("太忻一体化核", "特种钢"): 1,
        ("大西发展带", "特种钢"): 1,
        ("大西发展带", "先进钢铁材料"): 1,
        ("不属于任何分区", "高端装备制造产业"): 1,
    }
    zone_rows = client.get("/api/v1/dashboard/bases-by-zone-industry/", {"zone": data.core.pk}).json()
    assert zone_rows["total"] == 1


DASHBOARDS = [
    "projects-by-stage",
    "projects-by-city",
    "projects-by-zone",
    "projects-by-industry",
    "targets-by-status",
    "bases-by-zone-industry",
]


@pytest.mark.parametrize("name", DASHBOARDS)
def test_dashboards_refuse_bad_filters_and_anonymous_users(data, api, name):
    url = f"/api/v1/dashboard/{name}/"
    assert api(None).get(url).status_code in (401, 403)
    assert api(data.admin).get(url, {"city": "abc"}).status_code == 400
    assert api(data.admin).get(url, {"no_such_filter": "1"}).status_code == 400


@pytest.mark.parametrize("name", DASHBOARDS)
def test_dashboards_run_a_fixed_number_of_queries(data, api, name):
    client = api(data.ty_staff)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/v1/dashboard/{name}/").status_code == 200
    grouped = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert len(queries) <= 4 and len(grouped) >= 1

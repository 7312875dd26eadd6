"""The dashboard's dispatch figures follow the selected plan: "三个一批" batches, the map's tooltip
(each city's largest projects, open warnings, unknown investment counted apart) and investment by month;
a project page's year figures."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from projects.choices import ProjectStageChoices
from regions.models import Region
from tests import factories
from tests.shared import built_once

from .conftest import build_pages_data

pytestmark = pytest.mark.django_db

TY_TOP = "太重轨道交通装备扩能项目"  # 35.5 亿元, 太原, plan14


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def build():
        data = build_pages_data()
        ty = data.cities["140100"]
        year = timezone.localdate().year
        data.older = factories.make_project(
            "太原十三五煤层气项目",
            ty,
            plan=data.plan13,
            stage=ProjectStageChoices.STARTED,
            total_investment=Decimal(100),
        )
        data.unknown = factories.make_project(
            "太原投资待定项目", ty, plan=data.plan14, stage=ProjectStageChoices.SIGNED
        )
        top, wind = data.projects[TY_TOP], data.projects["大同风电装备基地项目"]
        factories.make_batch(
            "2025年第一批",
            datetime.date(2025, 3, 1),
            entries=[(top, "sign"), (data.older, "start"), (wind, "production")],
        )
        factories.make_batch("2025年第二批", datetime.date(2025, 6, 1), entries=[(data.older, "production")])
        factories.make_warning(top, rule="no_report", level="red", opened_on=timezone.localdate())
        factories.make_warning(wind, rule="stage_late", level="yellow", opened_on=timezone.localdate())
        factories.make_year_plan(top, year=year, planned_investment="24")
        factories.make_year_plan(wind, year=year - 1, planned_investment="10")
        factories.make_report(top, year=year, month=1, investment_completed=Decimal("1.5"))
        factories.make_report(top, year=year, month=2, investment_completed=None)
        factories.make_report(data.unknown, year=year, month=2, investment_completed=Decimal("0.5"))
        factories.make_report(data.older, year=year, month=1, investment_completed=Decimal("7"))
        return data

    yield from built_once(django_db_blocker=django_db_blocker, build=build)


def dashboard(client, world, plan, role="province"):
    client.force_login(world.users[role])
    response = client.get("/", {"plan": plan.pk, "all": "1"})
    assert response.status_code == 200
    return response


def cities(response) -> dict:
    return {f["properties"]["code"]: f["properties"] for f in response.context["page_data"]["cities"]["features"]}


def test_batches_count_only_the_selected_plans_projects(client, world):
    batches = dashboard(client, world, world.plan14).context["batches"]
    assert [item["batch"].name for item in batches] == ["2025年第一批"]  # the second has no project of plan14
    rows = {city["code"]: city for city in batches[0]["cities"]}
    assert rows["140100"]["sign"]["count"] == 1 and "start" not in rows["140100"]
    assert rows["140200"]["production"] == {"count": 1, "investment": Decimal("20.00"), "unknown": 0}
    older = dashboard(client, world, world.plan13).context["batches"]
    assert [item["batch"].name for item in older] == ["2025年第二批", "2025年第一批"]
    assert {kind: t["count"] for kind, t in older[1]["totals"].items()} == {"start": 1}


def test_the_map_tooltip_lists_each_citys_largest_projects_and_warnings(client, world):
    response = dashboard(client, world, world.plan14)
    taiyuan = cities(response)["140100"]
    assert [p["name"] for p in taiyuan["projects"]] == [TY_TOP, "太原碳纤维新材料项目", "太原智能制造产业园项目"]
    top = taiyuan["projects"][0]
    assert (top["url"], top["investment"], top["stage"], top["warnings"], top["red"]) == (
        f"/projects/{world.projects[TY_TOP].pk}/", 35.5, "开工", 1, 1
    )  # fmt: skip
    assert taiyuan["project_count"] == 4 and taiyuan["project_investment_unknown"] == 1
    assert taiyuan["project_investment"] == 55.75  # the known amounts; the unknown one counted apart
    assert taiyuan["warnings"] == {"red": 1, "yellow": 0}
    assert cities(response)["140200"]["warnings"] == {"red": 0, "yellow": 1}
    # Another plan: its own projects only.
    older = cities(dashboard(client, world, world.plan13))
    assert [p["name"] for p in older["140100"]["projects"]] == ["太原十三五煤层气项目"]
    assert older["140200"]["projects"] == [] and older["140200"]["project_investment"] == 0


def test_a_city_user_sees_only_own_projects_in_the_tooltip(client, world):
    response = dashboard(client, world, world.plan14, role="taiyuan")
    assert cities(response)["140200"]["projects"] == []


def test_investment_by_month_follows_the_plan_and_counts_unknown_amounts_apart(client, world):
    data = dashboard(client, world, world.plan14).context["page_data"]["investmentByMonth"]
    months = data["months"]
    assert data["year"] == timezone.localdate().year and len(months) == 12
    assert (months[0]["completed"], months[0]["reports"], months[0]["unknown"]) == (1.5, 1, 0)
    assert (months[1]["completed"], months[1]["reports"], months[1]["unknown"]) == (0.5, 2, 1)
    assert months[1]["completed_cumulative"] == 2.0 and months[2]["completed_cumulative"] is None
    assert months[11]["planned_cumulative"] == 24.0 and months[5]["planned_cumulative"] == 12.0
    older = dashboard(client, world, world.plan13).context["page_data"]["investmentByMonth"]["months"]
    assert older[0]["completed"] == 7.0 and older[11]["planned_cumulative"] is None


def test_the_investment_year_is_the_year_of_the_evaluation_date(client, world):
    client.force_login(world.users["province"])
    last_year = timezone.localdate().year - 1
    response = client.get("/", {"plan": world.plan14.pk, "as_of": f"{last_year}-06-30"})
    assert response.context["figures"]["year"] == last_year
    months = response.context["page_data"]["investmentByMonth"]
    assert months["year"] == last_year and all(m["reports"] == 0 for m in months["months"])


def test_a_project_page_shows_the_latest_year_with_investment_data(client, world):
    client.force_login(world.users["province"])
    year = timezone.localdate().year
    wind = client.get(f"/projects/{world.projects['大同风电装备基地项目'].pk}/")
    assert (wind.context["year"], wind.context["progress"]["year_planned"]) == (year - 1, Decimal("10.00"))
    assert f"下列年度数字为最近有数据的 {year - 1} 年" in wind.content.decode()
    top = client.get(f"/projects/{world.projects[TY_TOP].pk}/")
    assert top.context["year"] == year and 'data-testid="figures-year"' not in top.content.decode()
    nothing = client.get(f"/projects/{world.projects['大同光伏组件项目'].pk}/")
    assert nothing.context["year"] == year and nothing.context["progress"]["year_planned"] is None


def test_the_pipeline_counts_unknown_investment_per_stage(client, world):
    response = dashboard(client, world, world.plan14)
    signed = next(s for s in response.context["stages"] if s["stage"] == "signed")
    assert (signed["count"], signed["investment"], signed["unknown"]) == (2, 12.0, 1)
    assert "<td>投资未知</td>" in response.content.decode()


def test_the_dashboard_reads_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    """The figures come from the kept rollups and per-project figures: more projects, reports and
    warnings add no query."""
    client.force_login(world.users["province"])
    client.get("/", {"plan": world.plan14.pk, "all": "1"})  # warm the caches (boundaries, plans)
    Region.objects.filter(code="140100").update(name=F("name"))  # a write: the dashboard cache is cold again
    with django_assert_max_num_queries(26) as captured:
        assert client.get("/", {"plan": world.plan14.pk, "all": "1"}).status_code == 200
    before = len(captured)
    # Until the next write, the figures over every project of the plan come from the dashboard cache.
    with django_assert_max_num_queries(before - 5):
        assert client.get("/", {"plan": world.plan14.pk, "all": "1"}).status_code == 200
    ty = world.cities["140100"]
    for i in range(3):
        extra = factories.make_project(f"加测项目{i}", ty, plan=world.plan14, total_investment=Decimal(i + 1))
        factories.make_report(extra, year=timezone.localdate().year, month=1, investment_completed=Decimal("1"))
        factories.make_warning(extra, rule="no_report", level="red")
    with django_assert_max_num_queries(before):
        assert client.get("/", {"plan": world.plan14.pk, "all": "1"}).status_code == 200


def test_the_dashboard_figures_follow_every_write(client, world):
    """The cached figures are recomputed after a write: a new project, its report and its warning show
    at once in the city's investment, the month, the tooltip and the warnings; a rename too."""
    year = timezone.localdate().year
    before = dashboard(client, world, world.plan14)
    ty = world.cities["140100"]
    extra = factories.make_project("缓存后新增项目", ty, plan=world.plan14, total_investment=Decimal(500))
    after = dashboard(client, world, world.plan14)
    assert cities(after)["140100"]["projects"][0]["name"] == "缓存后新增项目"
    assert after.context["figures"]["investment"] == before.context["figures"]["investment"] + 500
    assert cities(after)["140100"]["project_investment"] == cities(before)["140100"]["project_investment"] + 500
    factories.make_report(extra, year=year, month=3, investment_completed=Decimal("4.5"))
    months = dashboard(client, world, world.plan14).context["page_data"]["investmentByMonth"]["months"]
    assert (
        months[2]["completed"]
        == (before.context["page_data"]["investmentByMonth"]["months"][2]["completed"] or 0) + 4.5
    )
    factories.make_warning(extra, rule="no_report", level="red")
    extra.name = "缓存后改名项目"
    extra.save(update_fields=["name"])
    taiyuan = cities(dashboard(client, world, world.plan14))["140100"]
    assert taiyuan["warnings"]["red"] == cities(before)["140100"]["warnings"]["red"] + 1
    assert taiyuan["projects"][0]["name"] == "缓存后改名项目"

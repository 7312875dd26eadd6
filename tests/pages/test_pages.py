"""Server-side tests of the web pages: each page, each role, the right rows and no other city's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pages import views as page_views
from regions.models import Region
from regions.services import region_update
from tests import factories

TY_PROJECTS = ["太重轨道交通装备扩能项目", "太原碳纤维新材料项目", "太原智能制造产业园项目"]
DT_PROJECTS = ["大同风电装备基地项目", "大同光伏组件项目"]
ALL_ROLES = ["province", "taiyuan", "datong", "viewer"]

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def text(response) -> str:
    return response.content.decode()


def feature(response, code) -> dict:
    features = response.context["page_data"]["cities"]["features"]
    return next(f["properties"] for f in features if f["properties"]["code"] == code)


class TestSignIn:
    def test_login_page_renders_in_chinese(self, client, pages_data):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert "用户名" in text(response) and "密码" in text(response)

    def test_sign_in_lands_city_staff_on_their_city(self, client, pages_data):
        response = client.post(reverse("login"), {"username": "taiyuan", "password": "pw-taiyuan"}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("city", args=["140100"])

    def test_sign_out(self, client, pages_data):
        client.force_login(pages_data.users["province"])
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert client.get(reverse("dashboard")).status_code == 302

    @pytest.mark.parametrize("url", ["/", "/cities/140100/", "/plans/1/"])
    def test_pages_need_sign_in(self, client, pages_data, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_user_without_role_is_refused(self, client, pages_data):
        response = get(client, pages_data.users["nobody"], reverse("dashboard"))
        assert response.status_code == 403
        assert "尚未分配角色" in text(response)


class TestDashboard:
    @pytest.mark.parametrize("role", ["province", "viewer"])
    def test_province_wide_roles_see_every_city(self, client, pages_data, role):
        response = get(client, pages_data.users[role], "/")
        assert response.status_code == 200
        figures = response.context["figures"]
        assert figures["projects"] == 5
        assert figures["investment"] == pytest.approx(81.75)
        # The 14th plan's period (2021–2025) has ended: it is 已到期 today, 实施中 as of 2023.
        assert figures["plans_in_force"] == 0
        assert response.context["plan_status"] == "expired"
        assert get(client, pages_data.users[role], "/", as_of="2023-06-30").context["figures"]["plans_in_force"] == 1
        assert figures["bases"] == 2
        assert figures["targets"] == 4
        # Every city is listed, those without a project at zero.
        by_city = {row["code"]: row["count"] for row in response.context["page_data"]["investmentByCity"]}
        assert by_city == {code: {"140100": 3, "140200": 2}.get(code, 0) for code in pages_data.cities}
        assert len(response.context["rankings"]) == len(response.context["warnings"]["rows"]) == 11
        assert response.context["nav"]["scope"]["label"] == "全省"
        stages = {row["stage"]: row["count"] for row in response.context["stages"]}
        assert stages == {"planned": 1, "signed": 1, "started": 2, "in_production": 1, "at_capacity": 0, "cancelled": 0}

    def test_map_has_eleven_cities_with_their_zones(self, client, pages_data):
        response = get(client, pages_data.users["province"], "/")
        features = response.context["page_data"]["cities"]["features"]
        assert len(features) == 11
        assert all(f["geometry"] is None for f in features)  # the outlines come from their own file
        outlines = client.get(response.context["page_data"]["boundaries"])
        assert {f["id"]: f["geometry"]["type"] for f in outlines.json()["features"]} == {
            f["id"]: "Polygon" for f in features
        }
        taiyuan = feature(response, "140100")
        assert {z["name"] for z in taiyuan["zones"]} == {"太原都市区", "大西发展带", "太焦发展带"}
        assert taiyuan["url"] == "/cities/140100/"
        assert feature(response, "140300")["zones"] == []
        inferred = [z for z in feature(response, "140800")["zones"] if z["inferred"]]
        assert [z["name"] for z in inferred] == ["大西发展带"]
        zones = {z["name"]: z for z in response.context["page_data"]["zones"]}
        assert len(zones) == 7
        assert zones["太原都市区"]["investment"] == pytest.approx(55.75)
        assert zones["晋北板块"]["count"] == 2

    def test_outlines_are_a_cacheable_file_named_by_their_digest(self, client, pages_data):
        response = get(client, pages_data.users["province"], "/")
        url = response.context["page_data"]["boundaries"]
        assert len(response.content) < 60_000  # the page no longer carries the outlines
        client.logout()  # province-wide geography, public like the static files
        outlines = client.get(url)
        assert outlines.status_code == 200 and outlines["Content-Type"] == "application/geo+json"
        assert outlines["Cache-Control"] == "public, max-age=31536000, immutable"
        assert client.get(url, HTTP_IF_NONE_MATCH=outlines["ETag"]).status_code == 304
        stale = client.get(reverse("city-boundaries", args=["0123456789abcdef0123"]))
        assert stale.status_code == 302 and stale["Location"] == url
        taiyuan = Region.objects.get(code="140100")
        region_update(instance=taiyuan, user=None, data={"boundary": {"type": "Polygon", "coordinates": []}})
        moved = get(client, pages_data.users["province"], "/").context["page_data"]["boundaries"]
        assert moved != url and client.get(url)["Location"] == moved

    def test_city_staff_land_on_their_city(self, client, pages_data):
        response = get(client, pages_data.users["taiyuan"], "/")
        assert response.status_code == 302
        assert response["Location"] == "/cities/140100/"

    @pytest.mark.parametrize(
        "role, own, other, count", [("taiyuan", "140100", "140200", 3), ("datong", "140200", "140100", 2)]
    )
    def test_city_staff_see_only_their_city_in_the_province_view(self, client, pages_data, role, own, other, count):
        response = get(client, pages_data.users[role], "/", all="1")
        assert response.status_code == 200
        assert response.context["figures"]["projects"] == count
        assert [row["code"] for row in response.context["page_data"]["investmentByCity"]] == [own]
        # The figures say whose they are: not 全省 but the cities this user may see.
        name = pages_data.cities[own].name
        assert response.context["nav"]["scope"]["label"] == f"您可查看的城市（{name}）"
        assert f"<strong>您可查看的城市（{name}）</strong>" in text(response)
        assert "全省战略性新兴产业总览" not in text(response)
        assert feature(response, other)["project_count"] == 0
        assert feature(response, other)["enterprise_count"] == 0
        assert feature(response, own)["project_count"] == count
        assert response.context["figures"]["bases"] == 1
        body = text(response)
        for name in TY_PROJECTS + DT_PROJECTS:
            assert name not in body

    def test_target_progress_of_the_plan_in_force(self, client, pages_data):
        response = get(client, pages_data.users["province"], "/")
        assert response.context["plan"] == pages_data.plan14
        rows = {row["target"].key: row for row in response.context["targets"]}
        assert rows["sei-share"]["target"].latest_value == pytest.approx(11.5)
        assert rows["sei-share"]["percent"] == pytest.approx(250 / 6)
        # Today every 2025 target of the world is past its year without a 2025 value (plans.progress).
        assert rows["dt-wind-capacity"]["status"] == "overdue_no_data"
        statuses = {s["status"]: s["count"] for s in response.context["figures"]["target_statuses"]}
        assert statuses == {"overdue_no_data": 4}

    def test_city_staff_get_no_progress_from_another_citys_observations(self, client, pages_data):
        response = get(client, pages_data.users["taiyuan"], "/", all="1")
        rows = {row["target"].key: row for row in response.context["targets"]}
        assert rows["dt-wind-capacity"]["status"] == "no_data"
        assert rows["ty-equipment-revenue"]["target"].latest_value == pytest.approx(705)

    def test_switch_between_plans(self, client, pages_data):
        response = get(client, pages_data.users["province"], "/", plan=str(pages_data.plan13.pk))
        assert response.context["plan"] == pages_data.plan13
        assert response.context["targets"] == []
        # The 13th plan has no layout of its own: the map keeps the plan in force's.
        assert response.context["scheme"].plan == pages_data.plan14
        assert 'name="plan"' in text(response)

    def test_admin_link_only_for_editors(self, client, pages_data):
        assert reverse("admin:index") in text(get(client, pages_data.users["province"], "/"))
        assert reverse("admin:index") not in text(get(client, pages_data.users["viewer"], "/"))


class TestCityPage:
    @pytest.mark.parametrize("role", ["province", "taiyuan", "viewer"])
    def test_roles_that_see_taiyuan(self, client, pages_data, role):
        response = get(client, pages_data.users[role], "/cities/140100/")
        assert response.status_code == 200
        body = text(response)
        for name in TY_PROJECTS:
            assert name in body
        for name in DT_PROJECTS + ["大同新能源装备有限公司", "大同经济技术开发区", "大同新能源基地"]:
            assert name not in body
        for name in ["太原都市区", "大西发展带", "太焦发展带", "太原突出培育高端装备制造和特色新材料"]:
            assert name in body
        for name in ["太原重型机械集团有限公司", "太原高新技术产业开发区", "太原—晋中高端装备制造基地"]:
            assert name in body
        assert "太原高端装备制造业营业收入" in body
        assert [o.value for o in response.context["observations"]] == [705, 610]  # newest first
        assert "observations-more" not in body
        assert "scope-notice" not in body

    def test_city_staff_on_another_city_see_only_public_plan_data(self, client, pages_data):
        response = get(client, pages_data.users["taiyuan"], "/cities/140200/")
        assert response.status_code == 200
        body = text(response)
        assert "scope-notice" in body
        assert "晋北板块" in body and "大同重点发展新能源" in body
        for name in TY_PROJECTS + DT_PROJECTS + ["大同新能源装备有限公司", "大同经济技术开发区", "大同新能源基地"]:
            assert name not in body
        assert list(response.context["observations"]) == []
        assert [row["chart"]["observations"] for row in response.context["targets"]["charted"]] == [[]]

    def test_datong_staff_see_datong(self, client, pages_data):
        body = text(get(client, pages_data.users["datong"], "/cities/140200/"))
        for name in DT_PROJECTS + ["大同新能源装备有限公司", "大同经济技术开发区", "大同新能源基地"]:
            assert name in body
        for name in TY_PROJECTS:
            assert name not in body

    def test_filter_narrows_the_table(self, client, pages_data):
        response = get(client, pages_data.users["province"], "/cities/140100/", stage="started")
        assert [p.name for p in response.context["project_page"]] == ["太重轨道交通装备扩能项目"]

    def test_search_and_industry_filters_are_the_apis(self, client, pages_data):
        rail = pages_data.projects["太重轨道交通装备扩能项目"].industry
        equipment = rail.parent
        response = get(client, pages_data.users["province"], "/cities/140100/", industry=str(equipment.pk))
        assert {p.name for p in response.context["project_page"]} == {
            "太重轨道交通装备扩能项目",
            "太原智能制造产业园项目",
        }
        response = get(client, pages_data.users["province"], "/cities/140100/", search="碳纤维")
        assert [p.name for p in response.context["project_page"]] == ["太原碳纤维新材料项目"]

    def test_a_city_filter_cannot_reach_another_city(self, client, pages_data):
        response = get(client, pages_data.users["province"], "/cities/140100/", city="140200")
        assert {p.name for p in response.context["project_page"]} == set(TY_PROJECTS)

    def test_sortable_table(self, client, pages_data):
        response = get(client, pages_data.users["province"], "/cities/140100/", ordering="total_investment")
        assert [p.name for p in response.context["project_page"]] == [
            "太原智能制造产业园项目",
            "太原碳纤维新材料项目",
            "太重轨道交通装备扩能项目",
        ]
        response = get(client, pages_data.users["province"], "/cities/140100/", ordering="-total_investment")
        assert response.context["project_page"][0].name == "太重轨道交通装备扩能项目"

    def test_invalid_filter_shows_an_error_not_everything(self, client, pages_data):
        response = get(client, pages_data.users["province"], "/cities/140100/", stage="nonsense")
        assert response.status_code == 200
        assert list(response.context["project_page"]) == []

    def test_edit_links_for_those_who_may_edit(self, client, pages_data):
        project = pages_data.projects["太重轨道交通装备扩能项目"]
        link = reverse("admin:projects_keyproject_change", args=[project.pk])
        assert link in text(get(client, pages_data.users["taiyuan"], "/cities/140100/"))
        assert link not in text(get(client, pages_data.users["viewer"], "/cities/140100/"))

    def test_the_observation_table_shows_the_latest_and_links_to_the_rest(self, client, pages_data, monkeypatch):
        monkeypatch.setattr(page_views, "CITY_OBSERVATIONS_SHOWN", 1)
        response = get(client, pages_data.users["taiyuan"], "/cities/140100/")
        assert [(o.year, o.value) for o in response.context["observations"]] == [(2022, 705)]
        more = response.content.decode()
        assert 'data-testid="observations-more"' in more and "共 2 条" in more
        assert "/api/v1/observations/?city=140100&amp;format=xlsx" in more
        export = client.get("/api/v1/observations/", {"city": "140100", "format": "xlsx"})  # the signed-in session
        assert export.status_code == 200 and export.content.startswith(b"PK")

    def test_unknown_city(self, client, pages_data):
        assert get(client, pages_data.users["province"], "/cities/999999/").status_code == 404


class TestPlanPage:
    @pytest.mark.parametrize("role", ALL_ROLES)
    def test_renders_for_every_role(self, client, pages_data, role):
        response = get(client, pages_data.users[role], f"/plans/{pages_data.plan14.pk}/")
        assert response.status_code == 200
        body = text(response)
        for heading in ["发展基础", "发展现状", "重点领域", "高端装备制造业", "先进轨道交通装备", "轨道交通装备产业"]:
            assert heading in body
        assert len(response.context["targets"]["charted"]) == 3
        assert [row["target"].key for row in response.context["targets"]["other"]] == ["innovation-centres"]
        assert "新建国家级技术创新中心数量" in body
        charts = {chart["name"]: chart for chart in response.context["page_data"]["targets"]}
        assert charts["战略性新兴产业增加值占地区生产总值比重"]["observations"] == [[2021, 10.2], [2022, 11.5]]
        assert charts["战略性新兴产业增加值占地区生产总值比重"]["baseline"] == [2020, 9.0]

    @pytest.mark.parametrize(
        "role, seen, unseen",
        [("taiyuan", [610, 705], [777]), ("datong", [777], [610, 705]), ("viewer", [705, 777], [])],
    )
    def test_observations_respect_the_city_scope(self, client, pages_data, role, seen, unseen):
        response = get(client, pages_data.users[role], f"/plans/{pages_data.plan14.pk}/")
        values = {value for chart in response.context["page_data"]["targets"] for _, value in chart["observations"]}
        assert set(seen) <= values
        assert not set(unseen) & values

    def test_compares_the_13th_and_14th_plans_by_industry(self, client, pages_data):
        response = get(client, pages_data.users["province"], f"/plans/{pages_data.plan14.pk}/")
        assert response.context["other"] == pages_data.plan13
        rows = {row["industry"]: row["areas"] for row in response.context["comparison"]}
        assert rows["高端装备制造产业"] == [["高端装备制造业", "先进轨道交通装备"], ["高端装备制造"]]
        assert rows["煤层气产业"] == [[], ["煤层气"]]
        assert rows["新一代信息技术产业"] == [["新一代信息技术"], []]

    def test_compare_with_a_chosen_plan(self, client, pages_data):
        response = get(client, pages_data.users["province"], f"/plans/{pages_data.plan13.pk}/")
        assert response.context["other"] == pages_data.plan14
        assert response.context["page_data"]["comparison"]["plans"] == ["十三五战新规划", "十四五战新规划"]

    def test_unknown_plan(self, client, pages_data):
        assert get(client, pages_data.users["province"], "/plans/999999/").status_code == 404


def add_more_data(data):
    """Ten more of everything in 太原, so that a query per row would show in the counts."""
    taiyuan = data.cities["140100"]
    base = data.projects["太重轨道交通装备扩能项目"]
    for n in range(10):
        enterprise = factories.make_enterprise(f"太原测试企业{n}", taiyuan)
        enterprise.industries.set([base.industry])
        park = factories.make_park(f"太原测试园区{n}", taiyuan)
        park.industries.set([base.industry])
        factories.make_project(
            f"太原测试项目{n}",
            taiyuan,
            plan=data.plan14,
            enterprise=enterprise,
            park=park,
            industry=base.industry,
            total_investment=n,
        )
        factories.make_base(data.plan14, f"test-{n}", [taiyuan], name=f"太原测试基地{n}").anchors.set([enterprise])
        target = factories.make_target(data.plan14, taiyuan, key=f"test-{n}", baseline_value=1, baseline_year=2020)
        factories.make_observation(taiyuan, year=2022, value="2", target=target, indicator=f"测试指标{n}")


@pytest.mark.parametrize(
    "role, url, most",
    [
        # +6 since issue 15: the plan filter, investment sums, warnings by city, rankings, batches and entries;
        # +2: the map tooltip's largest projects per city and the investment by month
        # +2 for the first-run tour's counts of indicators and projects (until its reader closes it)
        ("province", "/", 26),
        ("viewer", "/", 27),
        # + the inbox badge, the provincial targets for reference (no allocation), the open warnings and their count
        ("taiyuan", "/cities/140100/", 34),
        ("province", "/plans/{plan}/", 16),  # 12 + the inbox badge + programs, their industries, measures
    ],
)
def test_a_page_takes_a_few_queries_whatever_the_data(client, pages_data, role, url, most):
    client.force_login(pages_data.users[role])
    url = url.format(plan=pages_data.plan14.pk)

    def count():
        client.get(url)  # the steady state: the per-process cache of the cities' outlines filled
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    add_more_data(pages_data)
    assert count() == before <= most


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_dashboard_and_the_api_give_the_same_numbers(client, pages_data, role):
    """One source for every number: the page's figures are the API's dashboard aggregates."""
    client.force_login(pages_data.users[role])
    page = client.get("/", {"all": "1"}).context

    def api(name, **params):
        response = client.get(reverse(f"dashboard-{name}-list"), params)
        assert response.status_code == 200
        return response.json()

    by_stage = {row["key"]: row["count"] for row in api("projects-by-stage")["results"]}
    assert {s["stage"]: s["count"] for s in page["stages"] if s["count"]} == by_stage
    by_city = {row["key"]: (row["count"], float(row["investment"])) for row in api("projects-by-city")["results"]}
    assert {
        c["code"]: (c["count"], c["investment"]) for c in page["page_data"]["investmentByCity"] if c["count"]
    } == by_city
    by_zone = {int(row["key"]): row["count"] for row in api("projects-by-zone")["results"] if row["key"]}
    assert {z["id"]: z["count"] for z in page["page_data"]["zones"] if z["count"]} == by_zone
    statuses = api("targets-by-status", plan=pages_data.plan14.pk)["total"]
    assert {s["status"]: s["count"] for s in page["figures"]["target_statuses"]} == {
        status: count for status, count in statuses.items() if status != "total" and count
    }

"""Progress on the pages: ``as_of``, the city's allocated targets with their lights, the indicator pages.

The data of tests/pages/conftest.py plus one additive indicator (高新技术企业数量) with a provincial
2025 target allocated to 太原 and 大同, whose statuses differ today (December 2026: past the target
year) and as of 2023-12-31 (mid-term).
"""

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plans.choices import (
    PROGRESS_LIGHTS,
    CityAggregationChoices,
    IndicatorCategoryChoices,
    ProgressLightChoices,
    ProgressStatusChoices,
)
from regions.models import Region
from tests import factories
from tests.shared import built_once, fresh_copy

from .conftest import add_progress_data, build_pages_data

pytestmark = pytest.mark.django_db

MID_TERM = "2023-12-31"


def build():
    return add_progress_data(build_pages_data())


@pytest.fixture(scope="module")
def shared_data(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build)


@pytest.fixture
def data(shared_data, db):
    return fresh_copy(shared_data)


def get(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response


def body(response) -> str:
    return response.content.decode()


def statuses(rows) -> dict[str, str]:
    return {row["target"].key: row["status"] for row in rows}


class TestAsOf:
    def test_the_dashboard_judges_every_target_as_of_the_chosen_date(self, client, data):
        user = data.users["province"]
        today = statuses(get(client, user, "/").context["targets"])
        assert today["hte"] == ProgressStatusChoices.OVERDUE_NO_DATA
        response = get(client, user, "/", as_of=MID_TERM)
        mid_term = statuses(response.context["targets"])
        # Province 1000 → 2000, 1500 in 2022: half the way where the compound path stands at 0.52.
        assert mid_term["hte"] == ProgressStatusChoices.ON_TRACK
        assert mid_term["sei-share"] == ProgressStatusChoices.BEHIND  # 11.5: 0.42 of the way against 0.54
        assert "截至 <strong>2023-12-31</strong>" in body(response)
        counts = {s["status"]: s["count"] for s in response.context["figures"]["target_statuses"]}
        assert sum(counts.values()) == len(mid_term)

    def test_the_dashboards_counts_are_the_apis_as_of_the_same_date(self, client, data):
        page = get(client, data.users["viewer"], "/", as_of=MID_TERM).context
        api = client.get("/api/v1/dashboard/targets-by-status/", {"plan": data.plan14.pk, "as_of": MID_TERM}).json()
        assert {s["status"]: s["count"] for s in page["figures"]["target_statuses"]} == {
            status: count for status, count in api["total"].items() if status != "total" and count
        }

    def test_the_plan_page_shows_expected_progress_as_of_the_date(self, client, data):
        response = get(client, data.users["viewer"], f"/plans/{data.plan14.pk}/", as_of=MID_TERM)
        rows = {row["target"].key: row for row in response.context["targets"]["charted"]}
        assert rows["hte"]["status"] == ProgressStatusChoices.ON_TRACK
        assert rows["hte"]["expected_percent"] == pytest.approx((2 ** (1095 / 1826) - 1) * 100, rel=1e-3)
        assert rows["hte"]["percent"] == pytest.approx(50)
        # Its chart shows what was known at the date: not 太原's 2024 value on its own page either.
        city = get(client, data.users["taiyuan"], "/cities/140100/", as_of=MID_TERM).context["page_data"]
        chart = next(chart for chart in city["targets"] if chart["id"] == data.targets["hte-ty"].pk)
        assert chart["observations"] == [[2022, 600.0]]

    @pytest.mark.parametrize("raw", ["2023-13-01", "yesterday", "1800-01-01", "2023-02-30"])
    def test_a_bad_date_is_said_and_today_is_used(self, client, data, raw):
        for url in ["/", "/cities/140100/", f"/plans/{data.plan14.pk}/", f"/indicators/{data.indicator.pk}/"]:
            response = get(client, data.users["province"], url, as_of=raw)
            assert 'data-testid="as-of-error"' in body(response), url
            assert response.context["as_of"].is_today

    def test_links_between_pages_keep_the_date(self, client, data):
        response = get(client, data.users["province"], "/", as_of=MID_TERM)
        html = body(response)
        assert f'href="/cities/140100/?as_of={MID_TERM}"' in html
        assert f'href="/plans/{data.plan14.pk}/?as_of={MID_TERM}"' in html
        assert f'href="/indicators/{data.indicator.pk}/?as_of={MID_TERM}"' in html
        assert f'href="/indicators/?as_of={MID_TERM}"' in html
        urls = {f["properties"]["url"] for f in response.context["page_data"]["cities"]["features"]}
        assert f"/cities/140100/?as_of={MID_TERM}" in urls
        # The plan switch keeps the date too.
        assert f'<input type="hidden" name="as_of" value="{MID_TERM}">' in html

    def test_city_staff_are_sent_to_their_city_at_the_same_date(self, client, data):
        client.force_login(data.users["taiyuan"])
        response = client.get("/", {"as_of": MID_TERM})
        assert response.status_code == 302
        assert response["Location"] == f"/cities/140100/?as_of={MID_TERM}"

    def test_the_date_picker_is_a_plain_labelled_date_field(self, client, data):
        response = get(client, data.users["viewer"], "/cities/140100/", as_of=MID_TERM, stage=["started", "signed"])
        html = body(response)
        assert '<label for="as-of-date">评估基准日</label>' in html
        assert f'<input type="date" id="as-of-date" name="as_of" value="{MID_TERM}"' in html
        # The page's other parameters ride along with the new date, every value of each.
        assert response.context["as_of_keep"] == [("stage", "started"), ("stage", "signed")]
        assert '<input type="hidden" name="stage" value="signed">' in html


class TestCityTargets:
    def test_the_citys_allocated_targets_with_lights_and_their_provincial_target(self, client, data):
        response = get(client, data.users["taiyuan"], "/cities/140100/", as_of=MID_TERM)
        rows = {row["target"].key: row for row in response.context["target_table"]}
        assert set(rows) == {"hte-ty", "ty-equipment-revenue"}
        hte = rows["hte-ty"]
        assert hte["target"].parent == data.targets["hte"]
        assert (hte["status"], hte["light"]) == (ProgressStatusChoices.ON_TRACK, ProgressLightChoices.GREEN)
        assert hte["target"].latest_value == 600 and hte["qualifier"] == "以上"
        html = body(response)
        assert 'data-testid="light-legend"' in html
        assert 'data-testid="no-allocation"' not in html
        assert "山西省 2000家（2025）" in html
        today = {row["target"].key: row for row in get(client, data.users["taiyuan"], "/cities/140100/").context[
            "target_table"
        ]}  # fmt: skip
        assert (today["hte-ty"]["status"], today["hte-ty"]["light"]) == ("overdue_no_data", "red")

    def test_behind_is_yellow(self, client, data):
        response = get(client, data.users["datong"], "/cities/140200/", as_of=MID_TERM)
        row = next(row for row in response.context["target_table"] if row["target"].key == "hte-dt")
        assert (row["status"], row["light"]) == (ProgressStatusChoices.BEHIND, ProgressLightChoices.YELLOW)

    def test_every_status_has_a_light_and_the_legend_lists_them_all(self):
        assert set(PROGRESS_LIGHTS) == set(ProgressStatusChoices)
        assert PROGRESS_LIGHTS[ProgressStatusChoices.NO_DATA] == ProgressLightChoices.YELLOW
        assert PROGRESS_LIGHTS[ProgressStatusChoices.OVERDUE_NO_DATA] == ProgressLightChoices.RED

    def test_a_city_without_allocations_says_so_and_shows_the_provincial_targets(self, client, data):
        response = get(client, data.users["viewer"], "/cities/140400/", as_of=MID_TERM)
        html = body(response)
        assert "省级指标尚未分解到本市" in html
        assert response.context["target_table"] == []
        reference = {row["target"].key: row["status"] for row in response.context["reference_targets"]}
        assert set(reference) == {"sei-share", "innovation-centres", "hte"}  # the plan in force's, not the 13th's
        assert reference["hte"] == ProgressStatusChoices.ON_TRACK

    def test_another_citys_values_do_not_reach_city_staff(self, client, data):
        response = get(client, data.users["taiyuan"], "/cities/140200/", as_of=MID_TERM)
        row = next(row for row in response.context["target_table"] if row["target"].key == "hte-dt")
        assert row["target"].latest_value is None
        assert row["status"] == ProgressStatusChoices.NO_DATA

    def test_the_provincial_target_shows_its_allocations_total_and_gap(self, client, data):
        html = body(get(client, data.users["province"], f"/plans/{data.plan14.pk}/"))
        assert "已分解到 2 个城市：分解合计 1100，差额 900（分解未覆盖目标）" in html
        assert "已分解到 2 个城市：分解合计 1100，差额 900" in body(get(client, data.users["viewer"], "/"))


class TestIndicatorPages:
    def test_the_catalogue_groups_by_category_and_searches(self, client, data):
        response = get(client, data.users["viewer"], "/indicators/")
        groups = {group["category"]: [i.name for i in group["indicators"]] for group in response.context["groups"]}
        assert groups[IndicatorCategoryChoices.ENTERPRISES] == ["高新技术企业数量"]
        assert sum(len(names) for names in groups.values()) == response.context["count"] >= 4
        found = get(client, data.users["viewer"], "/indicators/", search="高新技术")
        assert [i.name for group in found.context["groups"] for i in group["indicators"]] == ["高新技术企业数量"]
        nothing = get(client, data.users["viewer"], "/indicators/", search="不存在的指标")
        assert 'data-testid="no-indicators"' in body(nothing)

    def test_a_bad_catalogue_filter_is_said_not_a_500(self, client, data):
        response = get(client, data.users["viewer"], "/indicators/", category="nonsense")
        assert response.context["groups"] == []
        assert 'class="error"' in body(response)

    def test_the_indicator_page_defines_ranks_and_charts(self, client, data):
        response = get(client, data.users["province"], f"/indicators/{data.indicator.pk}/")
        html = body(response)
        for text in ["经认定的高新技术企业数量（年末数）。", "越高越好", "求和", "指标完成排名"]:
            assert text in html
        ranking = response.context["ranking"]
        ranked = [(e["city"].code, e.get("rank"), e["value"]) for e in ranking if e["value"] is not None]
        assert ranked == [("140100", 1, 700.0), ("140200", 2, 170.0)]
        assert len(ranking) == 11  # the cities without a value follow, unranked
        assert ranking[0]["target"]["target"].key == "hte-ty"
        chart = response.context["page_data"]["indicator"]
        assert {t["scope"] for t in chart["targets"]} == {"山西省", "太原市", "大同市"}
        regions = {series["region"]: series["points"] for series in chart["observations"]}
        assert set(regions) == {"山西省", "太原市", "大同市"}
        assert regions["太原市"][0]["qualifier"] == "以上" and regions["太原市"][0]["status"] == "正式"

    def test_the_ranking_as_of_a_date_uses_the_values_of_that_time(self, client, data):
        response = get(client, data.users["province"], f"/indicators/{data.indicator.pk}/", as_of=MID_TERM)
        ranked = [(e["city"].code, e["value"]) for e in response.context["ranking"] if e["value"] is not None]
        assert ranked == [("140100", 600.0), ("140200", 170.0)]
        statuses_ = {row["target"].key: row["status"] for row in response.context["targets"]}
        assert statuses_ == {"hte": "on_track", "hte-ty": "on_track", "hte-dt": "behind"}
        chart = response.context["page_data"]["indicator"]
        assert max(p["x"] for s in chart["observations"] for p in s["points"]) == 2022

    @pytest.mark.parametrize(
        ("role", "own", "other"), [("taiyuan", "140100", "140200"), ("datong", "140200", "140100")]
    )
    def test_city_staff_see_their_own_rank_only(self, client, data, role, own, other):
        response = get(client, data.users[role], f"/indicators/{data.indicator.pk}/")
        ranking = response.context["ranking"]
        assert [(e["city"].code, e["rank"]) for e in ranking] == [(own, 1)]
        html = body(response)
        assert f'data-city="{other}"' not in html
        regions = {series["region"] for series in response.context["page_data"]["indicator"]["observations"]}
        assert regions == {"山西省", data.cities[own].name}
        other_value = "170" if other == "140200" else "700"
        assert f">{other_value}<" not in html

    def test_every_target_links_to_its_indicator(self, client, data):
        link = f'href="/indicators/{data.indicator.pk}/"'
        for url in ["/", "/cities/140100/", f"/plans/{data.plan14.pk}/"]:
            assert link in body(get(client, data.users["province"], url)), url

    def test_unknown_indicator(self, client, data):
        client.force_login(data.users["viewer"])
        assert client.get("/indicators/999999/").status_code == 404


def add_more(data):
    """More targets, allocations and values of another indicator, so that a query per row would show."""
    indicator = factories.make_indicator("测试企业数", "家", city_aggregation=CityAggregationChoices.SUM)
    for n in range(5):
        parent = factories.make_target(
            data.plan14, data.province, key=f"more-{n}", indicator=indicator, baseline_value=10, baseline_year=2020
        )
        for code in ["140100", "140200", "140400"]:
            factories.make_target(
                data.plan14,
                data.cities[code],
                key=f"more-{n}-{code}",
                indicator=indicator,
                parent=parent,
                baseline_value=1,
                baseline_year=2020,
                target_value=4,
            )
    for code in ["140100", "140200", "140400", "140000"]:
        region = data.province if code == "140000" else data.cities[code]
        for year in (2021, 2022, 2023):
            factories.make_observation(region, year=year, value=str(year - 2019), indicator=indicator)
    for n in range(3):
        factories.make_observation(data.cities["140100"], year=2020 + n, value="650", indicator=data.indicator)


PAGES = [
    # + the dispatch figures, rankings, tooltip projects, months (issue 15), inbox badge, the tour's two counts
    ("province", "/", 26),
    ("province", "/cities/140100/", 30),  # + the city's open warnings
    ("taiyuan", "/cities/140400/", 30),
    ("viewer", "/plans/{plan}/", 17),  # + the inbox badge, the programs, their industries, the measures
    ("province", "/indicators/", 9),
    ("province", "/indicators/{indicator}/", 12),
    ("taiyuan", "/indicators/{indicator}/", 12),
]
DATES = ["", MID_TERM]


def signed_in(data, role) -> Client:
    client = Client()
    client.force_login(data.users[role])
    return client


def count_queries(client, data, url, as_of) -> int:
    url = url.format(plan=data.plan14.pk, indicator=data.indicator.pk)
    params = {"as_of": as_of} if as_of else {}
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def warm(client, data, url, as_of) -> None:
    """A first request: the per-process cache of the cities' outlines filled, as in the steady state.

    Then a write, as before any page that follows one: the dashboard computes its figures again instead
    of reading its cache (projects.dashboard_cache), so that every query they need is counted.
    """
    count_queries(client, data, url, as_of)
    Region.objects.filter(pk=data.province.pk).update(name=F("name"))


@pytest.fixture(scope="class")
def queries_before(shared_data, django_db_blocker) -> dict:
    """By (role, url, as_of): the queries of the page on the module's data.

    Then ``add_more`` adds its rows for the class's tests; everything rolls back after its last test.
    """

    def build():
        data = fresh_copy(shared_data)
        for role, url, _ in PAGES:
            warm(signed_in(data, role), data, url, "")
        found = {
            (role, url, as_of): count_queries(signed_in(data, role), data, url, as_of)
            for role, url, _ in PAGES
            for as_of in DATES
        }
        add_more(data)
        return found

    yield from built_once(django_db_blocker=django_db_blocker, build=build)


class TestQueryCounts:
    @pytest.mark.parametrize(("role", "url", "most"), PAGES)
    @pytest.mark.parametrize("as_of", DATES)
    def test_a_page_takes_a_fixed_number_of_queries_at_any_date(
        self, data, queries_before, django_assert_max_num_queries, role, url, most, as_of
    ):
        # Another date computes progress on the fly: three queries per list of targets (plans.progress).
        most += 6 if as_of else 0
        client = signed_in(data, role)
        warm(client, data, url, as_of)
        with django_assert_max_num_queries(most):
            assert count_queries(client, data, url, as_of) == queries_before[role, url, as_of]

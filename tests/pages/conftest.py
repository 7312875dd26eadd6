"""Data and browser fixtures for the page tests (built with the ORM; no seed data)."""

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url
from django.test import Client

from common.choices import RoleChoices
from plans.choices import (
    CityAggregationChoices,
    ComparatorChoices,
    IndicatorCategoryChoices,
    PlanStatusChoices,
    QualifierChoices,
    TargetNatureChoices,
)
from plans.models import CityRole, Indicator, KeyArea, Plan, PlanSection, Target
from projects.choices import ProjectStageChoices
from projects.models import KeyProject
from regions.choices import ZoneKindChoices
from regions.models import Region, ZoneMembership
from tests import factories
from tests.shared import built_once, fresh_copy

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Installed by `npm ci && python scripts/vendor_assets.py` (see the README's set-up).
ECHARTS = ROOT / "static" / "vendor" / "echarts.min.js"

# code, name, centre (lon, lat): a grid of 0.8° squares roughly where the cities lie.
CITIES = [
    ("140100", "太原市", 112.4, 37.8),
    ("140200", "大同市", 113.2, 40.2),
    ("140300", "阳泉市", 113.2, 37.8),
    ("140400", "长治市", 113.2, 36.2),
    ("140500", "晋城市", 112.8, 35.4),
    ("140600", "朔州市", 112.4, 39.4),
    ("140700", "晋中市", 112.8, 37.0),
    ("140800", "运城市", 111.2, 35.4),
    ("140900", "忻州市", 112.4, 38.6),
    ("141000", "临汾市", 111.6, 36.2),
    ("141100", "吕梁市", 111.6, 37.8),
]


def square(lon, lat, half=0.4):
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass
class PagesData:
    province: Region
    cities: dict[str, Region]
    plan14: Plan
    plan13: Plan
    users: dict[str, object] = field(default_factory=dict)
    projects: dict[str, KeyProject] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    #: The allocated indicator of add_progress_data.
    indicator: Indicator | None = None


def build_pages_data() -> PagesData:
    regions = factories.make_regions()
    province = regions["140000"]
    province.boundary, province.center_lon, province.center_lat = square(112.2, 37.8, 2.8), 112.2, 37.8
    province.save()
    cities = {code: regions[code] for code, *_ in CITIES}
    for code, _name, lon, lat in CITIES:
        Region.objects.filter(pk=cities[code].pk).update(boundary=square(lon, lat), center_lon=lon, center_lat=lat)
    county = regions["140105"]

    equipment = factories.make_industry("2", "高端装备制造产业")
    rail = factories.make_industry("2.4", "轨道交通装备产业", parent=equipment)
    materials = factories.make_industry("3", "新材料产业")
    energy = factories.make_industry("6", "新能源产业")
    cbm = factories.make_industry("SX.1", "煤层气产业")
    digital = factories.make_industry("1", "新一代信息技术产业")

    plan13 = factories.make_plan(
        "sx-13th-sei",
        title="山西省“十三五”战略性新兴产业发展规划",
        short_title="十三五战新规划",
        period_start=2016,
        period_end=2020,
        status=PlanStatusChoices.SUPERSEDED,
    )
    plan14 = factories.make_plan(follows=plan13, issuer="山西省人民政府办公厅", doc_number="晋政办发〔2021〕1号")
    ch1 = PlanSection.objects.create(plan=plan14, key="1", number="一、", title="发展基础", order=1)
    PlanSection.objects.create(plan=plan14, parent=ch1, key="1.1", number="（一）", title="发展现状", order=2)
    ch3 = PlanSection.objects.create(plan=plan14, key="3", number="三、", title="重点领域", order=3)
    PlanSection.objects.create(plan=plan14, parent=ch3, key="3.1", number="（一）", title="高端装备制造", order=4)

    for plan, key, name, industries, parent in [
        (plan14, "1", "高端装备制造业", [equipment], None),
        (plan14, "1.1", "先进轨道交通装备", [rail], "1"),
        (plan14, "2", "新材料", [materials], None),
        (plan14, "3", "新一代信息技术", [digital], None),
        (plan13, "1", "高端装备制造", [equipment], None),
        (plan13, "2", "煤层气", [cbm], None),
        (plan13, "3", "新能源", [energy], None),
    ]:
        parent_area = KeyArea.objects.get(plan=plan, key=parent) if parent else None
        area = KeyArea.objects.create(plan=plan, key=key, name=name, order=int(key[0]), parent=parent_area)
        area.industries.set(industries)

    for kind, name, codes, industries in [
        (ZoneKindChoices.CORE, "太原都市区", ["140100", "140700"], [equipment, materials]),
        (ZoneKindChoices.BELT, "大西发展带", ["140200", "140600", "140900", "140100", "141000", "140800"], [rail]),
        (ZoneKindChoices.BELT, "太焦发展带", ["140100", "140700", "140400", "140500"], [equipment]),
        (ZoneKindChoices.BLOCK, "晋北板块", ["140200", "140600", "140900"], [energy]),
        (ZoneKindChoices.BLOCK, "晋南板块", ["140800", "141000"], [materials]),
        (ZoneKindChoices.BLOCK, "晋东南板块", ["140400", "140500"], [cbm]),
        (ZoneKindChoices.BLOCK, "晋西板块", ["141100"], [energy]),
    ]:
        factories.make_zone(plan14, name, kind, [cities[code] for code in codes]).industries.set(industries)
    ZoneMembership.objects.filter(zone__name="大西发展带", region=cities["140800"]).update(inferred=True)

    CityRole.objects.create(
        plan=plan14, city=cities["140100"], role="太原突出培育高端装备制造和特色新材料"
    ).industries.set([equipment, materials])
    CityRole.objects.create(plan=plan14, city=cities["140200"], role="大同重点发展新能源")

    park_ty = factories.make_park("太原高新技术产业开发区", cities["140100"], short_name="太原高新区", county=county)
    factories.make_park("大同经济技术开发区", cities["140200"], short_name="大同经开区")
    tisco = factories.make_enterprise("太原重型机械集团有限公司", cities["140100"], is_leading=True)
    factories.make_enterprise("大同新能源装备有限公司", cities["140200"])
    factories.make_enterprise("山西省属投资集团有限公司")

    base_ty = factories.make_base(
        plan14,
        "ty-equipment",
        [cities["140100"], cities["140700"]],
        name="太原—晋中高端装备制造基地",
        industry=equipment,
        revenue_target=Decimal("1000"),
        revenue_target_year=2025,
    )
    base_ty.parks.set([park_ty])
    base_ty.anchors.set([tisco])
    factories.make_base(plan14, "dt-energy", [cities["140200"]], name="大同新能源基地", industry=energy)

    projects = {}
    for name, code, stage, investment, industry in [
        ("太重轨道交通装备扩能项目", "140100", ProjectStageChoices.STARTED, "35.5", rail),
        ("太原碳纤维新材料项目", "140100", ProjectStageChoices.SIGNED, "12", materials),
        ("太原智能制造产业园项目", "140100", ProjectStageChoices.IN_PRODUCTION, "8.25", equipment),
        ("大同风电装备基地项目", "140200", ProjectStageChoices.STARTED, "20", energy),
        ("大同光伏组件项目", "140200", ProjectStageChoices.PLANNED, "6", energy),
    ]:
        in_taiyuan = code == "140100"
        projects[name] = factories.make_project(
            name,
            cities[code],
            plan=plan14,
            stage=stage,
            total_investment=Decimal(investment),
            industry=industry,
            enterprise=tisco if in_taiyuan else None,
            park=park_ty if in_taiyuan else None,
        )

    targets = {
        "share": factories.make_target(
            plan14,
            province,
            key="sei-share",
            name="战略性新兴产业增加值占地区生产总值比重",
            comparator=ComparatorChoices.GE,
            baseline_value=Decimal("9"),
            baseline_year=2020,
            target_value=Decimal("15"),
        ),
        "ty-revenue": factories.make_target(
            plan14,
            cities["140100"],
            key="ty-equipment-revenue",
            name="太原高端装备制造业营业收入",
            unit="亿元",
            baseline_value=Decimal("500"),
            baseline_year=2020,
            target_value=Decimal("1000"),
            industry=equipment,
        ),
        "dt-capacity": factories.make_target(
            plan14,
            cities["140200"],
            key="dt-wind-capacity",
            name="大同风电装机容量",
            unit="万千瓦",
            baseline_value=Decimal("600"),
            baseline_year=2020,
            target_value=Decimal("1200"),
            industry=energy,
        ),
    }
    # A goal alone: no baseline and no observation, so nothing to chart.
    targets["centres"] = factories.make_target(
        plan14,
        province,
        key="innovation-centres",
        name="新建国家级技术创新中心数量",
        unit="个",
        target_value=Decimal("5"),
    )
    for target, scope, year, value in [
        (targets["share"], province, 2021, "10.2"),
        (targets["share"], province, 2022, "11.5"),
        (targets["ty-revenue"], cities["140100"], 2021, "610"),
        (targets["ty-revenue"], cities["140100"], 2022, "705"),
        (targets["dt-capacity"], cities["140200"], 2022, "777"),
    ]:
        factories.make_observation(scope, year=year, value=value, target=target, source="统计公报")

    data = PagesData(province=province, cities=cities, plan14=plan14, plan13=plan13, projects=projects, targets=targets)
    data.users = {
        "province": factories.make_user("province", RoleChoices.PROVINCE),
        "taiyuan": factories.make_user("taiyuan", RoleChoices.CITY, [cities["140100"]]),
        "datong": factories.make_user("datong", RoleChoices.CITY, [cities["140200"]]),
        "viewer": factories.make_user("viewer", RoleChoices.VIEWER),
        "nobody": factories.make_user("nobody", None),
    }
    return data


def add_progress_data(data):
    """An allocated provincial target and its cities' values (also used by the browser tests)."""
    province, taiyuan, datong = data.province, data.cities["140100"], data.cities["140200"]
    indicator = factories.make_indicator(
        "高新技术企业数量",
        "家",
        city_aggregation=CityAggregationChoices.SUM,
        category=IndicatorCategoryChoices.ENTERPRISES,
        definition="经认定的高新技术企业数量（年末数）。",
    )
    common = {"indicator": indicator, "name": "高新技术企业数量", "baseline_year": 2020}
    parent = factories.make_target(
        data.plan14,
        province,
        key="hte",
        baseline_value=Decimal("1000"),
        target_value=Decimal("2000"),
        nature=TargetNatureChoices.EXPECTED,
        **common,
    )
    data.targets["hte"] = parent
    data.targets["hte-ty"] = factories.make_target(
        data.plan14, taiyuan, key="hte-ty", parent=parent, baseline_value=400, target_value=800, **common
    )
    data.targets["hte-dt"] = factories.make_target(
        data.plan14, datong, key="hte-dt", parent=parent, baseline_value=100, target_value=300, **common
    )
    for scope, year, value, extra in [
        (province, 2022, "1500", {}),
        (taiyuan, 2022, "600", {"qualifier": QualifierChoices.ABOVE}),
        (taiyuan, 2024, "700", {}),
        (datong, 2022, "170", {}),
    ]:
        factories.make_observation(scope, year=year, value=value, indicator=indicator, source="统计公报", **extra)
    data.indicator = indicator
    return data


@pytest.fixture(scope="module")
def shared_pages_data(django_db_setup, django_db_blocker):
    """The pages' data, built once per test module (each test's own writes roll back)."""
    yield from built_once(django_db_blocker=django_db_blocker, build=build_pages_data, shared_by_modules=True)


@pytest.fixture
def pages_data(shared_pages_data, db) -> PagesData:
    return fresh_copy(shared_pages_data)


@pytest.fixture
def live_pages_data(transactional_db) -> PagesData:
    return build_pages_data()


@pytest.fixture
def live_progress_data(transactional_db) -> PagesData:
    return add_progress_data(build_pages_data())


@pytest.fixture(scope="session")
def browser():
    missing = [str(path) for path in (Path(CHROMIUM), ECHARTS) if not path.exists()]
    if missing:
        # `make test` installs both; a run without them is a failed run, never a silent skip.
        pytest.fail(
            f"浏览器测试缺少 {', '.join(missing)}：运行 make test"
            "（或 apt-get install chromium；npm ci && python scripts/vendor_assets.py）"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls that the
    # test fixtures make from the same thread are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def page_error(error) -> str:
    """An uncaught error of a page's script, with its stack: a failure that says where it was thrown."""
    return f"{error}\n{error.stack or ''}".strip()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(page_error(error)))
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Saves a picture of the page in test-output/screenshots/ when SXPLAN_SCREENSHOTS=1 (to look at the pages).

    Off by default: a full-page picture re-lays out the page at its whole height (the charts drawn again)
    and encodes it, seconds of Chromium's time per run that check nothing.
    """
    wanted = os.environ.get("SXPLAN_SCREENSHOTS") == "1"
    if wanted:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path | None:
        if not wanted:
            return None
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


#: Set by the site's script on every page that has one, once its charts and tables are drawn.
PAGE_READY = "() => !document.querySelector('script[src*=sxplan]') || document.body.dataset.ready"


def sign_in(page, live_server, username: str, *, land: bool = True) -> None:
    """The page's browser signed in as ``username`` and (``land``) on the page sign-in leads to, ready.

    The session is made as the sign-in form makes it (``login()``, its signals and lockout
    bookkeeping included) and handed to the browser as its cookie: the form itself is tested by
    ``sign_in_with_form`` (tests/pages/test_browser.py), and going through it costs every browser
    test a page and a wait for the network to fall quiet.
    """
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    if not land:
        return
    page.goto(f"{live_server.url}{resolve_url(settings.LOGIN_REDIRECT_URL)}")
    page.wait_for_function(PAGE_READY)


def sign_in_with_form(page, live_server, username: str) -> None:
    """Signs in through the sign-in page, as a user does."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_function(PAGE_READY)

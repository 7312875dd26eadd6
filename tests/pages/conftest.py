"""Data and browser fixtures for the page tests (built with the ORM; no seed data)."""

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from common.choices import RoleChoices
from common.models import StaffProfile
from plans.choices import ComparatorChoices, PlanStatusChoices
from plans.models import CityRole, Industry, KeyArea, Observation, Plan, PlanSection, Target
from projects.choices import ProjectStageChoices
from projects.models import Enterprise, IndustryBase, KeyProject
from regions.choices import RegionLevelChoices, ZoneKindChoices
from regions.models import LayoutScheme, Park, Region, Zone, ZoneMembership

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# live server fixtures from the same thread are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "pages-test-password"

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


def build_pages_data() -> PagesData:
    province = Region.objects.create(
        code="140000", name="山西省", short_name="山西", level=RegionLevelChoices.PROVINCE,
        boundary=square(112.2, 37.8, 2.8), center_lon=Decimal("112.2"), center_lat=Decimal("37.8"),
    )
    cities = {
        code: Region.objects.create(
            code=code, name=name, short_name=name.removesuffix("市"), level=RegionLevelChoices.CITY,
            parent=province, boundary=square(lon, lat), center_lon=Decimal(str(lon)), center_lat=Decimal(str(lat)),
        )
        for code, name, lon, lat in CITIES
    }
    county = Region.objects.create(code="140105", name="小店区", level=RegionLevelChoices.COUNTY, parent=cities["140100"])

    equipment = Industry.objects.create(code="2", name="高端装备制造产业", order=2)
    rail = Industry.objects.create(code="2.4", name="轨道交通装备产业", parent=equipment, order=1)
    materials = Industry.objects.create(code="3", name="新材料产业", order=3)
    energy = Industry.objects.create(code="6", name="新能源产业", order=6)
    cbm = Industry.objects.create(code="SX.1", name="煤层气产业", is_national=False, order=20)
    digital = Industry.objects.create(code="1", name="新一代信息技术产业", order=1)

    plan13 = Plan.objects.create(
        code="sx-13th-sei", title="山西省“十三五”战略性新兴产业发展规划", short_title="十三五战新规划",
        period_start=2016, period_end=2020, status=PlanStatusChoices.SUPERSEDED,
    )
    plan14 = Plan.objects.create(
        code="sx-14th-sei", title="山西省“十四五”战略性新兴产业规划", short_title="十四五战新规划",
        period_start=2021, period_end=2025, status=PlanStatusChoices.IN_FORCE, follows=plan13,
        issuer="山西省人民政府办公厅", doc_number="晋政办发〔2021〕1号",
    )
    ch1 = PlanSection.objects.create(plan=plan14, key="1", number="一、", title="发展基础", order=1)
    PlanSection.objects.create(plan=plan14, parent=ch1, key="1.1", number="（一）", title="发展现状", order=2)
    ch3 = PlanSection.objects.create(plan=plan14, key="3", number="三、", title="重点领域", order=3)
    PlanSection.objects.create(plan=plan14, parent=ch3, key="3.1", number="（一）", title="高端装备制造", order=4)

    area_equipment = KeyArea.objects.create(plan=plan14, key="1", name="高端装备制造业", order=1, section=ch3)
    area_equipment.industries.set([equipment])
    area_rail = KeyArea.objects.create(plan=plan14, parent=area_equipment, key="1.1", name="先进轨道交通装备", order=2)
    area_rail.industries.set([rail])
    KeyArea.objects.create(plan=plan14, key="2", name="新材料", order=3).industries.set([materials])
    KeyArea.objects.create(plan=plan14, key="3", name="新一代信息技术", order=4).industries.set([digital])
    KeyArea.objects.create(plan=plan13, key="1", name="高端装备制造", order=1).industries.set([equipment])
    KeyArea.objects.create(plan=plan13, key="2", name="煤层气", order=2).industries.set([cbm])
    KeyArea.objects.create(plan=plan13, key="3", name="新能源", order=3).industries.set([energy])

    scheme = LayoutScheme.objects.create(plan=plan14, name="一核两带四板块")
    zones = [
        (ZoneKindChoices.CORE, "太原都市区", ["140100", "140700"], [equipment, materials]),
        (ZoneKindChoices.BELT, "大西发展带", ["140200", "140600", "140900", "140100", "141000", "140800"], [rail]),
        (ZoneKindChoices.BELT, "太焦发展带", ["140100", "140700", "140400", "140500"], [equipment]),
        (ZoneKindChoices.BLOCK, "晋北板块", ["140200", "140600", "140900"], [energy]),
        (ZoneKindChoices.BLOCK, "晋南板块", ["140800", "141000"], [materials]),
        (ZoneKindChoices.BLOCK, "晋东南板块", ["140400", "140500"], [cbm]),
        (ZoneKindChoices.BLOCK, "晋西板块", ["141100"], [energy]),
    ]
    for order, (kind, name, codes, industries) in enumerate(zones):
        zone = Zone.objects.create(scheme=scheme, kind=kind, name=name, order=order)
        zone.industries.set(industries)
        for code in codes:
            ZoneMembership.objects.create(zone=zone, region=cities[code], inferred=(name == "大西发展带" and code == "140800"))

    CityRole.objects.create(plan=plan14, city=cities["140100"], role="太原突出培育高端装备制造和特色新材料").industries.set(
        [equipment, materials]
    )
    CityRole.objects.create(plan=plan14, city=cities["140200"], role="大同重点发展新能源")

    park_ty = Park.objects.create(name="太原高新技术产业开发区", short_name="太原高新区", city=cities["140100"], county=county)
    Park.objects.create(name="大同经济技术开发区", short_name="大同经开区", city=cities["140200"])
    tisco = Enterprise.objects.create(name="太原重型机械集团有限公司", city=cities["140100"], is_leading=True)
    Enterprise.objects.create(name="大同新能源装备有限公司", city=cities["140200"])
    Enterprise.objects.create(name="山西省属投资集团有限公司")

    base_ty = IndustryBase.objects.create(
        plan=plan14, key="ty-equipment", name="太原—晋中高端装备制造基地", industry=equipment,
        revenue_target=Decimal("1000"), revenue_target_year=2025,
    )
    base_ty.cities.set([cities["140100"], cities["140700"]])
    base_ty.parks.set([park_ty])
    base_ty.anchors.set([tisco])
    IndustryBase.objects.create(plan=plan14, key="dt-energy", name="大同新能源基地", industry=energy).cities.set(
        [cities["140200"]]
    )

    projects = {}
    for name, code, stage, investment, industry in [
        ("太重轨道交通装备扩能项目", "140100", ProjectStageChoices.STARTED, "35.5", rail),
        ("太原碳纤维新材料项目", "140100", ProjectStageChoices.SIGNED, "12", materials),
        ("太原智能制造产业园项目", "140100", ProjectStageChoices.IN_PRODUCTION, "8.25", equipment),
        ("大同风电装备基地项目", "140200", ProjectStageChoices.STARTED, "20", energy),
        ("大同光伏组件项目", "140200", ProjectStageChoices.PLANNED, "6", energy),
    ]:
        projects[name] = KeyProject.objects.create(
            name=name, plan=plan14, city=cities[code], stage=stage, total_investment=Decimal(investment),
            industry=industry, enterprise=tisco if code == "140100" else None,
            park=park_ty if code == "140100" else None,
        )

    targets = {
        "share": Target.objects.create(
            plan=plan14, key="sei-share", name="战略性新兴产业增加值占地区生产总值比重", unit="%",
            comparator=ComparatorChoices.GE, baseline_value=Decimal("9"), baseline_year=2020,
            target_value=Decimal("15"), target_year=2025, scope=province,
        ),
        "ty-revenue": Target.objects.create(
            plan=plan14, key="ty-equipment-revenue", name="太原高端装备制造业营业收入", unit="亿元",
            comparator=ComparatorChoices.GE, baseline_value=Decimal("500"), baseline_year=2020,
            target_value=Decimal("1000"), target_year=2025, scope=cities["140100"], industry=equipment,
        ),
        "dt-capacity": Target.objects.create(
            plan=plan14, key="dt-wind-capacity", name="大同风电装机容量", unit="万千瓦",
            comparator=ComparatorChoices.GE, baseline_value=Decimal("600"), baseline_year=2020,
            target_value=Decimal("1200"), target_year=2025, scope=cities["140200"], industry=energy,
        ),
    }
    for target, scope, year, value in [
        (targets["share"], province, 2021, "10.2"),
        (targets["share"], province, 2022, "11.5"),
        (targets["ty-revenue"], cities["140100"], 2021, "610"),
        (targets["ty-revenue"], cities["140100"], 2022, "705"),
        (targets["dt-capacity"], cities["140200"], 2022, "777"),
    ]:
        Observation.objects.create(
            target=target, indicator=target.name, unit=target.unit, value=Decimal(value), year=year,
            scope=scope, source="统计公报",
        )

    data = PagesData(province=province, cities=cities, plan14=plan14, plan13=plan13, projects=projects, targets=targets)
    User = get_user_model()
    for username, role, codes, staff in [
        ("province", RoleChoices.PROVINCE, [], True),
        ("taiyuan", RoleChoices.CITY, ["140100"], True),
        ("datong", RoleChoices.CITY, ["140200"], True),
        ("viewer", RoleChoices.VIEWER, [], False),
    ]:
        user = User.objects.create_user(username=username, password=PASSWORD, is_staff=staff)
        profile = StaffProfile.objects.create(user=user, role=role)
        profile.cities.set([cities[code] for code in codes])
        data.users[username] = user
    data.users["nobody"] = User.objects.create_user(username="nobody", password=PASSWORD)
    return data


@pytest.fixture
def pages_data(db) -> PagesData:
    return build_pages_data()


@pytest.fixture
def live_pages_data(transactional_db) -> PagesData:
    return build_pages_data()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
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


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

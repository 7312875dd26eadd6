"""Test data for the API: a small province built with the ORM, and users of every role.

A plugin of tests/conftest.py, so that the API tests in every app's directory find these fixtures.
"""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from common.choices import RoleChoices
from common.models import StaffProfile
from plans.choices import ComparatorChoices
from plans.models import (
    CityRole,
    Indicator,
    Industry,
    KeyArea,
    Measure,
    Observation,
    Plan,
    PlanSection,
    Program,
    Target,
    TargetStep,
)
from plans.progress import refresh_progress
from projects import figures
from projects.choices import ProjectStageChoices
from projects.models import Enterprise, EnterpriseAlias, IndustryBase, KeyProject, ProjectReport
from regions.models import LayoutScheme, Park, Region, RegionGroup, RegionGroupMembership, Zone, ZoneMembership
from tests.api.base import invalid_value
from tests.shared import built_once, fresh_copy

TAIYUAN, DATONG, JINZHONG = "140100", "140200", "140700"


def _square(x: float, y: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}


def make_user(username: str, role: str | None = None, cities=(), **extra):
    user = get_user_model().objects.create_user(username=username, password="pw-123456", **extra)
    if role:
        profile = StaffProfile.objects.create(user=user, role=role)
        profile.cities.set(cities)
    return user


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker):
    """The province below, built once per test module (each test's own writes roll back)."""
    yield from built_once(django_db_blocker=django_db_blocker, build=build_data, shared_by_modules=True)


@pytest.fixture
def data(api_world, db) -> SimpleNamespace:
    return fresh_copy(api_world)


def build_data() -> SimpleNamespace:
    d = SimpleNamespace()
    d.province = Region.objects.create(code="140000", name="山西省", level="province")
    d.taiyuan = Region.objects.create(
        code=TAIYUAN,
        name="太原市",
        level="city",
        parent=d.province,
        boundary=_square(112, 37),
        center_lon=112.5,
        center_lat=37.8,
    )
    d.datong = Region.objects.create(
        code=DATONG, name="大同市", level="city", parent=d.province, boundary=_square(113, 40)
    )
    d.jinzhong = Region.objects.create(code=JINZHONG, name="晋中市", level="city", parent=d.province)
    d.xiaodian = Region.objects.create(code="140105", name="小店区", level="county", parent=d.taiyuan)
    d.pingcheng = Region.objects.create(code="140213", name="平城区", level="county", parent=d.datong)

    d.materials = Industry.objects.create(code="3", name="新材料产业", order=3)
    d.metals = Industry.objects.create(code="3.1", name="先进钢铁材料", parent=d.materials, order=1)
    d.special_steel = Industry.objects.create(code="3.1.1", name="特种钢", parent=d.metals, order=1)
    d.equipment = Industry.objects.create(code="2", name="高端装备制造产业", order=2)
    d.cbm = Industry.objects.create(code="SX1", name="煤层气", is_national=False, order=10)

    d.plan = Plan.objects.create(
        code="sx-14th-sei",
        title="山西省“十四五”战略性新兴产业规划",
        short_title="十四五战新规划",
        period_start=2021,
        period_end=2025,
        issuer="山西省人民政府",
        doc_number="晋政发〔2021〕1号",
        source_file="002.md",
        source_quote="原文",
    )
    d.old_plan = Plan.objects.create(
        code="sx-13th", title="山西省“十三五”规划", period_start=2016, period_end=2020, status="expired"
    )
    d.plan.follows = d.old_plan
    d.plan.save()
    d.chapter = PlanSection.objects.create(plan=d.plan, key="3", number="三、", title="重点产业", order=1)
    d.subsection = PlanSection.objects.create(
        plan=d.plan, parent=d.chapter, key="3.1", number="（一）", title="新材料", order=2
    )
    d.key_area = KeyArea.objects.create(plan=d.plan, key="1", name="先进金属材料", section=d.subsection, order=1)
    d.key_area.industries.set([d.metals])
    d.key_area_child = KeyArea.objects.create(plan=d.plan, parent=d.key_area, key="1.1", name="特种不锈钢", order=3)
    d.key_area2 = KeyArea.objects.create(plan=d.plan, key="2", name="轨道交通装备", order=2)
    d.key_area2.industries.set([d.equipment])

    def target(
        key, comparator=ComparatorChoices.GE, baseline=Decimal(100), target_value=Decimal(200), scope=None, **kw
    ):
        indicator = Indicator.objects.create(key=f"indicator-{key}", name=f"指标{key}", unit="亿元")
        return Target.objects.create(
            plan=d.plan,
            key=key,
            indicator=indicator,
            name=f"指标{key}",
            comparator=comparator,
            baseline_value=baseline,
            baseline_year=2020 if baseline is not None else None,
            target_value=target_value,
            target_year=2025,
            scope=scope or d.province,
            **kw,
        )

    def observe(target_obj, value, year=2023, scope=None, quarter=0):
        return Observation.objects.create(
            indicator=target_obj.indicator,
            value=Decimal(value),
            year=year,
            quarter=quarter,
            scope=scope or target_obj.scope,
            source="统计公报",
        )

    d.t_achieved = target("achieved", industry=d.metals, key_area=d.key_area, section=d.subsection)
    observe(d.t_achieved, 150, year=2022)
    observe(d.t_achieved, 210, year=2023)
    d.t_on_track = target("on-track", industry=d.special_steel)
    observe(d.t_on_track, 170)
    observe(d.t_on_track, 120, quarter=3)  # the annual value of the year wins over a quarter
    d.t_at_risk = target("at-risk", industry=d.equipment)
    observe(d.t_at_risk, 155)
    d.t_off_track = target("off-track")
    observe(d.t_off_track, 110)
    d.t_no_data = target("no-data")
    d.t_falling = target("falling", comparator=ComparatorChoices.LE, baseline=Decimal(10), target_value=Decimal(5))
    observe(d.t_falling, 6, year=2024)
    d.t_range = target(
        "range", comparator=ComparatorChoices.RANGE, target_value=Decimal(150), target_value_max=Decimal(180)
    )
    observe(d.t_range, 160, year=2021)
    d.t_no_baseline = target("no-baseline", baseline=None)
    observe(d.t_no_baseline, 50)
    d.t_taiyuan = target("taiyuan", scope=d.taiyuan)
    d.obs_taiyuan = observe(d.t_taiyuan, 300, scope=d.taiyuan)
    d.t_allocated = Target.objects.create(  # Taiyuan's share of the provincial target (指标分解)
        plan=d.plan,
        key="achieved-taiyuan",
        indicator=d.t_achieved.indicator,
        parent=d.t_achieved,
        baseline_value=Decimal(30),
        baseline_year=2020,
        target_value=Decimal(60),
        target_year=2025,
        scope=d.taiyuan,
    )
    # Yearly steps (年度目标) of targets whose status they cannot change (no data; achieved).
    d.step_province = TargetStep.objects.create(target=d.t_no_data, year=2023, value=Decimal(150))
    d.step_taiyuan = TargetStep.objects.create(target=d.t_taiyuan, year=2024, value=Decimal(180))
    d.datong_output = Indicator.objects.create(key="datong-output", name="大同产值", unit="亿元")
    d.obs_datong = Observation.objects.create(
        indicator=d.datong_output,
        value=Decimal(12),
        qualifier="above",
        status="preliminary",
        year=2023,
        month=6,
        scope=d.datong,
        source_plan=d.plan,
    )

    d.program = Program.objects.create(plan=d.plan, key="1", name="新材料提升工程", section=d.subsection, order=1)
    d.program.industries.set([d.materials])
    d.task = Program.objects.create(plan=d.plan, key="2", name="推进装备制造", kind="task", order=2)
    d.measure = Measure.objects.create(plan=d.plan, key="1", name="加强组织领导", section=d.chapter, order=1)
    d.measure2 = Measure.objects.create(plan=d.plan, key="2", name="强化要素保障", order=2)
    d.program_child = Program.objects.create(plan=d.plan, parent=d.program, key="1.1", name="链长制", order=3)
    d.measure_child = Measure.objects.create(
        plan=d.plan, parent=d.measure, key="1.1", name="首台（套）保险补偿", order=3
    )
    d.city_role = CityRole.objects.create(plan=d.plan, city=d.taiyuan, role="太原突出培育高端装备制造")
    d.city_role.industries.set([d.equipment])
    CityRole.objects.create(plan=d.plan, city=d.datong, role="大同发展新材料")

    d.scheme = LayoutScheme.objects.create(plan=d.plan, name="一核两带四板块")
    d.old_scheme = LayoutScheme.objects.create(plan=d.old_plan, name="一核一圈三群")
    d.core = Zone.objects.create(scheme=d.scheme, kind="core", name="太忻一体化核", order=1)
    ZoneMembership.objects.create(zone=d.core, region=d.taiyuan)
    ZoneMembership.objects.create(zone=d.core, region=d.jinzhong)
    d.core.industries.set([d.equipment])
    d.north = RegionGroup.objects.create(name="晋北")
    RegionGroupMembership.objects.create(group=d.north, region=d.datong)
    d.belt = Zone.objects.create(
        scheme=d.scheme, kind="belt", name="大西发展带", order=2, corridor="大西线", region_group=d.north
    )
    ZoneMembership.objects.create(zone=d.belt, region=d.datong)
    ZoneMembership.objects.create(zone=d.belt, region=d.taiyuan, inferred=True)
    d.belt.industries.set([d.materials])

    d.park_ty = Park.objects.create(
        name="太原高新区", level="national", kind="high_tech", city=d.taiyuan, county=d.xiaodian
    )
    d.park_ty.industries.set([d.equipment])
    d.park_ty2 = Park.objects.create(name="太原不锈钢产业园区", short_name="不锈钢园", kind="specialty", city=d.taiyuan)
    d.park_dt = Park.objects.create(name="大同经开区", level="provincial", kind="economic", city=d.datong)
    d.park_dt.industries.set([d.special_steel])

    d.tisco = Enterprise.objects.create(name="太原钢铁（集团）有限公司", kind="state", city=d.taiyuan, is_leading=True)
    d.tisco.industries.set([d.metals])
    EnterpriseAlias.objects.create(enterprise=d.tisco, alias="太钢")
    d.tzco = Enterprise.objects.create(name="太原重型机械集团有限公司", kind="state", city=d.taiyuan, county=d.xiaodian)
    d.tzco.industries.set([d.equipment])
    EnterpriseAlias.objects.create(enterprise=d.tzco, alias="太重")
    d.dt_ent = Enterprise.objects.create(name="大同新材料有限公司", kind="private", city=d.datong)
    d.dt_ent.industries.set([d.special_steel])
    d.jinneng = Enterprise.objects.create(name="晋能控股集团", kind="state")

    d.base_core = IndustryBase.objects.create(
        plan=d.plan,
        key="steel",
        name="太原晋中特钢基地",
        industry=d.special_steel,
        key_area=d.key_area,
        revenue_target=Decimal(500),
        revenue_target_year=2025,
    )
    d.base_core.cities.set([d.taiyuan, d.jinzhong])
    d.base_core.parks.set([d.park_ty])
    d.base_core.anchors.set([d.tisco])
    Target.objects.filter(pk=d.t_off_track.pk).update(base=d.base_core)
    d.base_dt = IndustryBase.objects.create(
        plan=d.plan, key="dt-materials", name="大同新材料基地", kind="cluster", industry=d.metals, region_group=d.north
    )
    d.base_dt.cities.set([d.datong])
    d.base_dt.parks.set([d.park_dt])
    d.base_prov = IndustryBase.objects.create(
        plan=d.plan, key="rail", name="轨道交通装备集群", kind="cluster", industry=d.equipment
    )

    def project(name, city, stage, investment, **kw):
        return KeyProject.objects.create(
            name=name, plan=d.plan, city=city, stage=stage, total_investment=investment, **kw
        )

    d.p_ty1 = project(
        "太钢特种钢扩能项目",
        d.taiyuan,
        ProjectStageChoices.STARTED,
        Decimal("45.50"),
        enterprise=d.tisco,
        industry=d.special_steel,
        base=d.base_core,
        park=d.park_ty,
        county=d.xiaodian,
        capacity="年产20万吨",
        capacity_value=Decimal(20),
        capacity_unit="万吨",
        signed_on=date(2021, 3, 1),
        started_on=date(2021, 9, 1),
    )
    d.p_ty2 = project(
        "太重轨道交通装备项目",
        d.taiyuan,
        ProjectStageChoices.SIGNED,
        Decimal("12.00"),
        enterprise=d.tzco,
        industry=d.equipment,
        signed_on=date(2022, 5, 1),
    )
    d.p_ty3 = project("太原谋划项目", d.taiyuan, ProjectStageChoices.PLANNED, None)
    d.p_dt1 = project(
        "大同新材料产业园项目",
        d.datong,
        ProjectStageChoices.IN_PRODUCTION,
        Decimal("30.00"),
        enterprise=d.dt_ent,
        industry=d.metals,
        base=d.base_dt,
        park=d.park_dt,
        capacity_value=Decimal(5),
        started_on=date(2020, 6, 1),
        production_on=date(2022, 12, 1),
    )
    d.p_dt2 = project("大同煤层气项目", d.datong, ProjectStageChoices.STARTED, Decimal("8.25"), industry=d.cbm)
    d.p_jz1 = project(
        "晋中装备项目", d.jinzhong, ProjectStageChoices.AT_CAPACITY, Decimal("20.00"), industry=d.equipment
    )

    d.r_ty = ProjectReport.objects.create(
        project=d.p_ty1, year=2023, month=6, stage="started", investment_completed=Decimal("5.00"), note="主体完工"
    )
    ProjectReport.objects.create(
        project=d.p_ty1,
        year=2023,
        month=12,
        stage="started",
        investment_completed=Decimal("7.00"),
        problems="用地指标未落实",
        problem_level="city",
    )
    d.r_dt = ProjectReport.objects.create(
        project=d.p_dt1, year=2022, month=12, stage="in_production", investment_completed=Decimal("3.00")
    )
    # A monthly dispatch report whose amount is unknown, with a problem for the province to coordinate.
    ProjectReport.objects.create(
        project=d.p_dt1, year=2022, month=11, stage="in_production", problems="电网接入", problem_level="province"
    )

    refresh_progress()  # the data is built with the ORM, not the services: derive the progress rows
    figures.refresh(project_ids=[d.p_ty1.pk, d.p_dt1.pk])
    d.admin = make_user("province", RoleChoices.PROVINCE)
    d.superuser = get_user_model().objects.create_superuser("root", password="pw-123456")
    d.ty_staff = make_user("ty", RoleChoices.CITY, [d.taiyuan])
    d.dt_staff = make_user("dt", RoleChoices.CITY, [d.datong])
    d.viewer = make_user("viewer", RoleChoices.VIEWER)
    d.ty_viewer = make_user("ty-viewer", RoleChoices.VIEWER, [d.taiyuan])
    d.nobody = make_user("nobody")
    return d


@pytest.fixture
def api():
    """``api(user)``: an API client signed in as that user (``api(None)``: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def pytest_generate_tests(metafunc):
    """Parametrize the ResourceTests of tests/api/base.py by the class's filters and orderings."""
    cls = metafunc.cls
    if cls is None:
        return
    if "filter_name" in metafunc.fixturenames:
        names = sorted(cls.filter_cases)
        if metafunc.function.__name__ == "test_invalid_filter_value":
            # Free-text filters accept any value: only filters with a malformed value are tried.
            names = [name for name in names if invalid_value(cls.filterset.base_filters[name]) is not None]
        metafunc.parametrize("filter_name", names)
    if "ordering" in metafunc.fixturenames:
        names = [name for name, _ in cls.filterset.base_filters["ordering"].extra["choices"] if name]
        # Orderings by computed progress have their own tests in TestTargets.
        param_map = cls.filterset.base_filters["ordering"].param_map
        names = [name for name in names if not param_map[name.lstrip("-")].startswith("progress")]
        metafunc.parametrize("ordering", names)

import datetime

import pytest
from django.core.cache import cache
from django.db import connection

from common.choices import RoleChoices
from evaluations.models import Evaluation
from regions.models import RegionGroup
from tests import factories
from tests.shared import built_once, fresh_copy

# The API's test province and client (``data``, ``api``), for the API tests of every app; the
# migrated SQLite database kept between runs; how test files are spread over xdist processes.
pytest_plugins = ["tests.api.fixtures", "tests.migrated_db", "tests.scheduling"]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``postgres`` fails on another database: CI must never skip it unnoticed."""
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.fail(
            f"{item.nodeid} needs PostgreSQL (set DATABASE_URL), or deselect it with -m 'not postgres'",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the dashboards' answers are keyed by a count of writes
    (projects.dashboard_cache) that a test's rolled-back writes would repeat in the next test."""
    cache.clear()


@pytest.fixture(scope="module")
def world_once(request, django_db_setup, django_db_blocker):
    """The regions, the four users and the world below, built once for a module that sets
    ``WORLD_BUILT_ONCE = True`` (none of its tests may use ``transactional_db``); each test gets a
    copy and its own writes roll back (tests/shared.py). None elsewhere: each test builds its own.
    """
    if not getattr(request.module, "WORLD_BUILT_ONCE", False):
        yield None
        return

    def build():
        regions = factories.make_regions()
        return {
            "regions": regions,
            **{name: make(regions) for name, make in USERS.items()},
            "world": build_world(regions),
        }

    yield from built_once(django_db_blocker=django_db_blocker, build=build, shared_by_modules=True)


@pytest.fixture
def built(world_once, db):
    """This test's copy of the module's data built once, or None."""
    return fresh_copy(world_once) if world_once is not None else None


@pytest.fixture
def regions(built):
    return built["regions"] if built else factories.make_regions()


USERS = {
    "province_user": lambda regions: factories.make_user("province", RoleChoices.PROVINCE),
    "taiyuan_user": lambda regions: factories.make_user("taiyuan", RoleChoices.CITY, [regions["140100"]]),
    "datong_user": lambda regions: factories.make_user("datong", RoleChoices.CITY, [regions["140200"]]),
    "viewer_user": lambda regions: factories.make_user("viewer", RoleChoices.VIEWER),
}


@pytest.fixture
def province_user(regions, built):
    return built["province_user"] if built else USERS["province_user"](regions)


@pytest.fixture
def taiyuan_user(regions, built):
    return built["taiyuan_user"] if built else USERS["taiyuan_user"](regions)


@pytest.fixture
def datong_user(regions, built):
    return built["datong_user"] if built else USERS["datong_user"](regions)


@pytest.fixture
def viewer_user(regions, built):
    return built["viewer_user"] if built else USERS["viewer_user"](regions)


@pytest.fixture
def world(regions, built):
    """A small but complete data set: two cities' projects, reports, enterprises, a base in both."""
    return built["world"] if built else build_world(regions)


def build_world(regions) -> dict:
    ty, dt = regions["140100"], regions["140200"]
    industry = factories.make_industry()
    plan = factories.make_plan()
    zone = factories.make_zone(plan, "一核", "core", [ty, regions["140700"]])
    target = factories.make_target(plan, regions["140000"], baseline_value=9, baseline_year=2020)
    ty_ent = factories.make_enterprise("太原重工股份有限公司", ty)
    ty_ent.aliases.create(alias="太重集团")
    dt_ent = factories.make_enterprise("大同电力机车有限责任公司", dt)
    ty_park = factories.make_park("太原高新技术产业开发区", ty)
    dt_park = factories.make_park("大同经济技术开发区", dt)
    plan.sections.create(key="1", number="一、", title="发展现状与形势")
    plan.key_areas.create(key="1", name="高端装备制造业").industries.add(industry)
    plan.programs.create(key="1", name="实施产业集群培育工程")
    plan.measures.create(key="1", name="加强宏观统筹协调")
    plan.city_roles.create(city=ty, role="突出培育高端装备制造和特色新材料").industries.add(industry)
    RegionGroup.objects.create(name="晋北").memberships.create(region=dt)
    ty_proj = factories.make_project(
        "太原轨道交通项目", ty, enterprise=ty_ent, industry=industry, plan=plan, total_investment=10
    )
    dt_proj = factories.make_project(
        "大同机车项目", dt, enterprise=dt_ent, industry=industry, plan=plan, total_investment=20
    )
    batch = factories.make_batch(entries=[(ty_proj, "sign"), (dt_proj, "start")])
    return {
        "plan": plan,
        "industry": industry,
        "zone": zone,
        "target": target,
        "ty_obs": factories.make_observation(ty, indicator="太原指标", target=target),
        "dt_obs": factories.make_observation(dt, indicator="大同指标", target=target),
        "province_obs": factories.make_observation(regions["140000"], target=target),
        "ty_ent": ty_ent,
        "dt_ent": dt_ent,
        "free_ent": factories.make_enterprise("中国科学院山西煤炭化学研究所", None, kind="institute"),
        "ty_park": ty_park,
        "dt_park": dt_park,
        "ty_proj": ty_proj,
        "dt_proj": dt_proj,
        "ty_report": factories.make_report(ty_proj),
        "dt_report": factories.make_report(dt_proj),
        "ty_base": factories.make_base(plan, "ty-rail", [ty], name="太原轨道交通装备制造基地"),
        "shared_base": factories.make_base(plan, "coal-machine", [ty, dt], name="煤机装备基地"),
        "dt_base": factories.make_base(plan, "dt-rail", [dt], name="大同轨道交通装备制造基地"),
        "evaluation": Evaluation.objects.create(
            plan=plan, kind="annual", as_of=datetime.date(2023, 12, 31), title="2023年度评估报告"
        ),
        "ty_milestone": factories.make_milestone(ty_proj),
        "dt_milestone": factories.make_milestone(dt_proj),
        "ty_year_plan": factories.make_year_plan(ty_proj),
        "dt_year_plan": factories.make_year_plan(dt_proj),
        "ty_warning": factories.make_warning(ty_proj),
        "dt_warning": factories.make_warning(dt_proj),
        "batch": batch,
        "ty_batch_entry": batch.entries.get(project=ty_proj),
        "dt_batch_entry": batch.entries.get(project=dt_proj),
    }

"""Plain builders for test data; every test package uses these instead of ad-hoc ORM calls."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache import cache

from common.models import StaffProfile
from plans.models import Indicator, Industry, Observation, Plan, Target
from plans.services import observation_create, target_create
from projects import figures, rollups
from projects.models import (
    Batch,
    BatchProject,
    Enterprise,
    IndustryBase,
    KeyProject,
    Milestone,
    ProjectReport,
    ProjectWarning,
    ProjectYearPlan,
)
from regions.models import LayoutScheme, Park, Region, Zone, ZoneMembership
from regions.selectors import BOUNDARIES_CACHE_KEY

CITIES = {
    "140100": "太原",
    "140200": "大同",
    "140300": "阳泉",
    "140400": "长治",
    "140500": "晋城",
    "140600": "朔州",
    "140700": "晋中",
    "140800": "运城",
    "140900": "忻州",
    "141000": "临汾",
    "141100": "吕梁",
}


def make_regions() -> dict[str, Region]:
    province, _ = Region.objects.get_or_create(
        code="140000", defaults={"name": "山西省", "short_name": "山西", "level": "province"}
    )
    regions = {"140000": province}
    for code, short in CITIES.items():
        regions[code], _ = Region.objects.get_or_create(
            code=code, defaults={"name": f"{short}市", "short_name": short, "level": "city", "parent": province}
        )
    regions["140702"], _ = Region.objects.get_or_create(
        code="140702", defaults={"name": "榆次区", "level": "county", "parent": regions["140700"]}
    )
    regions["140105"], _ = Region.objects.get_or_create(
        code="140105", defaults={"name": "小店区", "level": "county", "parent": regions["140100"]}
    )
    # As the region services do: the cities' outlines cached for another test world are stale now.
    cache.delete(BOUNDARIES_CACHE_KEY)
    return regions


def make_user(username: str, role: str | None, cities=(), **extra):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username, is_staff=True, **extra)
    if role:
        profile = StaffProfile.objects.create(user=user, role=role)
        profile.cities.set(cities)
    return user


def make_industry(code="2", name="高端装备制造产业", parent=None) -> Industry:
    return Industry.objects.get_or_create(code=code, defaults={"name": name, "parent": parent})[0]


def make_plan(code="sx-14th-sei", **fields) -> Plan:
    defaults = {
        "title": "山西省“十四五”战略性新兴产业发展规划",
        "short_title": "十四五战新规划",
        "period_start": 2021,
        "period_end": 2025,
    }
    defaults.update(fields)
    return Plan.objects.get_or_create(code=code, defaults=defaults)[0]


def make_indicator(name="战略性新兴产业增加值占比", unit="%", **fields) -> Indicator:
    """The indicator of this name (made on first use, its key derived from its id)."""
    indicator = Indicator.objects.filter(name=name).first()
    if indicator is None:
        indicator = Indicator.objects.create(name=name, unit=unit, key=f"i{Indicator.objects.count() + 1}", **fields)
    return indicator


def make_target(plan, scope, key="share", *, name="战略性新兴产业增加值占比", unit="%", **fields) -> Target:
    """A target, through its service (which derives its progress row); its indicator is named as it is."""
    defaults = {"target_value": Decimal("12"), "target_year": 2025}
    defaults.update(fields)
    indicator = defaults.pop("indicator", None) or make_indicator(name, unit)
    data = {"plan": plan, "scope": scope, "key": key, "name": name, "indicator": indicator, **defaults}
    return target_create(user=None, data=data)


def make_observation(scope, year=2020, value="9.3", *, indicator=None, unit="%", target=None, **fields) -> Observation:
    """An observation, through its service (which refreshes the progress of its indicator's targets).

    ``indicator`` is an Indicator or a name; by default the indicator of ``target``.
    """
    if not isinstance(indicator, Indicator):
        indicator = (
            target.indicator
            if target is not None and indicator is None
            else make_indicator(indicator or "战略性新兴产业增加值占比", unit)
        )
    data = {"scope": scope, "year": year, "value": Decimal(value), "indicator": indicator, **fields}
    return observation_create(user=None, data=data)


def make_enterprise(name, city=None, **fields) -> Enterprise:
    return Enterprise.objects.create(name=name, city=city, **fields)


def make_project(name, city, **fields) -> KeyProject:
    """A project written directly, its rollups kept as the services keep them."""
    project = KeyProject.objects.create(name=name, city=city, **fields)
    rollups.apply(after=rollups.states([project.pk]))
    return project


def make_report(project, year=2024, month=1, **fields) -> ProjectReport:
    fields.setdefault("stage", project.stage)
    report = ProjectReport.objects.create(project=project, year=year, month=month, **fields)
    figures.refresh(project_ids=[project.pk])  # written with the ORM, not the services: recount its figures
    return report


def make_park(name, city, **fields) -> Park:
    return Park.objects.create(name=name, city=city, **fields)


def make_base(plan, key, cities, **fields) -> IndustryBase:
    fields.setdefault("name", key)
    base = IndustryBase.objects.create(plan=plan, key=key, **fields)
    base.cities.set(cities)
    return base


def make_zone(plan, name, kind, cities) -> Zone:
    scheme = LayoutScheme.objects.get_or_create(plan=plan, name="一核两带四板块")[0]
    zone = Zone.objects.create(scheme=scheme, name=name, kind=kind)
    for city in cities:
        ZoneMembership.objects.create(zone=zone, region=city)
    return zone


def make_milestone(project, code="start", planned_on=datetime.date(2024, 3, 1), **fields) -> Milestone:
    fields.setdefault("baseline_on", planned_on)
    return Milestone.objects.create(project=project, code=code, planned_on=planned_on, **fields)


def make_year_plan(project, year=2024, planned_investment="12.00", **fields) -> ProjectYearPlan:
    plan = ProjectYearPlan.objects.create(
        project=project, year=year, planned_investment=Decimal(planned_investment), **fields
    )
    figures.refresh(project_ids=[project.pk])
    return plan


def make_batch(name="2024年第一季度三个一批活动", held_on=datetime.date(2024, 3, 28), entries=()) -> Batch:
    """A batch with ``entries``: (project, kind) pairs."""
    batch = Batch.objects.create(name=name, held_on=held_on)
    for project, kind in entries:
        BatchProject.objects.create(batch=batch, project=project, kind=kind)
    return batch


def make_warning(project, rule="no_report", level="yellow", opened_on=datetime.date(2024, 5, 1), **fields):
    fields.setdefault("message", "测试预警")
    warning = ProjectWarning.objects.create(project=project, rule=rule, level=level, opened_on=opened_on, **fields)
    figures.refresh(project_ids=[project.pk])
    return warning

"""A plan with graded targets, city allocations and projects in two cities, evaluated as of 2023-12-31.

Built once per module; the mid-term report is generated once (through the jobs machinery, eagerly)
and its files kept in memory for the tests that read them.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import TestCase

from common.choices import RoleChoices
from evaluations.services import evaluation_create, evaluation_generate
from plans.choices import TargetNatureChoices
from projects.choices import ProjectStageChoices
from tests import factories
from tests.shared import built_once, fresh_copy

AS_OF = datetime.date(2023, 12, 31)
#: A project of 大同 that no 太原 clerk may read of in a non-public report.
DATONG_SECRET = "大同氢能重卡示范项目"


def _target(plan, scope, key, name, baseline, goal, values, *, parent=None, nature=TargetNatureChoices.EXPECTED):
    target = factories.make_target(
        plan,
        scope,
        key,
        name=name,
        unit="%",
        baseline_value=Decimal(baseline),
        baseline_year=2020,
        target_value=Decimal(goal),
        nature=nature,
        parent=parent,
    )
    for year, value in values:
        factories.make_observation(scope, year=year, value=value, target=target)
    return target


def build() -> SimpleNamespace:
    d = SimpleNamespace()
    regions = factories.make_regions()
    d.province, d.taiyuan, d.datong = regions["140000"], regions["140100"], regions["140200"]
    d.province_user = factories.make_user("sheng", RoleChoices.PROVINCE)
    d.taiyuan_user = factories.make_user("taiyuan", RoleChoices.CITY, [d.taiyuan])
    d.viewer = factories.make_user("guest", RoleChoices.VIEWER)
    d.plan = factories.make_plan()
    p = d.province
    # Straight paths from 2020 to 2025: 序时进度 at 2023-12-31 is 0.5997.
    d.faster = _target(d.plan, p, "share", "战略性新兴产业增加值占比", "10", "20", [("2023", "17")], nature="binding")
    d.lagging = _target(d.plan, p, "rd", "研发投入强度", "100", "200", [("2022", "120"), ("2023", "130")])
    d.ahead = _target(d.plan, p, "labs", "国家级实验室数量", "5", "8", [("2022", "9")])
    d.on_track = _target(d.plan, p, "digital", "数字经济核心产业占比", "100", "200", [("2023", "150")])
    d.no_data = _target(d.plan, p, "parks", "新型工业化示范基地数量", "3", "6", [])
    d.ty_alloc = _target(d.plan, d.taiyuan, "rd-ty", "研发投入强度", "100", "210", [("2023", "170")], parent=d.lagging)
    d.dt_alloc = _target(d.plan, d.datong, "rd-dt", "研发投入强度", "100", "190", [("2023", "111")], parent=d.lagging)
    industry = factories.make_industry()
    d.ty_project = factories.make_project(
        "太原轨道交通装备项目",
        d.taiyuan,
        plan=d.plan,
        industry=industry,
        total_investment=Decimal("10.5"),
        stage=ProjectStageChoices.IN_PRODUCTION,
        started_on=datetime.date(2022, 3, 1),
        production_on=datetime.date(2024, 6, 1),
    )
    signed = ProjectStageChoices.SIGNED
    d.ty_unknown = factories.make_project("太原碳基新材料项目", d.taiyuan, plan=d.plan, stage=signed)
    d.dt_project = factories.make_project(
        DATONG_SECRET, d.datong, plan=d.plan, total_investment=Decimal("20"), stage=ProjectStageChoices.STARTED
    )
    factories.make_report(d.ty_project, year=2023, month=6, stage=ProjectStageChoices.STARTED, investment_completed=3)
    factories.make_report(d.ty_project, year=2024, month=6, stage=ProjectStageChoices.IN_PRODUCTION)
    # Milestones and warnings as they stood on 2023-12-31 (later ones must not count).
    factories.make_milestone(
        d.ty_project, "start", datetime.date(2022, 3, 1), actual_on=datetime.date(2022, 3, 1), status="met"
    )
    factories.make_milestone(d.ty_project, "completion", datetime.date(2023, 6, 30))
    factories.make_milestone(d.ty_project, "production", datetime.date(2024, 6, 1))
    factories.make_warning(
        d.dt_project, "investment_behind", "red", datetime.date(2023, 5, 1), message="投资滞后于序时进度"
    )
    factories.make_warning(
        d.dt_project, "no_report", "red", datetime.date(2023, 9, 1), escalated_on=datetime.date(2024, 2, 1)
    )
    factories.make_warning(d.dt_project, "stage_late", "red", datetime.date(2024, 3, 1))
    factories.make_warning(
        d.ty_project, "no_report", "yellow", datetime.date(2023, 10, 1), resolved_on=datetime.date(2023, 11, 1)
    )
    d.evaluation = evaluation_create(
        user=d.province_user,
        data={
            "plan": d.plan,
            "kind": "midterm",
            "as_of": AS_OF,
            "problems": "一是部分指标统计口径尚不统一。",
            "next_steps": "加强重点项目调度。",
        },
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        d.job = evaluation_generate(evaluation=d.evaluation, user=d.province_user)
    d.evaluation.refresh_from_db()
    d.job.refresh_from_db()
    d.files = {f.file_format: bytes(f.content) for f in d.evaluation.files.all()}
    return d


@pytest.fixture(scope="module")
def evaluation_world(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build, shared_by_modules=True)


@pytest.fixture
def ev(evaluation_world, db) -> SimpleNamespace:
    return fresh_copy(evaluation_world)

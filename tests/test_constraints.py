"""Every database constraint rejects bad values at the database and with a message in the admin form."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.test import RequestFactory

from common.models import StaffProfile
from plans.models import Observation, Plan, Program, Target
from projects.models import Enterprise, IndustryBase, KeyProject, Milestone, ProjectReport, ProjectYearPlan
from regions.models import Park, Region, Zone

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True

# (model, constraint name suffix, bad values, the message the admin shows)
CASES = [
    (Region, "code_gbt2260", {"code": "14010"}, "行政区划代码须为 6 位数字"),
    (Region, "level_valid", {"level": "village"}, "层级须为"),
    (Region, "parent_by_level", {"parent": None}, "市、县必须有上级区划"),
    (Plan, "period_ordered", {"period_start": 2025, "period_end": 2021}, "起始年份不能晚于终止年份"),
    (Plan, "period_sane", {"period_start": 1800, "period_end": 1801}, "1949 至 2100"),
    (Plan, "status_valid", {"status": "lost"}, "规划状态无效"),
    (Plan, "kind_valid", {"kind": "poem"}, "文种无效"),
    (Target, "baseline_before_target", {"baseline_year": 2026, "baseline_value": 1}, "基期年份不能晚于目标年份"),
    (Target, "years_sane", {"target_year": 2200}, "1949 至 2100"),
    (Target, "comparator_valid", {"comparator": "xx"}, "比较方式无效"),
    (Target, "range_ordered", {"comparator": "range", "target_value_max": Decimal("1")}, "上限不能小于目标值"),
    (Target, "range_has_max", {"comparator": "range", "target_value_max": None}, "区间目标须填写目标值上限"),
    (Target, "baseline_has_year", {"baseline_value": Decimal("5"), "baseline_year": None}, "须同时填写基期年份"),
    (Observation, "year_sane", {"year": 1900}, "1949 至 2100"),
    (Observation, "quarter_valid", {"quarter": 5}, "季度须为"),
    (Observation, "month_valid", {"month": 13}, "月份须为"),
    (Observation, "quarter_or_month", {"quarter": 2, "month": 5}, "季度和月份不能同时填写"),
    (Observation, "qualifier_valid", {"qualifier": "maybe"}, "限定词无效"),
    (Observation, "status_valid", {"status": "rumour"}, "数据状态无效"),
    (Target, "nature_valid", {"nature": "optional"}, "目标属性无效"),
    (Program, "kind_valid", {"kind": "dream"}, "工程类别无效"),
    (Zone, "kind_valid", {"kind": "ring"}, "分区类型须为"),
    (Park, "level_valid", {"level": "galactic"}, "园区级别无效"),
    (Park, "kind_valid", {"kind": "moon"}, "园区类型无效"),
    (Enterprise, "kind_valid", {"kind": "guild"}, "企业类型无效"),
    (IndustryBase, "revenue_nonnegative", {"revenue_target": Decimal("-1"), "revenue_target_year": 2025}, "不能为负数"),
    (IndustryBase, "year_sane", {"revenue_target_year": 3000}, "1949 至 2100"),
    (
        IndustryBase,
        "revenue_has_year",
        {"revenue_target": Decimal("5"), "revenue_target_year": None},
        "须同时填写目标年份",
    ),
    (IndustryBase, "kind_valid", {"kind": "castle"}, "基地类型无效"),
    (KeyProject, "investment_nonnegative", {"total_investment": Decimal("-0.01")}, "总投资不能为负数"),
    (KeyProject, "capacity_nonnegative", {"capacity_value": Decimal("-5")}, "产能不能为负数"),
    (KeyProject, "stage_valid", {"stage": "dreaming"}, "项目阶段无效"),
    (
        KeyProject,
        "signed_before_started",
        {"signed_on": datetime.date(2024, 5, 1), "started_on": datetime.date(2024, 1, 1)},
        "签约日期不能晚于开工日期",
    ),
    (
        KeyProject,
        "started_before_production",
        {"started_on": datetime.date(2024, 5, 1), "production_on": datetime.date(2024, 1, 1)},
        "开工日期不能晚于投产日期",
    ),
    (ProjectReport, "month_valid", {"month": 13}, "月份须在 1 至 12 之间"),
    (ProjectReport, "year_sane", {"year": 1999}, "2000 至 2100"),
    (ProjectReport, "investment_nonnegative", {"investment_completed": Decimal("-1")}, "完成投资不能为负数"),
    (ProjectReport, "stage_valid", {"stage": "asleep"}, "项目阶段无效"),
    (ProjectReport, "problem_level_valid", {"problem_level": "county"}, "协调层级无效"),
    (ProjectReport, "problem_has_level", {"problems": "用地指标不足"}, "须同时选择协调层级"),
    (Milestone, "code_valid", {"code": "dreaming"}, "里程碑类型无效"),
    (Milestone, "status_valid", {"status": "asleep"}, "里程碑状态无效"),
    (Milestone, "other_has_name", {"code": "other"}, "须填写名称"),
    (Milestone, "actual_only_when_met", {"actual_on": datetime.date(2024, 3, 2)}, "才能填写实际日期"),
    (Milestone, "met_has_actual", {"status": "met"}, "须填写实际日期"),
    (ProjectYearPlan, "investment_nonnegative", {"planned_investment": Decimal("-1")}, "不能为负数"),
    (ProjectYearPlan, "year_sane", {"year": 1999}, "2000 至 2100"),
    (StaffProfile, "role_valid", {"role": "king"}, "角色必须是"),
]


def instance_of(model, world, regions):
    from tests import factories

    existing = {
        Region: regions["140100"],
        Plan: world["plan"],
        Target: world["target"],
        Observation: world["ty_obs"],
        Zone: world["zone"],
        Park: world["ty_park"],
        Enterprise: world["ty_ent"],
        IndustryBase: world["ty_base"],
        KeyProject: world["ty_proj"],
        ProjectReport: world["ty_report"],
        Milestone: world["ty_milestone"],
        ProjectYearPlan: world["ty_year_plan"],
    }
    if model is Program:
        return world["plan"].programs.get()
    if model is StaffProfile:
        return factories.make_user("someone", "province").staff_profile
    return existing[model]


def test_every_check_constraint_has_a_case():
    covered = {f"{m._meta.app_label}_{m._meta.model_name}_{suffix}" for m, suffix, _, _ in CASES}
    checks = {
        c.name
        for model in {case[0] for case in CASES}
        for c in model._meta.constraints
        if c.__class__.__name__ == "CheckConstraint"
    }
    assert checks <= covered, f"constraints without a test case: {sorted(checks - covered)}"


@pytest.mark.parametrize("model,suffix,bad,message", CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_database_rejects(model, suffix, bad, message, world, regions):
    obj = instance_of(model, world, regions)
    before = model.objects.filter(pk=obj.pk).values().get()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        model.objects.filter(pk=obj.pk).update(**bad)
    assert suffix in str(excinfo.value) or "CHECK" in str(excinfo.value).upper() or "constraint" in str(excinfo.value)
    assert model.objects.filter(pk=obj.pk).values().get() == before


@pytest.mark.parametrize("model,suffix,bad,message", CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_admin_form_shows_message(model, suffix, bad, message, world, regions):
    from tests import factories

    superuser = factories.make_user("root", None, is_superuser=True)
    obj = instance_of(model, world, regions)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = superuser
    form_class = model_admin.get_form(request, obj)
    data = {k: v for k, v in model_to_dict(obj).items() if v is not None}
    for key, value in list(data.items()):
        if isinstance(value, list):
            data[key] = [getattr(v, "pk", v) for v in value]
    data.update({k: ("" if v is None else getattr(v, "pk", v)) for k, v in bad.items()})
    form = form_class(data=data, instance=obj)
    assert not form.is_valid()
    if all(value not in dict(model._meta.get_field(name).flatchoices or {value: ""}) for name, value in bad.items()):
        message = "不在可选范围内"  # the form's choice field refuses it before the constraint does
    shown = " ".join(" ".join(errors) for errors in form.errors.values())
    assert message in shown, f"{message!r} not in {form.errors!r}"


def test_unique_natural_keys(world, regions):
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(
            plan=world["plan"],
            key=world["target"].key,
            name="x",
            target_value=1,
            target_year=2025,
            scope=regions["140000"],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectReport.objects.create(project=world["ty_proj"], year=2024, month=1, stage="planned")
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyProject.objects.create(name=world["ty_proj"].name, city=regions["140100"])


def test_protected_foreign_keys(world, regions):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        regions["140100"].delete()
    with pytest.raises(ProtectedError):
        world["ty_ent"].delete()

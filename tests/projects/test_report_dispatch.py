"""Monthly dispatch reports: the import template's report columns, unknown amounts kept unknown, the
round trip, and a deleted report taking the project's stage back on every path (service, API, admin, import)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from common.choices import RoleChoices
from common.tables import write_table
from projects.models import KeyProject, ProjectReport, ProjectWarning
from projects.services import project_report_create, project_report_delete
from tests import factories
from tests.shared import built_once, fresh_copy
from transfers import services as transfers
from transfers.datasets import DATASETS
from transfers.spreadsheet import read_table

pytestmark = pytest.mark.django_db

HEADERS = DATASETS["reports"].headers


def build():
    regions = factories.make_regions()
    ty, dt = regions["140100"], regions["140200"]
    world = {
        "province": factories.make_user("sheng", RoleChoices.PROVINCE),
        "ty_staff": factories.make_user("ty", RoleChoices.CITY, [ty]),
        "ty_project": factories.make_project("太原调度项目", ty, stage="signed"),
        "dt_project": factories.make_project("大同调度项目", dt, stage="signed"),
    }
    return world


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build)


@pytest.fixture
def w(built, db):
    return fresh_copy(built)


def row(**cells) -> list:
    return [cells.get(header, "") for header in HEADERS]


def run(user, content, file_name="r.xlsx", dataset="reports"):
    job = transfers.import_job_create(
        user=user, dataset_name=dataset, file_name=file_name, content=content, dry_run=False
    )
    job.refresh_from_db()
    return job


def xlsx(rows) -> bytes:
    return write_table(HEADERS, rows, "xlsx")


def report(project, year, month, stage, user):
    return project_report_create(user=user, data={"project": project, "year": year, "month": month, "stage": stage})


def stage_of(project) -> str:
    return KeyProject.objects.get(pk=project.pk).stage


# The import template -------------------------------------------------------------------------------


def test_the_report_template_carries_the_dispatch_columns_with_a_level_dropdown():
    assert HEADERS[-3:] == ["形象进度", "需协调解决的问题", "协调层级"]
    template = transfers.template_file(dataset=DATASETS["reports"], file_format="xlsx")
    book = load_workbook(io.BytesIO(template))
    options = book["选项"]
    lists = {options.cell(row=1, column=c).value: c for c in range(1, options.max_column + 1)}
    column = lists["协调层级"]
    assert [options.cell(row=r, column=column).value for r in range(2, 5)] == ["市级", "省级", "国家"]
    guide = {r[0].value: r[2].value for r in book["填写说明"].iter_rows(min_row=2) if r[0].value}
    assert "不要填 0" in guide["本期完成投资（亿元）"]


def test_import_keeps_an_empty_amount_unknown_and_reads_progress_problems_and_level(w):
    rows = [
        row(**{"项目名称": "太原调度项目", "年份": 2025, "月份": 3, "阶段": "开工", "本期完成投资（亿元）": "",
               "形象进度": "主体结构完成60%", "需协调解决的问题": "施工用电未接通", "协调层级": "省级"}),
        row(**{"项目名称": "太原调度项目", "年份": 2025, "月份": 2, "阶段": "签约", "本期完成投资（亿元）": 0}),
    ]  # fmt: skip
    job = run(w["ty_staff"], xlsx(rows))
    assert job.counts == {"total": 2, "created": 2, "updated": 0, "unchanged": 0}, job.errors
    march = ProjectReport.objects.get(project=w["ty_project"], year=2025, month=3)
    assert march.investment_completed is None  # unknown, never 0
    assert (march.progress, march.problems, march.problem_level) == ("主体结构完成60%", "施工用电未接通", "province")
    february = ProjectReport.objects.get(project=w["ty_project"], year=2025, month=2)
    assert february.investment_completed == Decimal("0") and february.problem_level == ""
    assert stage_of(w["ty_project"]) == "started"  # the latest report moved the stage

    # Clearing the problem and its level in the file clears them on the report.
    cleared = row(
        **{"项目名称": "太原调度项目", "年份": 2025, "月份": 3, "阶段": "开工", "形象进度": "主体结构完成60%"}
    )
    assert run(w["ty_staff"], xlsx([cleared])).counts["updated"] == 1
    march.refresh_from_db()
    assert (march.problems, march.problem_level, march.investment_completed) == ("", "", None)


def test_a_problem_without_its_level_is_a_row_error_in_words(w):
    rows = [
        row(
            **{"项目名称": "太原调度项目", "年份": 2025, "月份": 4, "阶段": "开工", "需协调解决的问题": "缺少用地指标"}
        ),
        row(**{"项目名称": "太原调度项目", "年份": 2025, "月份": 5, "阶段": "开工", "协调层级": "区级"}),
    ]
    job = run(w["ty_staff"], xlsx(rows))
    assert [error["text"] for error in job.errors] == [
        "第 2 行「需协调解决的问题」：填写需协调解决的问题时须同时选择协调层级（反之亦然）。",
        "第 3 行「协调层级」：「区级」不是有效的选项，可选：市级、省级、国家。",
    ]
    assert not ProjectReport.objects.filter(project=w["ty_project"]).exists()


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_then_import_changes_nothing_and_keeps_unknown_amounts(w, file_format):
    factories.make_report(
        w["ty_project"], 2025, 1, investment_completed=None, progress="土建", problems="资金", problem_level="city"
    )
    factories.make_report(w["ty_project"], 2025, 2, investment_completed=Decimal("1.25"), note="进展顺利")
    factories.make_report(w["dt_project"], 2025, 2, investment_completed=None)
    export = transfers.export_job_create(user=w["ty_staff"], dataset_name="reports", file_format=file_format)
    export.refresh_from_db()
    table = read_table(bytes(export.result), export.file_name)
    cells = {(r[0], int(r[2])): dict(zip(table.header, r, strict=False)) for _, r in table.rows}
    assert set(cells) == {("太原调度项目", 1), ("太原调度项目", 2)}  # only the user's city
    assert cells[("太原调度项目", 1)]["本期完成投资（亿元）"] in (None, "")
    assert cells[("太原调度项目", 1)]["协调层级"] == "市级"
    again = run(w["ty_staff"], bytes(export.result), file_name=export.file_name)
    assert again.counts == {"total": 2, "created": 0, "updated": 0, "unchanged": 2}, again.errors
    assert ProjectReport.objects.get(project=w["ty_project"], month=1).investment_completed is None


# A deleted report takes the stage back ------------------------------------------------------------------


def test_deleting_the_latest_report_returns_to_the_stage_of_the_report_now_latest(w):
    user = w["ty_staff"]
    report(w["ty_project"], 2025, 1, "started", user)
    latest = report(w["ty_project"], 2025, 2, "in_production", user)
    assert stage_of(w["ty_project"]) == "in_production"
    project_report_delete(instance=latest, user=user)
    assert stage_of(w["ty_project"]) == "started"
    history = KeyProject.history.filter(id=w["ty_project"].pk).order_by("-history_date", "-history_id").first()
    assert (history.stage, history.history_change_reason) == ("started", "撤回2025年2月调度报告")


def test_deleting_the_only_report_returns_to_the_stage_before_it(w):
    only = report(w["ty_project"], 2025, 1, "started", w["ty_staff"])
    project_report_delete(instance=only, user=w["ty_staff"])
    assert stage_of(w["ty_project"]) == "signed"


def test_deleting_an_older_report_or_one_a_later_edit_overrode_keeps_the_stage(w):
    user = w["province"]
    older = report(w["ty_project"], 2025, 1, "started", user)
    latest = report(w["ty_project"], 2025, 2, "in_production", user)
    project_report_delete(instance=older, user=user)
    assert stage_of(w["ty_project"]) == "in_production"
    # The province set the stage by hand after the report: the hand's stage stands.
    KeyProject.objects.filter(pk=w["ty_project"].pk).update(stage="at_capacity")
    project_report_delete(instance=latest, user=user)
    assert stage_of(w["ty_project"]) == "at_capacity"


def test_deleting_a_report_over_the_api_and_in_the_admin_moves_the_stage_back(w):
    user = get_user_model().objects.get(pk=w["ty_staff"].pk)
    report(w["ty_project"], 2025, 1, "started", user)
    february = report(w["ty_project"], 2025, 2, "in_production", user)
    api = APIClient()
    api.force_authenticate(user)
    assert api.delete(f"/api/v1/project-reports/{february.pk}/").status_code == 204
    assert stage_of(w["ty_project"]) == "started"

    january = ProjectReport.objects.get(project=w["ty_project"], month=1)
    admin = Client()
    admin.force_login(user)
    response = admin.post(reverse("admin:projects_projectreport_delete", args=[january.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert stage_of(w["ty_project"]) == "signed"


def test_a_deleted_report_that_had_started_the_project_reopens_its_stage_warning(w):
    """Warnings are re-evaluated after the delete, on the stage it leaves: 开工 planned 100 days ago."""
    planned = timezone.localdate() - datetime.timedelta(days=100)
    factories.make_milestone(w["ty_project"], code="start", planned_on=planned)
    started = report(w["ty_project"], 2025, 1, "started", w["ty_staff"])
    assert not ProjectWarning.objects.filter(project=w["ty_project"], resolved_on__isnull=True).exists()
    project_report_delete(instance=started, user=w["ty_staff"])
    warning = ProjectWarning.objects.get(project=w["ty_project"], resolved_on__isnull=True)
    assert (warning.rule, warning.level, warning.figures["actual"]) == ("stage_late", "red", "signed")


# Year plans (年度投资计划) ---------------------------------------------------------------------------


def test_year_plans_import_by_project_and_year_and_round_trip(w):
    headers = DATASETS["year_plans"].headers
    assert headers == ["项目名称", "年份", "年度计划投资（亿元）", "说明"]
    rows = [["太原调度项目", 2025, "18.5", "省重点"], ["太原调度项目", 2026, "", ""], ["大同调度项目", 2025, 3, ""]]
    job = run(w["ty_staff"], write_table(headers, rows, "xlsx"), dataset="year_plans")
    assert [error["text"] for error in job.errors] == [
        "第 3 行「年度计划投资（亿元）」：不能为空。",
        "第 4 行「项目名称」：未找到项目「大同调度项目」，请先导入该项目。",
    ]
    assert not w["ty_project"].year_plans.exists()  # all or nothing
    job = run(w["ty_staff"], write_table(headers, rows[:1], "xlsx"), dataset="year_plans")
    assert job.counts["created"] == 1, job.errors
    assert w["ty_project"].year_plans.get(year=2025).planned_investment == Decimal("18.50")
    export = transfers.export_job_create(user=w["ty_staff"], dataset_name="year_plans", file_format="csv")
    export.refresh_from_db()
    again = run(w["ty_staff"], bytes(export.result), file_name=export.file_name, dataset="year_plans")
    assert again.counts == {"total": 1, "created": 0, "updated": 0, "unchanged": 1}, again.errors

"""The import engine: preview, atomic apply, idempotency, scope, each kind, export round-trip."""

import io
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from jobs.choices import JobStatusChoices
from plans.models import Observation
from projects.models import Enterprise, KeyProject, ProjectReport
from sxplan_site.api_urls import router as api_router
from transfers import services
from transfers.datasets import DATASETS
from transfers.spreadsheet import read_table

from .conftest import csv_bytes, header, project_row, xlsx_bytes

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True


def run(user, dataset, content, *, dry_run=False, file_name="data.xlsx"):
    job = services.import_job_create(
        user=user, dataset_name=dataset, file_name=file_name, content=content, dry_run=dry_run
    )
    job.refresh_from_db()
    return job


def texts(job):
    return [error["text"] for error in job.errors]


def test_preview_lists_every_row_error_in_words_and_writes_nothing(world, province_user, project_file):
    before = KeyProject.objects.count()
    content = project_file(
        project_row("新项目甲", **{"总投资（亿元）": 12.5, "阶段": "开工"}),
        project_row("新项目乙", city="火星市"),
        project_row("新项目丙", **{"总投资（亿元）": -3}),
        project_row("", **{"签约日期": "2024-13-45"}),
    )
    job = run(province_user, "projects", content, dry_run=True)
    assert job.status == JobStatusChoices.FAILED
    assert texts(job) == [
        "第 3 行「所在城市（代码或名称）」：未找到城市「火星市」，"
        "请填写设区市的名称（如 太原市）或 6 位行政区划代码（如 140100）。",
        "第 4 行「总投资（亿元）」：不能为负数。",
        "第 5 行「项目名称」：不能为空。",
        "第 5 行「签约日期」：「2024-13-45」不是有效的日期，请按 2024-03-01 的格式填写。",
    ]
    assert "未导入任何数据" in job.message
    assert KeyProject.objects.count() == before


def test_successful_preview_counts_without_writing_then_apply_writes_all(world, province_user, project_file):
    content = project_file(
        project_row("新项目甲", **{"总投资（亿元）": 12.5, "阶段": "开工", "建设单位": "太重集团"}),
        project_row(
            "太原轨道交通项目",
            **{
                "总投资（亿元）": 10,
                "建设单位": "太原重工股份有限公司",
                "产业（代码或名称）": "高端装备制造产业",
                "所属规划（简称或标题）": "sx-14th-sei",
                "阶段": "谋划",
            },
        ),
    )
    preview = run(province_user, "projects", content, dry_run=True)
    assert preview.status == JobStatusChoices.SUCCEEDED, preview.errors
    assert preview.counts == {"total": 2, "created": 1, "updated": 0, "unchanged": 1}
    assert [row["action"] for row in preview.preview] == ["created", "unchanged"]
    assert not KeyProject.objects.filter(name="新项目甲").exists()

    applied = services.import_job_apply(preview=preview, user=province_user)
    applied.refresh_from_db()
    assert applied.status == JobStatusChoices.SUCCEEDED
    project = KeyProject.objects.get(name="新项目甲")
    assert (project.stage, project.total_investment, project.enterprise) == (
        "started",
        Decimal("12.5"),
        world["ty_ent"],
    )
    assert project.city.code == "140100"
    record = project.history.get()
    assert (record.history_type, record.history_user) == ("+", province_user)


def test_reimporting_the_same_file_changes_nothing(world, province_user, project_file):
    content = project_file(project_row("新项目甲", **{"总投资（亿元）": 1, "签约日期": "2024/3/1"}))
    first = run(province_user, "projects", content)
    assert first.counts["created"] == 1, first.errors
    histories = KeyProject.history.count()
    again = run(province_user, "projects", content)
    assert again.counts == {"total": 1, "created": 0, "updated": 0, "unchanged": 1}
    assert KeyProject.history.count() == histories


def test_one_bad_row_rolls_back_every_row(world, province_user, project_file):
    content = project_file(
        project_row("新项目甲"),
        project_row("太原轨道交通项目", **{"总投资（亿元）": 99}),
        project_row("新项目乙", **{"签约日期": "2024-05-01", "开工日期": "2024-01-01"}),
    )
    job = run(province_user, "projects", content)
    assert job.status == JobStatusChoices.FAILED
    assert texts(job) == ["第 4 行「签约日期」：签约日期不能晚于开工日期。"]
    assert not KeyProject.objects.filter(name="新项目甲").exists()
    assert KeyProject.objects.get(name="太原轨道交通项目").total_investment == 10


def test_repeated_natural_key_in_one_file_is_an_error(world, province_user, project_file):
    job = run(province_user, "projects", project_file(project_row("新项目甲"), project_row("新项目甲")))
    assert texts(job) == ["第 3 行「项目名称」：与第 2 行重复（新项目甲）。"]


def test_city_user_imports_only_within_own_cities(world, taiyuan_user, project_file):
    content = project_file(
        project_row("太原新项目"),
        project_row("大同新项目", city="140200"),
        project_row("大同机车项目", city="太原"),
    )
    job = run(taiyuan_user, "projects", content)
    assert texts(job) == [
        "第 3 行「所在城市（代码或名称）」：只能选择本人负责的城市及其所辖县（市、区）。",
        "第 4 行「项目名称」：「大同机车项目」已被使用，您无权修改该记录。",
    ]
    assert not KeyProject.objects.filter(name="太原新项目").exists()
    ok = run(taiyuan_user, "projects", project_file(project_row("太原新项目", **{"所在县（市、区）": "小店区"})))
    assert ok.status == JobStatusChoices.SUCCEEDED
    assert KeyProject.objects.get(name="太原新项目").county.code == "140105"


def test_county_must_belong_to_the_city(world, province_user, project_file):
    job = run(province_user, "projects", project_file(project_row("新项目甲", **{"所在县（市、区）": "榆次区"})))
    assert texts(job) == [
        "第 2 行「所在县（市、区）」：未找到太原市下的县（市、区）「榆次区」，请填写名称或 6 位行政区划代码。"
    ]


def test_unknown_or_missing_columns_refuse_the_file(world, province_user):
    with pytest.raises(services.FileRefused, match="无法识别的列：总投资"):
        run(
            province_user, "projects", xlsx_bytes([["项目名称", "所在城市（代码或名称）", "总投资"], ["甲", "太原", 1]])
        )
    with pytest.raises(services.FileRefused, match="缺少必填列：所在城市（代码或名称）"):
        run(province_user, "projects", xlsx_bytes([["项目名称"], ["甲"]]))


def test_reports_by_project_year_month(world, taiyuan_user):
    rows = [
        header("reports"),
        ["太原轨道交通项目", 2024, 2, "开工", "1.5", "进展顺利"],
        ["太原轨道交通项目", 2024, 1, "谋划", 0, "补报"],
    ]
    job = run(taiyuan_user, "reports", csv_bytes(rows), file_name="r.csv")
    assert job.counts == {"total": 2, "created": 1, "updated": 1, "unchanged": 0}, job.errors
    report = ProjectReport.objects.get(project=world["ty_proj"], year=2024, month=2)
    assert (report.stage, report.investment_completed, report.reported_by) == ("started", Decimal("1.5"), taiyuan_user)
    other_city = run(
        taiyuan_user, "reports", csv_bytes([header("reports"), ["大同机车项目", 2024, 3, "开工"]]), file_name="r.csv"
    )
    assert texts(other_city) == ["第 2 行「项目名称」：未找到项目「大同机车项目」，请先导入该项目。"]


def test_observations_by_indicator_scope_period_source(world, province_user, taiyuan_user):
    indicator = world["ty_obs"].indicator
    rows = [
        header("observations"),
        ["太原指标", "太原市", 2020, "全年", "", "9.4", "", "", "", ""],
        [indicator.key, "140100", 2024, "二季度", "", "-1.5", "左右", "初步", "", "统计公报"],
        ["太原指标", "140100", 2024, "", 5, "3", "以上", "修订", "sx-14th-sei", ""],
    ]
    job = run(taiyuan_user, "observations", xlsx_bytes(rows))
    assert job.counts == {"total": 3, "created": 2, "updated": 1, "unchanged": 0}, job.errors
    assert Observation.objects.get(pk=world["ty_obs"].pk).value == Decimal("9.4")
    quarterly = Observation.objects.get(indicator=indicator, year=2024, quarter=2)
    assert (quarterly.value, quarterly.qualifier, quarterly.status, quarterly.source) == (
        Decimal("-1.5"), "around", "preliminary", "统计公报"
    )  # fmt: skip
    monthly = Observation.objects.get(indicator=indicator, year=2024, month=5)
    assert (monthly.qualifier, monthly.status, monthly.source_plan) == ("above", "revised", world["plan"])
    assert run(taiyuan_user, "observations", xlsx_bytes(rows)).counts["unchanged"] == 3
    province_row = [header("observations"), ["太原指标", "山西省", 2024, 0, "", 1]]
    province = run(taiyuan_user, "observations", xlsx_bytes(province_row))
    assert texts(province) == ["第 2 行「范围（城市代码或名称）」：只能选择本人负责的城市及其所辖县（市、区）。"]
    assert run(province_user, "observations", xlsx_bytes(province_row)).status == "succeeded"
    unknown = run(
        province_user, "observations", xlsx_bytes([header("observations"), ["新指标", "山西省", 2024, 0, "", 1]])
    )
    assert texts(unknown) == ["第 2 行「指标（编号或名称）」：未找到指标「新指标」，请填写指标库中的指标编号或名称。"]


def test_enterprises_with_aliases_and_industries(world, province_user):
    rows = [
        header("enterprises"),
        ["太原重工股份有限公司", "太重、太重集团", "国有企业", "太原市", "", "高端装备制造产业", "是", ""],
        ["新企业", "", "", "", "", "", "", ""],
    ]
    job = run(province_user, "enterprises", xlsx_bytes(rows))
    assert job.counts == {"total": 2, "created": 1, "updated": 1, "unchanged": 0}, job.errors
    ent = Enterprise.objects.get(name="太原重工股份有限公司")
    assert sorted(ent.aliases.values_list("alias", flat=True)) == ["太重", "太重集团"]
    assert list(ent.industries.all()) == [world["industry"]]
    assert ent.is_leading and ent.kind == "state"
    assert run(province_user, "enterprises", xlsx_bytes(rows)).counts["unchanged"] == 2
    taken = run(province_user, "enterprises", xlsx_bytes([header("enterprises"), ["新企业", "太重"]]))
    assert texts(taken) == ["第 2 行「简称（以、分隔）」：简称「太重」已被企业「太原重工股份有限公司」使用。"]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_edit_import_round_trips(world, taiyuan_user, file_format):
    job = services.export_job_create(user=taiyuan_user, dataset_name="projects", file_format=file_format)
    job.refresh_from_db()
    table = read_table(bytes(job.result), job.file_name)
    assert [row[0] for _, row in table.rows] == ["太原轨道交通项目"]  # only the user's city
    again = run(taiyuan_user, "projects", bytes(job.result), file_name=job.file_name)
    assert again.counts == {"total": 1, "created": 0, "updated": 0, "unchanged": 1}, again.errors
    investment = table.header.index("总投资（亿元）")
    table.rows[0][1][investment] = 11.25
    from common.tables import write_table

    edited = write_table(table.header, [row for _, row in table.rows], file_format)
    assert run(taiyuan_user, "projects", edited, file_name=job.file_name).counts["updated"] == 1
    assert KeyProject.objects.get(name="太原轨道交通项目").total_investment == Decimal("11.25")


def test_export_honours_filters(world, province_user):
    job = services.export_job_create(
        user=province_user, dataset_name="projects", file_format="csv", filters={"city": "140200"}
    )
    job.refresh_from_db()
    assert [row[0] for _, row in read_table(bytes(job.result), "x.csv").rows] == ["大同机车项目"]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_export_jobs_file_is_stored_a_piece_at_a_time_and_read_back_whole(world, province_user, file_format):
    """PostgreSQL appends the file a chunk per statement (here 100 bytes), never holding it whole in a statement."""
    from common.tables import write_table
    from jobs import services as job_services

    with mock.patch.object(job_services, "RESULT_CHUNK", 100), CaptureQueriesContext(connection) as queries:
        job = services.export_job_create(user=province_user, dataset_name="projects", file_format=file_format)
    stored = bytes(job.result)  # read back from the database after the job
    rows = services.export_rows(dataset=DATASETS["projects"], user=province_user)
    assert (
        read_table(stored, job.file_name).rows
        == read_table(write_table(DATASETS["projects"].headers, rows, file_format), job.file_name).rows
    )
    assert len(stored) > 300 and job.status == "succeeded" and job.total_rows == 2
    appends = [q for q in queries.captured_queries if "|| " in q["sql"] and "jobs_job" in q["sql"]]
    assert len(appends) == (-(-len(stored) // 100) if connection.vendor == "postgresql" else 0)


def test_gbk_csv_from_excel_is_read(world, province_user):
    content = csv_bytes([header("projects"), project_row("新项目甲")], encoding="gb18030")
    assert run(province_user, "projects", content, file_name="p.csv").counts["created"] == 1


def test_template_has_the_headers_an_example_and_a_guide(db):
    for name in DATASETS:
        book = load_workbook(io.BytesIO(services.template_file(dataset=services.dataset_get(name), file_format="xlsx")))
        assert [c.value for c in book.worksheets[0][1]] == header(name)
        assert book.worksheets[0].max_row == 1  # the example is on a sheet of its own, never imported
        assert book.sheetnames == ["数据", "示例", "填写说明", "选项"]
        example = [c.value for c in book["示例"][2]]
        assert example == [column.example or None for column in DATASETS[name].columns]
        assert all(example[i] for i, column in enumerate(DATASETS[name].columns) if column.required)
        csv_template = services.template_file(dataset=services.dataset_get(name), file_format="csv")
        assert read_table(csv_template, "t.csv").header == header(name)


def test_export_drops_characters_a_workbook_cannot_hold(world, province_user):
    KeyProject.objects.filter(pk=world["ty_proj"].pk).update(description="甲\x07乙\x1b丙")
    job = services.export_job_create(user=province_user, dataset_name="projects", file_format="xlsx")
    job.refresh_from_db()
    table = read_table(bytes(job.result), job.file_name)
    descriptions = [row[table.header.index("说明")] for _, row in table.rows]
    assert "甲乙丙" in descriptions


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_export_filters_with_the_filterset_of_the_api_list(name):
    """A dataset names its FilterSet class (no dotted string), the one its model's API list uses.

    The API list may extend it with what only the API has (targets: ``include_unapproved``, monitoring).
    """
    dataset = DATASETS[name]
    viewsets = [
        viewset
        for _, viewset, _ in api_router.registry
        if getattr(viewset, "queryset", None) is not None and viewset.queryset.model is dataset.model
    ]
    assert viewsets
    assert all(issubclass(viewset.filterset_class, dataset.filterset) for viewset in viewsets)

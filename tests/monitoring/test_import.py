"""A submission's values through XLSX: the clerk's sheet (download → fill in offline → import back), the
API, and every refusal the import gives (other city, reported or approved submission, wrong sheet, bad cells)."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from jobs.choices import DatasetChoices
from monitoring.models import SubmissionValue
from monitoring.services import submission_approve, submission_submit, submission_values_save
from projects.services import project_report_create
from tests.shared import built_once, fresh_copy
from transfers.datasets import DATASETS
from transfers.services import import_table, submission_sheet
from transfers.spreadsheet import read_table

from .helpers import build_loop, client_for

DATASET = DATASETS[DatasetChoices.SUBMISSION_VALUES]
HEADERS = DATASET.headers


@pytest.fixture(scope="module")
def loop_once(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build_loop)


@pytest.fixture
def loop(loop_once, db):
    return fresh_copy(loop_once)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sheet_rows(content: bytes) -> list[list]:
    book = load_workbook(io.BytesIO(content))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filled(content: bytes, values: dict[str, tuple]) -> bytes:
    """The downloaded sheet with 本期数值 (and 说明) typed in per indicator, as a clerk does in Excel."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    indicator, number, comment = (
        header.index("指标（名称或编号）"),
        header.index("本期数值"),
        header.index("说明"),
    )
    for row in sheet.iter_rows(min_row=2):
        if row[indicator].value in values:
            row[number].value, row[comment].value = values[row[indicator].value]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_import(user, content: bytes, *, dry_run: bool = False):
    return import_table(dataset=DATASET, table=read_table(content, "x.xlsx"), user=user, dry_run=dry_run)


def _report_project(loop):
    project_report_create(
        user=loop.taiyuan, data={"project": loop.project, "year": 2025, "month": 12, "stage": "started"}
    )


def test_the_sheet_lists_the_submission_with_dropdowns_example_and_guide(loop):
    content = submission_sheet(submission=loop.ty, user=loop.taiyuan)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["数据", "示例", "填写说明", "选项"]
    rows = sheet_rows(content)
    assert rows[0] == HEADERS
    assert [(row[0], row[1], row[2], row[3], row[5]) for row in rows[1:]] == [
        (loop.round.name, "太原市", "战略性新兴产业增加值占比", "太原市", 10),  # last period's official value
        (loop.round.name, "太原市", "战略性新兴产业规上企业数", "太原市", None),
    ]
    assert book["示例"].max_row == 2
    # Dropdowns offer this submission's round, city, indicators and regions (the city and its counties).
    options = book["选项"]
    lists = {column[0].value: [cell.value for cell in column[1:] if cell.value] for column in options.iter_cols()}
    assert lists["填报任务"] == [loop.round.name]
    assert lists["城市"] == ["太原市"]
    assert lists["指标（名称或编号）"] == ["战略性新兴产业增加值占比", "战略性新兴产业规上企业数"]
    assert lists["地区（本市或所辖县）"][0] == "太原市" and "小店区" in lists["地区（本市或所辖县）"]
    assert "不足" in lists["限定词"]
    assert len(book["数据"].data_validations.dataValidation) == len(lists)


def test_export_then_import_changes_nothing(loop):
    rows = {value.pk: {"value": Decimal("12.25"), "comment": "核实"} for value in loop.ty.values.all()}
    submission_values_save(user=loop.taiyuan, submission=loop.ty, rows=rows)
    for user in (loop.taiyuan, loop.province):
        result = run_import(user, submission_sheet(submission=loop.ty, user=user))
        assert result.errors == []
        assert result.counts == {"total": 2, "created": 0, "updated": 0, "unchanged": 2}


def test_clerk_fills_the_sheet_and_imports_it_on_the_form_page(loop):
    clerk = signed_in(loop.taiyuan)
    page = clerk.get(f"/monitoring/submissions/{loop.ty.pk}/")
    assert "下载填报表" in page.text and 'data-testid="sheet-import"' in page.text
    response = clerk.get(f"/monitoring/submissions/{loop.ty.pk}/sheet.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    content = filled(
        response.content,
        {"战略性新兴产业增加值占比": (25, "新建储能项目投产"), "战略性新兴产业规上企业数": ("1,205", None)},
    )
    page = clerk.post(
        f"/monitoring/submissions/{loop.ty.pk}/import/",
        {"file": _upload(content)},
        follow=True,
    )
    assert "导入完成：新增 0 行，修改 2 行，未变化 0 行" in page.text
    values = {v.indicator_id: v for v in loop.ty.values.all()}
    assert (values[loop.share.pk].value, values[loop.share.pk].comment) == (Decimal("25"), "新建储能项目投产")
    assert values[loop.share.pk].needs_comment  # 2.5 times last period's: the comment explains it
    assert values[loop.firms.pk].value == Decimal("1205")
    # Imported values report like typed ones.
    _report_project(loop)
    assert submission_submit(user=loop.taiyuan, submission=loop.ty).state == "submitted"


def test_a_county_row_is_added_and_a_wrong_row_refuses_the_whole_file(loop):
    rows = sheet_rows(submission_sheet(submission=loop.ty, user=loop.taiyuan))
    county = [loop.round.name, "太原市", "战略性新兴产业规上企业数", "小店区", "家", None, 40, None, None]
    result = run_import(loop.taiyuan, xlsx([*rows, county]))
    assert result.errors == [] and result.created == 1
    assert loop.ty.values.get(region__name="小店区").value == Decimal("40")

    bad = [
        [loop.round.name, "太原市", "战略性新兴产业规上企业数", "太原市", "个", None, 7, None, None],
        [loop.round.name, "太原市", "战略性新兴产业增加值占比", "大同市", None, None, 7, None, None],
        [loop.round.name, "太原市", "战略性新兴产业增加值占比", "太原市", None, None, "七", None, None],
        [loop.round.name, "太原市", "战略性新兴产业增加值占比", "太原市", None, None, 8, "大约", None],
        ["没有这个任务", "太原市", "战略性新兴产业增加值占比", "太原市", None, None, 8, None, None],
    ]
    result = run_import(loop.taiyuan, xlsx([HEADERS, [*rows[1][:6], 9, None, None], *bad]))
    assert [str(error) for error in result.errors] == [
        "第 3 行「单位」：「个」与指标「战略性新兴产业规上企业数」的单位「家」不一致。",
        "第 4 行「地区（本市或所辖县）」：未找到太原市下的县（市、区）「大同市」，请填写名称或 6 位行政区划代码。",
        "第 5 行「本期数值」：「七」不是有效的数字。",
        "第 6 行「限定词」：「大约」不是有效的选项，可选：（无）、以上、超过、左右、约、接近、突破、不足。",
        "第 7 行「填报任务」：未找到填报任务「没有这个任务」，"
        "请填写任务名称（如 年度监测：十四五战新规划全部指标（2025年））。",
    ]
    assert loop.ty.values.get(indicator=loop.share, region=loop.ty.city).value is None  # row 2 was not written


def test_another_citys_submission_is_not_found(loop):
    rows = sheet_rows(submission_sheet(submission=loop.dt, user=loop.province))
    rows[1][6] = 5
    result = run_import(loop.taiyuan, xlsx(rows))
    assert [str(error) for error in result.errors] == [
        f"第 {row} 行「城市」：未找到大同市在填报任务「{loop.round.name}」中的报送。" for row in (2, 3)
    ]
    # The API answers 太原 about 大同's sheet as about a missing one; the page too.
    url = f"/api/v1/jobs/template/?dataset=submission_values&submission={loop.dt.pk}"
    assert client_for(loop.taiyuan).get(url).status_code == 404
    assert client_for(loop.taiyuan).get(url.replace(str(loop.dt.pk), "999999")).status_code == 404
    assert signed_in(loop.taiyuan).get(f"/monitoring/submissions/{loop.dt.pk}/sheet.xlsx").status_code == 404
    assert signed_in(loop.taiyuan).post(f"/monitoring/submissions/{loop.dt.pk}/import/").status_code == 404
    assert SubmissionValue.objects.filter(submission=loop.dt).exclude(value=None).count() == 0


def test_reported_and_approved_submissions_refuse_changed_rows(loop):
    rows = {value.pk: {"value": Decimal("12"), "comment": ""} for value in loop.ty.values.all()}
    submission_values_save(user=loop.taiyuan, submission=loop.ty, rows=rows)
    _report_project(loop)
    submission_submit(user=loop.taiyuan, submission=loop.ty)
    content = submission_sheet(submission=loop.ty, user=loop.taiyuan)
    changed = filled(content, {"战略性新兴产业规上企业数": (13, None)})

    result = run_import(loop.taiyuan, changed)
    assert [str(error) for error in result.errors] == [
        "第 3 行：该报送已报送，正在等待省级审核，不能修改；如需修改，请联系省级工作人员退回。"
    ]
    submission_approve(user=loop.province, submission=loop.ty)
    for user in (loop.taiyuan, loop.province):
        result = run_import(user, changed)
        assert [str(error) for error in result.errors] == [
            "第 3 行：该报送已审核通过并锁定；如需更正，请联系省级工作人员重新打开。"
        ]
    # Unchanged rows are not written, so the sheet of an approved submission imports back with 0 changes.
    assert run_import(loop.taiyuan, content).counts["unchanged"] == 2
    assert loop.ty.values.get(indicator=loop.firms).value == Decimal("12")


def test_the_page_refuses_another_submissions_sheet_and_shows_row_errors(loop):
    clerk = signed_in(loop.taiyuan)
    url = f"/monitoring/submissions/{loop.ty.pk}/import/"
    other = loop.round.__class__.objects.create(
        name="另一个任务", year=2024, opens_on="2025-01-01", due_on="2025-01-02", closes_on="2025-01-03"
    )
    rows = sheet_rows(submission_sheet(submission=loop.ty, user=loop.taiyuan))
    rows[2][0] = other.name
    page = clerk.post(url, {"file": _upload(xlsx(rows))}, follow=True)
    assert f"第 3 行不属于本报送（{loop.round.name} · 太原市）。请上传从本页下载的填报表。" in page.text

    rows[2][0] = loop.round.name
    rows[2][6] = "很多"
    page = clerk.post(url, {"file": _upload(xlsx(rows))}, follow=True)
    assert "发现 1 处错误，未导入任何数据" in page.text
    assert "第 3 行「本期数值」：「很多」不是有效的数字。" in page.text

    page = clerk.post(url, {}, follow=True)
    assert "请选择要导入的填报表文件" in page.text
    page = clerk.post(url, {"file": _upload(b"not a spreadsheet", "x.xlsx")}, follow=True)
    assert page.status_code == 200 and 'data-testid="messages"' in page.text
    # A viewer may read the form but neither gets the upload form nor may import.
    viewer = signed_in(loop.viewer)
    submission_values_save(
        user=loop.taiyuan,
        submission=loop.ty,
        rows={value.pk: {"value": Decimal("12"), "comment": "核实"} for value in loop.ty.values.all()},
    )
    _report_project(loop)
    submission_submit(user=loop.taiyuan, submission=loop.ty)
    submission_approve(user=loop.province, submission=loop.ty)
    page = viewer.get(f"/monitoring/submissions/{loop.ty.pk}/")
    assert "下载填报表" in page.text and 'data-testid="sheet-import"' not in page.text
    page = viewer.post(url, {"file": _upload(xlsx(rows))}, follow=True)
    assert "您无权修改此报送" in page.text


def test_the_api_imports_a_submissions_values(loop):
    api = client_for(loop.taiyuan)
    response = api.get(f"/api/v1/jobs/template/?dataset=submission_values&submission={loop.ty.pk}")
    assert response.status_code == 200
    content = filled(response.content, {"战略性新兴产业规上企业数": (118, None)})
    body = {"dataset": "submission_values", "file": _upload(content), "dry_run": "false"}
    response = api.post("/api/v1/jobs/import/", body, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["counts"] == {"total": 2, "created": 0, "updated": 1, "unchanged": 1}
    assert loop.ty.values.get(indicator=loop.firms).value == Decimal("118")
    # The submission parameter is used by this dataset only (another dataset's template ignores it), but it is one
    # id whatever the dataset: anything else is a 400 naming it, as is a parameter the template does not know.
    for query, field in [
        ("dataset=submission_values&submission=x", "submission"),
        ("dataset=submission_values&submission=true", "submission"),
        ("dataset=projects&submission=true", "submission"),
        ("dataset=submission_values&submission=0", "submission"),
        (f"dataset=submission_values&submission={loop.ty.pk}&submission={loop.ty.pk}", "submission"),
        ("dataset=projects&file_format=pdf", "file_format"),
        ("dataset=projects&sheet=1", "sheet"),
    ]:
        refused = api.get(f"/api/v1/jobs/template/?{query}")
        assert (refused.status_code, list(refused.json())) == (400, [field]), query
    other = api.get("/api/v1/jobs/template/?dataset=projects&submission=1")
    assert other.status_code == 200 and "projects-template" in other["Content-Disposition"]
    assert "projects-template.xlsx" in api.get("/api/v1/jobs/template/?dataset=projects")["Content-Disposition"]
    # A viewer may not import; the export of values for a viewer holds only approved submissions.
    body["file"] = _upload(content)
    assert client_for(loop.viewer).post("/api/v1/jobs/import/", body, format="multipart").status_code == 403
    export = {"dataset": "submission_values", "filters": {"submission": str(loop.ty.pk)}}
    response = client_for(loop.viewer).post("/api/v1/jobs/export/", export, format="json")
    assert response.status_code == 201 and response.json()["counts"] == {"total": 0}


def _upload(content: bytes, name: str = "填报表.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)

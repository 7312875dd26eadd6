"""The generated reports: every number of the indicator table against the API as of the same date,
East Asian fonts, the PDF's text and charts, regeneration from the frozen figures, city reports."""

import io
import re
from decimal import Decimal

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from pypdf import PdfReader

from evaluations.choices import EvaluationGradeChoices, EvaluationStatusChoices
from evaluations.models import Evaluation
from evaluations.reports.content import INDICATOR_HEADERS
from evaluations.reports.docx import INDICATOR_WIDTHS
from evaluations.selectors import GRADE_OF_STATUS
from evaluations.services import evaluation_freeze, evaluation_generate, evaluation_update
from jobs.choices import JobKindChoices, JobStatusChoices
from plans.choices import ProgressStatusChoices
from plans.models import Observation
from plans.services import observation_update

from .conftest import AS_OF, DATONG_SECRET

CJK = re.compile(r"[\u3400-\u9fff]")


def api_targets(api, user, plan) -> dict[str, dict]:
    response = api(user).get("/api/v1/targets/", {"plan": plan.pk, "as_of": AS_OF.isoformat(), "page_size": 100})
    assert response.status_code == 200
    return {row["key"]: row for row in response.json()["results"]}


def docx_indicator_rows(body: bytes) -> list[list[str]]:
    document = Document(io.BytesIO(body))
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells] == INDICATOR_HEADERS)
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def leading_number(text: str) -> Decimal | None:
    """The number a cell starts with (``150（2023年）`` → 150); None for “—”."""
    match = re.match(r"-?[0-9.]+", text)
    return None if match is None else Decimal(match.group())


def percent_of(ratio) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def test_the_job_ran_through_the_jobs_machinery(ev):
    assert ev.job.kind == JobKindChoices.EVALUATION
    assert ev.job.status == JobStatusChoices.SUCCEEDED, ev.job.message
    assert ev.job.processed_rows == ev.job.total_rows == 4 and ev.job.attempts == 1
    assert ev.evaluation.status == EvaluationStatusChoices.GENERATED
    assert ev.evaluation.generated_by == ev.province_user and ev.evaluation.job == ev.job
    assert set(ev.files) == {"docx", "xlsx", "pdf"}


def test_every_number_of_the_word_indicator_table_is_the_apis_as_of_the_date(ev, api):
    targets = {t["name"]: t for t in api_targets(api, ev.province_user, ev.plan).values() if t["parent"] is None}
    rows = docx_indicator_rows(ev.files["docx"])
    assert len(rows) == len(targets) == 5
    for row in rows:
        name = row[1].lstrip("★")
        target = targets[name]
        assert row[1].startswith("★") == (target["nature"] == "binding")
        assert leading_number(row[4]) == Decimal(target["baseline_value"])
        assert leading_number(row[5]) == Decimal(target["target_value"])
        latest = leading_number(row[6])
        assert latest == (None if target["latest_value"] is None else Decimal(target["latest_value"]))
        if target["latest_year"] is not None:
            assert f"{target['latest_year']}年" in row[6]
        assert row[7] == percent_of(target["progress"])
        assert row[8] == percent_of(target["expected_progress"])
        assert row[9] == EvaluationGradeChoices(GRADE_OF_STATUS[target["status"]]).label
    grades = {row[1].lstrip("★"): row[9] for row in rows}
    assert grades == {
        "战略性新兴产业增加值占比": "快于预期",
        "研发投入强度": "滞后",
        "国家级实验室数量": "提前实现",
        "数字经济核心产业占比": "基本符合预期",
        "新型工业化示范基地数量": "暂无数据",
    }


def test_every_number_of_the_excel_indicator_sheet_is_the_apis_as_of_the_date(ev, api):
    targets = api_targets(api, ev.province_user, ev.plan)
    sheet = load_workbook(io.BytesIO(ev.files["xlsx"]), read_only=True)["指标"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert len(rows) - 1 == len(targets) == 7
    for values in rows[1:]:
        row = dict(zip(header, values, strict=True))
        target = targets[row["指标编号"]]
        assert row["单位"] == target["unit"]
        for column, field in (("基期值", "baseline_value"), ("目标值", "target_value"), ("最新值", "latest_value")):
            expected = None if target[field] is None else Decimal(target[field])
            assert (None if row[column] is None else Decimal(str(row[column]))) == expected, (column, target["key"])
        for column, field in (("完成进度", "progress"), ("序时进度", "expected_progress")):
            assert row[column] == target[field], (column, target["key"])
    typed = load_workbook(io.BytesIO(ev.files["xlsx"]))["指标"]
    progress_cell = typed.cell(row=2, column=header.index("完成进度") + 1)
    assert isinstance(progress_cell.value, float) and progress_cell.number_format == "0.0%"


def test_every_chinese_run_of_the_word_report_names_its_east_asian_font(ev):
    document = Document(io.BytesIO(ev.files["docx"]))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        paragraphs += [p for row in table.rows for cell in row.cells for p in cell.paragraphs]
    runs = [run for paragraph in paragraphs for run in paragraph.runs if CJK.search(run.text)]
    assert len(runs) > 50
    fonts = {run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) for run in runs}
    assert fonts == {"仿宋_GB2312", "黑体", "宋体", "楷体_GB2312", "方正小标宋简体"}
    table_runs = [r for t in document.tables for c in t.rows[1].cells for p in c.paragraphs for r in p.runs]
    assert {r._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) for r in table_runs} == {"宋体"}


def test_the_pdf_has_the_reports_text_and_its_charts(ev):
    reader = PdfReader(io.BytesIO(ev.files["pdf"]))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    for expected in ("一、总体进展", "二、主要指标完成情况", "四、各市推进情况", "六、下一步工作", "研发投入强度"):
        assert expected in text
    assert "5项主要指标中，提前实现1项、快于预期1项、基本符合预期1项、滞后1项；暂无数据1项" in text
    assert "加强重点项目调度" in text  # the staff's text
    # The four charts (progress against 序时进度, target paths, pipeline, city ranking), numbered in order;
    # WeasyPrint lists shared images on every page.
    assert len({image.data for page in reader.pages for image in page.images}) == 4
    assert [caption[:2] for caption in re.findall(r"图\d[^图]{2}", text)][:4] == ["图1", "图2", "图3", "图4"]
    assert "图2主要指标规划路径与最新值" in text


def test_the_indicator_tables_give_names_and_figures_room_in_the_pdf_and_word(ev):
    # The PDF's rows read back as lines: a name squeezed into a narrow column comes out a character or
    # two per piece ("战略 性新 兴产…"); a figure's year in parentheses is never split.
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(ev.files["pdf"])).pages)
    for target in (ev.faster, ev.lagging, ev.ahead, ev.on_track, ev.no_data):
        assert target.name[:8] in text, target.name
    assert text.count("（2025年）") >= 5
    document = Document(io.BytesIO(ev.files["docx"]))
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells] == INDICATOR_HEADERS)
    widths = [round(column.width.cm, 1) for column in table.columns]
    assert widths == INDICATOR_WIDTHS and round(sum(widths), 1) <= 15.6 and widths[1] == max(widths)
    for row in table.rows:
        assert [round(cell.width.cm, 1) for cell in row.cells] == widths


def test_unknown_investment_is_counted_apart_not_summed_as_zero(ev):
    counts = ev.evaluation.snapshot["projects"]["counts"]
    taiyuan = [row for row in counts if row["city"] == "140100"]
    assert sum(row["investment_unknown"] for row in taiyuan) == 1
    assert sum(Decimal(row["investment"]) for row in taiyuan) == Decimal("10.5")
    # As of the date the 太原 project had started (its June 2023 report); it went into production in 2024.
    stages = {row["stage"]: row["count"] for row in taiyuan}
    assert stages == {"started": 1, "signed": 1}
    assert Decimal(next(r for r in taiyuan if r["stage"] == "started")["completed"]) == Decimal(3)


def test_milestones_and_warnings_are_taken_as_they_stood_at_the_date(ev):
    sections = ev.evaluation.snapshot["sections"]
    assert sections["milestones"] == [{"city": "140100", "due": 2, "met": 1, "overdue": 1}]
    counts = {(row["city"], row["level"]): row["count"] for row in sections["warning_counts"]}
    assert counts == {("140200", "red"): 1, ("140200", "yellow"): 1}  # escalated in 2024: yellow then
    assert [w["rule"] for w in sections["warnings"]] == ["investment_behind"]
    document = Document(io.BytesIO(ev.files["docx"]))
    table = next(t for t in document.tables if t.rows[0].cells[1].text == "到期里程碑")
    assert [[c.text for c in row.cells] for row in table.rows[1:]] == [
        ["太原市", "2", "1", "1", "0", "0"],
        ["大同市", "0", "0", "0", "1", "1"],
    ]
    drafts = [p.text for p in document.paragraphs if p.text.startswith("尽快处置红色预警")]
    assert drafts == [f"尽快处置红色预警：{DATONG_SECRET}：投资滞后于序时进度"]


def test_generating_again_after_a_data_change_gives_the_same_figures(ev, django_capture_on_commit_callbacks):
    before = load_workbook(io.BytesIO(ev.files["xlsx"]), read_only=True)["指标"]
    before_rows = list(before.iter_rows(values_only=True))
    observation = Observation.objects.get(indicator=ev.lagging.indicator, scope=ev.province, year=2023)
    observation_update(instance=observation, user=None, data={"value": Decimal("205")})
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_generate(evaluation=ev.evaluation, user=ev.province_user)
    evaluation = Evaluation.objects.get(pk=ev.evaluation.pk)
    again = load_workbook(io.BytesIO(bytes(evaluation.files.get(file_format="xlsx").content)), read_only=True)
    assert list(again["指标"].iter_rows(values_only=True)) == before_rows
    assert docx_indicator_rows(bytes(evaluation.files.get(file_format="docx").content)) == docx_indicator_rows(
        ev.files["docx"]
    )
    # Freezing again takes the new figures.
    evaluation_freeze(evaluation=evaluation, user=ev.province_user)
    evaluation.refresh_from_db()
    lagging = next(t for t in evaluation.snapshot["targets"] if t["key"] == "rd")
    assert lagging["latest_value"] == "205.0000" and lagging["grade"] == EvaluationGradeChoices.AHEAD
    assert not evaluation.files.exists()


def test_a_new_date_discards_the_frozen_figures(ev):
    evaluation = Evaluation.objects.get(pk=ev.evaluation.pk)
    evaluation_update(instance=evaluation, user=ev.province_user, data={"as_of": AS_OF.replace(year=2022)})
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatusChoices.DRAFT and evaluation.snapshot == {}
    assert not evaluation.files.exists()


@pytest.mark.parametrize("status", ProgressStatusChoices.values)
def test_every_progress_status_has_a_report_grade(status):
    assert GRADE_OF_STATUS[status] in EvaluationGradeChoices.values

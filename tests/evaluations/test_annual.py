"""An annual evaluation of a closed year reads the year's snapshots: the figures of /api/v1/target-snapshots/."""

import datetime
import io
from decimal import Decimal

from docx import Document
from openpyxl import load_workbook

from evaluations.choices import EvaluationGradeChoices
from evaluations.selectors import GRADE_OF_STATUS, closed_snapshot_year
from evaluations.services import evaluation_create, evaluation_freeze, report_render
from plans.models import Observation
from plans.services import observation_update
from plans.snapshots import target_progress_snapshot_take
from tests import factories

from .conftest import AS_OF
from .test_reports import docx_indicator_rows, leading_number, percent_of


def test_only_an_annual_evaluation_as_of_the_end_of_a_closed_year_reads_snapshots():
    this_year = datetime.date.today().year
    assert closed_snapshot_year(kind="annual", as_of=AS_OF) == 2023
    assert closed_snapshot_year(kind="annual", as_of=datetime.date(2023, 6, 30)) is None
    assert closed_snapshot_year(kind="annual", as_of=datetime.date(this_year, 12, 31)) is None  # not closed yet
    assert closed_snapshot_year(kind="midterm", as_of=AS_OF) is None


def test_the_annual_evaluation_has_the_figures_of_the_years_snapshots(ev, api):
    target_progress_snapshot_take(year=2023)
    # Corrected after the year closed: the annual evaluation keeps what the snapshot recorded.
    observation = Observation.objects.get(indicator=ev.lagging.indicator, scope=ev.province, year=2023)
    observation_update(instance=observation, user=None, data={"value": Decimal("205")})
    late = factories.make_target(
        ev.plan,
        ev.province,
        "late",
        name="新增指标",
        baseline_value=Decimal("1"),
        baseline_year=2020,
        target_value=Decimal("2"),
    )
    evaluation = evaluation_create(user=ev.province_user, data={"plan": ev.plan, "kind": "annual", "as_of": AS_OF})
    evaluation = evaluation_freeze(evaluation=evaluation, user=ev.province_user)

    response = api(ev.province_user).get("/api/v1/target-snapshots/", {"plan": ev.plan.pk, "year": 2023})
    snapshots = {row["target_key"]: row for row in response.json()["results"]}
    rows = {row["key"]: row for row in evaluation.snapshot["targets"]}
    assert set(rows) == set(snapshots) | {"late"} and len(snapshots) == 7
    assert evaluation.snapshot["snapshot_year"] == 2023
    for key, snapshot in snapshots.items():
        row = rows[key]
        assert row["figures_from"] == "snapshot"
        for field in ("latest_value", "latest_year", "latest_quarter", "progress", "expected_progress", "status"):
            assert row[field] == snapshot[field], (key, field)
        assert row["grade"] == GRADE_OF_STATUS[snapshot["status"]]
    assert rows["rd"]["latest_value"] == "130.0000" and rows["rd"]["grade"] == EvaluationGradeChoices.LAGGING
    assert rows["late"]["figures_from"] == "computed" and rows["late"]["id"] == late.pk

    files = report_render(evaluation=evaluation, snapshot=evaluation.snapshot, formats=["docx", "xlsx"])
    table = {row[1].lstrip("★"): row for row in docx_indicator_rows(files["docx"])}
    for key, snapshot in snapshots.items():
        if rows[key]["parent"] is not None:
            continue
        cells = table[snapshot["target_name"]]
        expected = None if snapshot["latest_value"] is None else Decimal(snapshot["latest_value"])
        assert leading_number(cells[6]) == expected
        assert cells[7] == percent_of(snapshot["progress"]) and cells[8] == percent_of(snapshot["expected_progress"])
    sheet = list(load_workbook(io.BytesIO(files["xlsx"]), read_only=True)["指标"].iter_rows(values_only=True))
    sources = {row[1]: row[sheet[0].index("数据来源")] for row in sheet[1:]}
    assert sources == {**dict.fromkeys(snapshots, "年度快照"), "late": "按截止日期计算"}
    document_text = "".join(p.text for p in Document(io.BytesIO(files["docx"])).paragraphs)
    assert "取自2023年末的指标进度年度快照" in document_text and "其中 1 项指标没有该年快照" in document_text

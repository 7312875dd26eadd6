"""The Excel report (openpyxl, write-only: rows stream to the file in constant memory).

Sheets: 指标 (every target, province-wide and allocated), 城市, 项目阶段 (projects by city and
stage as of the date) and 重点项目. Numbers are numbers (decimals exact, shares as fractions with a
percent format), units are in their own column or in the header.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .content import city_figures

TWO_PLACES = "#,##0.00"
VALUE_FORMAT = "#,##0.####"
PERCENT = "0.0%"
#: Columns of names, wider than their header.
WIDE_COLUMNS = {"指标", "项目", "建设单位", "建设规模"}
FIGURES_FROM = {"snapshot": "年度快照", "computed": "按截止日期计算"}


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _row(sheet, values: list, formats: dict[int, str] | None = None) -> list:
    cells = []
    for index, value in enumerate(values):
        cell = WriteOnlyCell(sheet, value=value)
        if formats and index in formats and value is not None:
            cell.number_format = formats[index]
        cells.append(cell)
    return cells


def _header(sheet, names: list[str]) -> list:
    """The header row; each column as wide as its header (at least 8 characters), names wider."""
    for index, name in enumerate(names, start=1):
        wide = name in WIDE_COLUMNS
        sheet.column_dimensions[get_column_letter(index)].width = 40 if wide else max(8, len(name) * 2 + 2)
    if sheet.freeze_panes is None:
        sheet.freeze_panes = "A2"
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


INDICATOR_HEADERS = [
    "序号", "指标编号", "指标", "单位", "属性", "范围", "分解自（指标编号）", "基期年份", "基期值", "进度所用基期值",
    "目标年份", "目标值", "目标值上限", "最新值", "最新值期间", "完成进度", "序时进度", "进度状态", "评估等级",
    "数据陈旧", "数据来源",
]  # fmt: skip


def render(snapshot: dict) -> bytes:
    workbook = Workbook(write_only=True)
    keys = {target["id"]: target["key"] for target in snapshot["targets"]}

    sheet = workbook.create_sheet("指标")
    sheet.freeze_panes = "C2"
    sheet.append(_header(sheet, INDICATOR_HEADERS))
    formats = {8: VALUE_FORMAT, 9: VALUE_FORMAT, 11: VALUE_FORMAT, 12: VALUE_FORMAT, 13: VALUE_FORMAT}
    formats |= {15: PERCENT, 16: PERCENT}
    for number, target in enumerate(snapshot["targets"], start=1):
        period = ""
        if target["latest_year"] is not None:
            period = str(target["latest_year"])
            if target["latest_quarter"]:
                period += f"Q{target['latest_quarter']}"
            if target["latest_month"]:
                period += f"-{target['latest_month']:02d}"
        sheet.append(
            _row(
                sheet,
                [
                    number, target["key"], target["name"], target["unit"], target["nature_label"],
                    target["scope_name"], keys.get(target["parent"], ""), target["baseline_year"],
                    _decimal(target["baseline_value"]), target["baseline"], target["target_year"],
                    _decimal(target["target_value"]),
                    _decimal(target["target_value_max"]), _decimal(target["latest_value"]), period,
                    target["progress"], target["expected_progress"], target["status_label"], target["grade_label"],
                    "是" if target["stale"] else "否",
                    FIGURES_FROM.get(target.get("figures_from", "computed"), ""),
                ],
                formats,
            )
        )  # fmt: skip

    sheet = workbook.create_sheet("城市")
    sheet.append(
        _header(
            sheet,
            ["排名", "城市代码", "城市", "分解指标数", "符合或快于预期", "重点项目数", "已开工（含投产、达产）",
             "已知总投资（亿元）", "总投资未知的项目数", "累计完成投资（亿元）"],
        )
    )  # fmt: skip
    for entry in city_figures(snapshot):
        good = sum(1 for t in entry["targets"] if t["grade"] in ("ahead", "faster", "on_track"))
        sheet.append(
            _row(
                sheet,
                [entry["rank"], entry["code"], entry["name"], len(entry["targets"]), good, entry["projects"],
                 entry["started"], entry["investment"], entry["investment_unknown"], entry["completed"]],
                {7: TWO_PLACES, 9: TWO_PLACES},
            )
        )  # fmt: skip

    names = {city["code"]: city["name"] for city in snapshot["cities"]}
    labels = {stage["key"]: stage["label"] for stage in snapshot["projects"]["stages"]}
    sheet = workbook.create_sheet("项目阶段")
    sheet.append(
        _header(sheet, ["城市", "阶段", "项目数", "已知总投资（亿元）", "总投资未知的项目数", "累计完成投资（亿元）"])
    )
    for row in snapshot["projects"]["counts"]:
        sheet.append(
            _row(
                sheet,
                [names.get(row["city"], row["city"]), labels[row["stage"]], row["count"], Decimal(row["investment"]),
                 row["investment_unknown"], Decimal(row["completed"])],
                {3: TWO_PLACES, 5: TWO_PLACES},
            )
        )  # fmt: skip

    sheet = workbook.create_sheet("重点项目")
    sheet.append(
        _header(
            sheet,
            [
                "项目",
                "城市",
                "建设单位",
                "产业",
                "截止日期所处阶段",
                "总投资（亿元）",
                "累计完成投资（亿元）",
                "建设规模",
            ],
        )
    )
    for project in snapshot["projects"]["largest"]:
        sheet.append(
            _row(
                sheet,
                [project["name"], names.get(project["city"], project["city"]), project["enterprise"],
                 project["industry"], project["stage_label"], _decimal(project["total_investment"]),
                 _decimal(project["completed"]), project["capacity"]],
                {5: TWO_PLACES, 6: TWO_PLACES},
            )
        )  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

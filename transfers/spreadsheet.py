"""Reading and writing the tables of imports and exports (XLSX and CSV), refusing hostile files.

``read_table`` turns an uploaded file into a header and rows of cell values, or raises
``FileRefused`` with a message a clerk understands: not a spreadsheet, too large, too many rows,
an unknown encoding, formulas. ``write_table`` (common.tables) writes the same shape back.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from openpyxl import load_workbook

from jobs.choices import FileFormatChoices

CONTENT_TYPES = {
    FileFormatChoices.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileFormatChoices.CSV: "text/csv; charset=utf-8",
}
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


BROKEN_XLSX = "文件已损坏或不是有效的 Excel 文件，请使用下载的模板填写。"


class FileRefused(Exception):
    """The whole file is refused; the message says why, in words for the person who sent it."""


@dataclass
class Table:
    """The header and the data rows, each with its row number as the spreadsheet shows it."""

    header: list[str]
    rows: list[tuple[int, list[object]]]
    file_format: str


def limits() -> tuple[int, int]:
    return settings.TRANSFER_MAX_UPLOAD_BYTES, settings.TRANSFER_MAX_ROWS


def detect_format(content: bytes, file_name: str) -> str:
    name = file_name.lower()
    if content.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise FileRefused("不支持旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再上传。")
    if content.startswith(_XLSX_MAGIC):
        return FileFormatChoices.XLSX
    if name.endswith(".xlsx"):
        raise FileRefused("文件扩展名为 .xlsx，但内容不是有效的 Excel 文件，请检查后重新上传。")
    if name.endswith((".csv", ".txt")):
        return FileFormatChoices.CSV
    raise FileRefused("只接受 Excel（.xlsx）或 CSV 文件，请使用下载的模板填写。")


def read_table(content: bytes, file_name: str) -> Table:
    max_bytes, _ = limits()
    if not content:
        raise FileRefused("文件是空的。")
    if len(content) > max_bytes:
        size, limit = len(content) / 1048576, max_bytes // 1048576
        raise FileRefused(f"文件过大（{size:.1f} MB），单个文件不能超过 {limit} MB，请拆分后分批导入。")
    file_format = detect_format(content, file_name)
    rows = _read_xlsx(content) if file_format == FileFormatChoices.XLSX else _read_csv(content)
    numbered = [(number, row) for number, row in rows if any(_present(value) for value in row)]
    if not numbered:
        raise FileRefused("文件中没有任何内容，请使用下载的模板填写。")
    header = [str(value).strip() if value is not None else "" for value in numbered[0][1]]
    return Table(header=header, rows=numbered[1:], file_format=file_format)


def _present(value) -> bool:
    return value is not None and str(value).strip() != ""


def _check_row_number(number: int) -> None:
    """Rows count as the sheet numbers them (blank rows included), so a far-off row is refused at once."""
    _, max_rows = limits()
    if number > max_rows + 1:
        raise FileRefused(
            f"行数过多：单个文件最多 {max_rows} 行数据（含空行，共 {max_rows + 1} 行含表头），"
            "请删除多余的行或拆分后分批导入。"
        )


def _check_column_count(*, number: int, count: int) -> None:
    max_columns = settings.TRANSFER_MAX_COLUMNS
    if count > max_columns:
        raise FileRefused(
            f"列数过多：第 {number} 行有第 {count} 列的单元格，最多 {max_columns} 列，请删除模板以外的列后再上传。"
        )


def _read_csv(content: bytes) -> list[tuple[int, list[object]]]:
    if b"\x00" in content:
        raise FileRefused("文件不是文本格式的 CSV（含有二进制内容），请上传 .xlsx 或 UTF-8 编码的 CSV。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused("无法识别文件编码，请将 CSV 另存为“UTF-8”编码，或直接上传 .xlsx 文件。")
    rows = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), strict=True), start=1):
            _check_row_number(number)
            _check_column_count(number=number, count=len(row))
            rows.append((number, row))
    except csv.Error as exc:
        raise FileRefused(f"CSV 格式有误（第 {len(rows) + 1} 行附近）：请检查引号是否成对。") from exc
    return rows


def _read_xlsx(content: bytes) -> list[tuple[int, list[object]]]:
    max_bytes, _ = limits()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            # A small file that unpacks to gigabytes (a “zip bomb”) is refused before it is read.
            if sum(info.file_size for info in archive.infolist()) > max_bytes * 20:
                raise FileRefused("文件解压后过大，无法导入，请拆分后分批导入。")
            if "xl/workbook.xml" not in archive.namelist():
                raise FileRefused(BROKEN_XLSX)
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except FileRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors for damaged files
        raise FileRefused(BROKEN_XLSX) from exc
    try:
        return _sheet_rows(book.worksheets[0])
    except FileRefused:
        raise
    except Exception as exc:  # read-only sheets are parsed while iterating: damage shows up here
        raise FileRefused(BROKEN_XLSX) from exc
    finally:
        book.close()


def _sheet_rows(sheet) -> list[tuple[int, list[object]]]:
    """Stream the rows, counting rows and columns as they come.

    The declared ``<dimension>`` is dropped: openpyxl would pad every row to its width and add
    every row up to its height (``A1:XFD1048576`` is 17 billion cells). Without it, a missing row
    comes as an empty tuple and a row is as wide as its last cell, both checked before use.
    """
    sheet.reset_dimensions()
    rows = []
    for number, row in enumerate(sheet.iter_rows(), start=1):
        _check_row_number(number)
        if not row:
            continue
        _check_column_count(number=number, count=row[-1].column)
        values = []
        for cell in row:
            if cell.data_type == "f":
                raise FileRefused(
                    f"第 {number} 行第 {cell.column} 列是公式（{str(cell.value)[:30]}），"
                    "导入只接受数值和文字，请将公式单元格“复制 → 选择性粘贴为数值”后再上传。"
                )
            values.append(cell.value)
        rows.append((number, values))
    return rows


def file_response(content: bytes, file_name: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return response


def submission_sheet_name(submission) -> str:
    """The file name of a submission's sheet: its city, period and id (the round's name may hold a slash)."""
    return f"填报表-{submission.city.name}-{submission.round.period_label}-{submission.pk}.xlsx"

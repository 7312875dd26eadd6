"""Writing tables as CSV or XLSX, safely: shared by the API's list exports and the bulk exports.

Text that a spreadsheet would run as a formula is written as text (XLSX) or behind an
apostrophe (CSV), and characters a workbook cannot hold are dropped instead of failing.
"""

from __future__ import annotations

import csv
import io
import tempfile
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@")


def escape_formula(value):
    """CSV cells that a spreadsheet would run as a formula get a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _is_number(value):
        return "'" + value
    return value


def unescape_formula(text: str) -> str:
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: What ``write_table`` keeps in memory before its file goes to disk.
SPOOL_BYTES = 8 * 1024 * 1024

#: The BOM makes Excel read the Chinese text as UTF-8.
CSV_BOM = "\ufeff"


def csv_row(row) -> list:
    return ["" if value is None else escape_formula(value) for value in row]


def write_table(header: list[str], rows, file_format: str, notes: list[list[str]] | None = None) -> bytes:
    """The table as ``csv`` or ``xlsx`` bytes; ``notes`` (XLSX only) become a second sheet explaining the columns."""
    # In memory up to a few megabytes (an answer to a request), on disk beyond.
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as out:
        write_table_to(out, header, rows, file_format, notes)
        out.seek(0)
        return out.read()


def write_table_to(out: BinaryIO, header: list[str], rows, file_format: str, notes: list[list[str]] | None = None):
    """Write the table as ``csv`` or ``xlsx`` into the binary file ``out`` (see ``write_table``).

    ``rows`` may be an iterator: the table is written row by row (XLSX: openpyxl's write-only mode,
    through a temporary file), so that memory holds one row, not the table, nor the finished file.
    """
    if file_format == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        text.write(CSV_BOM)
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(csv_row(row) for row in rows)
        text.detach()  # flushed; ``out`` stays open for the caller
        return
    book = Workbook(write_only=True)
    sheet = book.create_sheet("数据")
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    if notes:
        guide = book.create_sheet("填写说明")
        guide.append(["列", "必填", "说明"])
        for note in notes:
            guide.append(note)
    book.save(out)


def xlsx_text(value):
    """Text an XLSX cell can hold: control characters are dropped rather than failing the file."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _xlsx_cell(sheet, value):
    value = xlsx_text(value)
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value

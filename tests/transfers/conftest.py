import csv
import io

import pytest
from openpyxl import Workbook

from transfers.datasets import DATASETS


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def header(dataset: str) -> list[str]:
    return DATASETS[dataset].headers


def project_row(name, city="太原市", **cells) -> list:
    """A row of the project template; keyword arguments by header."""
    values = {"项目名称": name, "所在城市（代码或名称）": city, **cells}
    return [values.get(h, "") for h in header("projects")]


@pytest.fixture
def project_file():
    """Build an XLSX (or CSV) file of project rows."""

    def build(*rows, file_format="xlsx"):
        table = [header("projects"), *rows]
        return xlsx_bytes(table) if file_format == "xlsx" else csv_bytes(table)

    return build


from .broker import broker  # noqa: E402,F401  (fixture)

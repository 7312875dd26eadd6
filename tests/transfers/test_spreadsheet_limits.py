"""Hostile spreadsheets are read with bounded memory and time, and any unreadable file is a message, never a 500.

The workbooks are written by hand with zipfile, so that they can lie: a declared ``<dimension>``
of the whole sheet, a single row at the last row number, a cell in the last column, broken XML.
"""

import io
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from jobs.models import Job
from transfers.spreadsheet import FileRefused, read_table

from .conftest import header

BROKEN = "文件已损坏或不是有效的 Excel 文件"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def workbook(sheet_data: str, *, dimension: str = "A1:XFD1048576") -> bytes:
    """An XLSX whose only sheet holds ``sheet_data`` and declares ``dimension``."""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
        f'<dimension ref="{dimension}"/><sheetData>{sheet_data}</sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


HEADER_ROW = '<row r="1">' + cell("A1", "项目名称") + cell("B1", "所在城市（代码或名称）") + "</row>"
FAR_ROW = workbook(HEADER_ROW + '<row r="1048576">' + cell("A1048576", "远处的项目") + "</row>")
FAR_COLUMN = workbook(HEADER_ROW + '<row r="2">' + cell("A2", "甲") + cell("XFD2", "远处") + "</row>")
BAD_XML = workbook(HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>未闭合')


def truncated() -> bytes:
    whole = workbook(HEADER_ROW)
    return whole[: len(whole) // 2]


def not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook>这不是工作簿")
    return out.getvalue()


def measured(content: bytes, name: str = "x.xlsx") -> tuple[str, float, float]:
    """Read the file; give the refusal message, the seconds taken and the peak of new memory in MB."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FileRefused) as refused:
            read_table(content, name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return str(refused.value), time.monotonic() - started, peak / 1048576


def test_the_1_6_kb_sheet_with_a_row_at_1048576_is_refused_quickly_in_little_memory():
    assert len(FAR_ROW) < 2048
    message, seconds, peak_mb = measured(FAR_ROW)
    assert message.startswith("行数过多：单个文件最多 50000 行数据")
    assert peak_mb < 50
    assert seconds < 10


def test_a_cell_in_the_last_column_is_refused_quickly_in_little_memory():
    message, seconds, peak_mb = measured(FAR_COLUMN)
    assert message == "列数过多：第 2 行有第 16384 列的单元格，最多 64 列，请删除模板以外的列后再上传。"
    assert peak_mb < 50
    assert seconds < 10


def test_rows_are_counted_by_their_number_in_the_sheet(settings):
    settings.TRANSFER_MAX_ROWS = 3
    rows = "".join(f'<row r="{n}">{cell(f"A{n}", f"项目{n}")}</row>' for n in (2, 4))
    assert [number for number, _ in read_table(workbook(HEADER_ROW + rows), "x.xlsx").rows] == [2, 4]
    late = workbook(HEADER_ROW + f'<row r="5">{cell("A5", "第五行")}</row>')
    with pytest.raises(FileRefused, match="单个文件最多 3 行数据"):
        read_table(late, "x.xlsx")


def test_a_declared_dimension_smaller_than_the_data_is_not_trusted():
    content = workbook(HEADER_ROW + '<row r="2">' + cell("A2", "甲") + cell("B2", "太原市") + "</row>", dimension="A1")
    table = read_table(content, "x.xlsx")
    assert table.header == ["项目名称", "所在城市（代码或名称）"]
    assert table.rows == [(2, ["甲", "太原市"])]


def test_csv_columns_are_limited_too(settings):
    settings.TRANSFER_MAX_COLUMNS = 3
    with pytest.raises(FileRefused, match="列数过多：第 1 行有第 4 列的单元格，最多 3 列"):
        read_table(b"a,b,c,d\n", "x.csv")


UNREADABLE = [
    ("truncated zip", truncated(), "x.xlsx", BROKEN),
    ("zip that is not a workbook", not_a_workbook(), "x.xlsx", BROKEN),
    ("sheet with broken XML", BAD_XML, "x.xlsx", BROKEN),
    ("text named .xlsx", b"project,city\n", "x.xlsx", "内容不是有效的 Excel 文件"),
    ("CSV in an unknown encoding", b"\xff\xfe\xfd,\xff\n\xfa,\xfb\n", "x.csv", "无法识别文件编码"),
]


@pytest.mark.parametrize(("content", "name", "message"), [c[1:] for c in UNREADABLE], ids=[c[0] for c in UNREADABLE])
def test_unreadable_files_are_refused_with_a_message(content, name, message):
    with pytest.raises(FileRefused, match=message):
        read_table(content, name)


HOSTILE = [
    ("far row", FAR_ROW, "行数过多"),
    ("far column", FAR_COLUMN, "列数过多"),
    ("broken XML", BAD_XML, BROKEN),
    ("truncated", truncated(), BROKEN),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_the_api_answers_400_with_the_message(province_user, content, message):
    client = APIClient()
    client.force_authenticate(province_user)
    response = client.post(
        "/api/v1/jobs/import/",
        {"dataset": "projects", "file": SimpleUploadedFile("p.xlsx", content), "dry_run": True},
        format="multipart",
    )
    assert response.status_code == 400
    assert message in response.json()["file"][0]
    assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_the_admin_shows_a_form_error(client, province_user, content, message):
    client.force_login(province_user)
    response = client.post(
        reverse("admin:transfers_job_import"),
        {"dataset": "projects", "file": SimpleUploadedFile("p.xlsx", content)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()


def test_a_well_formed_template_still_reads():
    rows = header("projects")
    sheet = '<row r="1">' + "".join(cell(f"{chr(65 + i)}1", text) for i, text in enumerate(rows)) + "</row>"
    assert read_table(workbook(sheet, dimension="A1:P1"), "x.xlsx").header == rows

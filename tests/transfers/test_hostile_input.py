"""Hostile files and values for the import: each is refused with a clear message and nothing is written."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from jobs.models import Job
from projects.models import KeyProject, ProjectReport
from transfers import services
from transfers.spreadsheet import FileRefused

from .conftest import csv_bytes, header, project_row, xlsx_bytes

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True


def projects_xlsx(*rows) -> bytes:
    return xlsx_bytes([header("projects"), *rows])


def import_file(user, content, name="data.xlsx", dataset="projects"):
    return services.import_job_create(user=user, dataset_name=dataset, file_name=name, content=content, dry_run=False)


@pytest.fixture
def nothing_written(world):
    """Counts before the test; after it, nothing may have changed."""
    before = (KeyProject.objects.count(), ProjectReport.objects.count(), KeyProject.history.count())
    yield
    assert (KeyProject.objects.count(), ProjectReport.objects.count(), KeyProject.history.count()) == before


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b"\0" * 5_000_000)
    return out.getvalue()


def with_formula() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(header("projects"))
    book.active.append(["公式项目", "太原市", None, None, None, None, None, None, None, None, "=1+1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


REFUSED_FILES = [
    ("a PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "report.pdf", "只接受 Excel（.xlsx）或 CSV 文件"),
    ("a PNG named .xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "fake.xlsx", "内容不是有效的 Excel 文件"),
    ("binary named .csv", b"\x00\x01\x02\x03" * 100, "data.csv", "含有二进制内容"),
    ("old Excel .xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "old.xls", "不支持旧版 Excel（.xls）"),
    (
        "a zip that is not a workbook",
        zipfile.ZipFile.__name__.encode() and b"PK\x03\x04garbage",
        "x.xlsx",
        "文件已损坏",
    ),
    ("UTF-16 CSV", "项目名称,所在城市（代码或名称）\n甲,太原\n".encode("utf-16"), "u16.csv", "含有二进制内容"),
    ("an unknown encoding", b"\xff\xfe\xfd,\xff\n\xfa,\xfb\n", "enc.csv", "无法识别文件编码"),
    ("an empty file", b"", "empty.csv", "文件是空的"),
    ("only blank lines", b"\n\n,,\n", "blank.csv", "没有任何内容"),
    ("a header and no rows", csv_bytes([header("projects")]), "h.csv", "没有数据行"),
    ("broken quoting", '项目名称,所在城市（代码或名称）\n"甲,太原\n'.encode(), "q.csv", "CSV 格式有误"),
    ("a formula cell", with_formula(), "f.xlsx", "是公式（=1+1）"),
    ("wrong headers", csv_bytes([["name", "city"], ["甲", "太原"]]), "en.csv", "无法识别的列：name、city"),
]


@pytest.mark.parametrize(
    ("content", "name", "message"), [case[1:] for case in REFUSED_FILES], ids=[c[0] for c in REFUSED_FILES]
)
def test_files_that_are_not_importable_spreadsheets_are_refused(province_user, nothing_written, content, name, message):
    with pytest.raises(FileRefused, match=re.escape(message)):
        import_file(province_user, content, name)
    assert not Job.objects.exists()


def test_huge_file_is_refused_before_reading(province_user, nothing_written, settings):
    settings.TRANSFER_MAX_UPLOAD_BYTES = 50_000
    with pytest.raises(FileRefused, match=r"文件过大（0\.1 MB），单个文件不能超过 0 MB"):
        import_file(province_user, b"a" * 100_000, "big.csv")


def test_too_many_rows_are_refused(province_user, nothing_written, settings):
    settings.TRANSFER_MAX_ROWS = 5
    with pytest.raises(FileRefused, match="单个文件最多 5 行数据"):
        import_file(province_user, projects_xlsx(*[project_row(f"项目{i}") for i in range(10)]))


def test_zip_bomb_is_refused(province_user, nothing_written, settings):
    settings.TRANSFER_MAX_UPLOAD_BYTES = 100_000
    with pytest.raises(FileRefused, match="解压后过大"):
        import_file(province_user, zip_bomb())


INV = "总投资（亿元）"
BAD_CELLS = [
    ({INV: "NaN"}, INV, "「NaN」不是有效的数字（不接受 NaN、无穷大）。"),
    ({INV: "Infinity"}, INV, "「Infinity」不是有效的数字（不接受 NaN、无穷大）。"),
    ({INV: "-inf"}, INV, "「-inf」不是有效的数字（不接受 NaN、无穷大）。"),
    ({INV: "1e400"}, INV, "数值过大（1e400），不能超过 10000，请确认单位。"),
    ({INV: -5}, INV, "不能为负数。"),
    ({INV: 120000000}, INV, "数值过大（120000000），不能超过 10000，请确认单位。"),
    ({INV: "一百"}, INV, "「一百」不是有效的数字。"),
    ({INV: "0.001"}, INV, "小数不能超过 2 位。"),
    ({"产能数值": "1e-400"}, "产能数值", None),
    ({"所在城市（代码或名称）": "火星市"}, "所在城市（代码或名称）", "未找到城市「火星市」"),
    ({"所在城市（代码或名称）": "999999"}, "所在城市（代码或名称）", "未找到城市「999999」"),
    ({"所在城市（代码或名称）": "山西省"}, "所在城市（代码或名称）", "未找到城市「山西省」"),
    ({"签约日期": "1900-01-01"}, "签约日期", "日期 1900-01-01 超出范围（1949-01-01 至 2100-12-31）。"),
    ({"签约日期": "2200-01-01"}, "签约日期", "日期 2200-01-01 超出范围（1949-01-01 至 2100-12-31）。"),
    ({"签约日期": "0000-00-00"}, "签约日期", "「0000-00-00」不是有效的日期，请按 2024-03-01 的格式填写。"),
    ({"签约日期": "99999999999-1-1"}, "签约日期", "不是有效的日期"),
    ({"阶段": "完工"}, "阶段", "「完工」不是有效的选项，可选：谋划、签约、开工、投产、达产、取消。"),
    ({"建设单位": "不存在的公司"}, "建设单位", "未找到企业「不存在的公司」"),
    ({"说明": '=HYPERLINK("http://evil")'}, "说明", "不接受公式，请填写数值或文字。"),
    ({"产能单位": "吨" * 40}, "产能单位", "不能超过 32 个字符（现有 40 个）"),
]


@pytest.mark.parametrize(("cells", "column", "message"), BAD_CELLS, ids=[str(c[0])[:40] for c in BAD_CELLS])
def test_bad_values_are_row_errors_and_nothing_is_written(province_user, nothing_written, cells, column, message):
    # CSV, since an XLSX cell starting with “=” is a formula and refuses the whole file (above).
    content = csv_bytes([header("projects"), project_row("好项目"), project_row("坏项目", **cells)])
    job = import_file(province_user, content, "data.csv")
    job.refresh_from_db()
    assert job.status == "failed"
    [error] = job.errors
    assert (error["row"], error["column"]) == (3, column)
    if message:
        assert message in error["message"]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["太原轨道交通项目", 1999, 1, "开工"], "「年份」：应在 2000 至 2100 之间，实际为 1999。"),
        (["太原轨道交通项目", 2024, 13, "开工"], "「月份」：应在 1 至 12 之间，实际为 13。"),
        (["太原轨道交通项目", 2024, 2.5, "开工"], "「月份」：「2.5」不是有效的整数。"),
        (["太原轨道交通项目", "NaN", 1, "开工"], "「年份」：「NaN」不是有效的整数。"),
        (["太原轨道交通项目", 2024, 1, "开工", "-0.5"], "「本期完成投资（亿元）」：不能为负数。"),
        (["不存在的项目", 2024, 1, "开工"], "「项目名称」：未找到项目「不存在的项目」"),
    ],
)
def test_bad_report_values(province_user, nothing_written, cells, message):
    job = import_file(province_user, xlsx_bytes([header("reports"), cells]), dataset="reports")
    job.refresh_from_db()
    [error] = job.errors
    assert error["text"].startswith(f"第 2 行{message}")


def test_api_answers_400_never_500_for_hostile_uploads(province_user, nothing_written):
    client = APIClient()
    client.force_authenticate(province_user)
    for _, content, name, message in REFUSED_FILES:
        response = client.post(
            "/api/v1/jobs/import/",
            {"dataset": "projects", "file": SimpleUploadedFile(name, content)},
            format="multipart",
        )
        assert response.status_code == 400, (name, response.content[:300])
        # An empty upload is refused by DRF's FileField itself (“提交的是空文件。”).
        assert message in response.json()["file"][0] or content == b""
    response = client.post("/api/v1/jobs/import/", {"dataset": "nope"}, format="multipart")
    assert response.status_code == 400

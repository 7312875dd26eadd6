"""The fast CSV path (common.api.csv_fast) writes the bytes the serializer path writes, for every list and reader."""

import csv
import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core.signals import request_finished
from django.db import connection, connections
from django.utils import timezone

from common.api import csv_fast
from common.api.views import ExportMixin
from common.scope import HIDDEN_RECORD_LABEL
from projects import figures
from projects.models import KeyProject, ProjectBuilder, ProjectMention, ProjectYearPlan
from sxplan_site.api_urls import router
from tests import factories

from .conftest import api_client

pytestmark = pytest.mark.django_db

READERS = ["province", "taiyuan", "viewer", "ty_viewer"]
EXPORTED_LISTS = sorted(
    prefix
    for prefix, viewset, _basename in router.registry
    if issubclass(viewset, ExportMixin) and getattr(viewset, "stream_csv", False)
)


class Spy:
    """Counts the exports that took the fast path."""

    def __init__(self, monkeypatch):
        self.compiled = []
        original = csv_fast.compile_csv

        def compile_and_note(*args, **kwargs):
            compiled = original(*args, **kwargs)
            self.compiled.append(compiled is not None)
            return compiled

        monkeypatch.setattr("common.api.views.compile_csv", compile_and_note)


def _csv(user, url, params=None):
    answer = api_client(user).get(url, {"format": "csv", **(params or {})})
    return answer.status_code, answer.getvalue() if answer.streaming else answer.content


def _both(monkeypatch, user, url, params=None):
    """The CSV by the fast path (where it applies) and by the serializer path."""
    monkeypatch.setattr(ExportMixin, "csv_fast", True)
    fast = _csv(user, url, params)
    monkeypatch.setattr(ExportMixin, "csv_fast", False)
    serialized = _csv(user, url, params)
    monkeypatch.setattr(ExportMixin, "csv_fast", True)
    return fast, serialized


@pytest.fixture
def tricky(w):
    """Projects whose values test the formatting: quotes, commas, newlines, formulas, nulls, decimals, dates."""
    year = timezone.localdate().year
    odd = factories.make_project(
        '太原"引号",逗号\n换行项目',
        w.ty,
        county=w.regions["140105"],
        enterprise=w.dt_ent,  # a 大同 enterprise on a 太原 project: masked for 太原's readers
        total_investment=None,
        capacity="-3万吨",
        capacity_value=Decimal("0.50"),
        stage="signed",
        signed_on=datetime.date(2024, 2, 29),
        description='=HYPERLINK("x")',
    )
    plain = factories.make_project(
        "+86 太原配套项目",
        w.ty,
        total_investment=Decimal("123456789012.30"),
        capacity="-5",
        stage="cancelled",
        started_on=datetime.date(2025, 1, 1),
        description="@备注；“中文引号”\r\n第二行",
    )
    zero = factories.make_project("大同零投资项目", w.dt, total_investment=Decimal("0.00"), enterprise=w.yq_ent)
    ProjectYearPlan.objects.create(project=plain, year=year, planned_investment=Decimal("3.00"))
    factories.make_report(plain, year=year, month=1, investment_completed=Decimal("1.00"))
    factories.make_report(odd, year=year, month=1, investment_completed=None)
    ProjectMention.objects.create(project=odd, plan=w.plan, source_quote='原文，含"引号"')
    ProjectBuilder.objects.create(project=odd, enterprise=w.yq_ent, role="合作建设")
    ProjectBuilder.objects.create(project=odd, enterprise=w.ty_ent, role="合作建设", order=2)
    figures.refresh(project_ids=[odd.pk, plain.pk, zero.pk])
    return odd, plain, zero


@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize(
    "params",
    # Orderings without ties: the list adds no tie-breaker, and tied rows may come in either order.
    [{}, {"city": "140100"}, {"ordering": "-total_investment,name"}, {"search": "太原"}, {"stage": "signed"}],
    ids=["all", "city", "ordering", "search", "stage"],
)
def test_the_project_csv_takes_the_fast_path_and_writes_the_serializers_bytes(w, tricky, monkeypatch, who, params):
    spy = Spy(monkeypatch)
    (fast_status, fast), (status, serialized) = _both(monkeypatch, getattr(w, who), "/api/v1/projects/", params)
    assert spy.compiled == [True]  # the second export took the serializer path
    assert fast_status == status == 200
    assert fast == serialized
    assert fast.decode("utf-8-sig").count("\r\n") >= 2


@pytest.mark.parametrize("who", ["province", "taiyuan"])
def test_the_fast_path_reads_in_chunks_and_equals_the_file_built_whole(w, tricky, monkeypatch, who):
    monkeypatch.setattr(ExportMixin, "csv_fast_chunk_size", 1)  # every record its own chunk
    streamed = _csv(getattr(w, who), "/api/v1/projects/")
    monkeypatch.setattr(ExportMixin, "stream_csv", False)
    whole = _csv(getattr(w, who), "/api/v1/projects/")
    assert streamed == whole


def test_the_tricky_values_as_written(w, tricky):
    odd, plain, zero = tricky
    body = _csv(w.province, "/api/v1/projects/")[1].decode("utf-8-sig")
    assert '"太原""引号"",逗号\n换行项目"' in body  # quoted, the newline kept inside the quotes
    assert ',"\'=HYPERLINK(""x"")",' in body  # a formula made text (quoted for its quotes)
    assert ",'-3万吨," in body and ",-5," in body  # text that looks like a formula; a number stays
    assert "'+86 太原配套项目" in body and "123456789012.30" in body and ",0.00," in body
    assert "2024-02-29" in body and ",签约," in body and ",取消," in body
    taiyuan = _csv(w.taiyuan, "/api/v1/projects/")[1].decode("utf-8-sig")
    assert HIDDEN_RECORD_LABEL in taiyuan and w.dt_ent.name not in taiyuan and w.yq_ent.name not in taiyuan
    assert zero.name not in taiyuan


def test_an_empty_fast_export(w, monkeypatch):
    spy = Spy(monkeypatch)
    assert _csv(w.province, "/api/v1/projects/", {"search": "没有这样的项目"})[1] == "\ufeff\r\n".encode()
    assert spy.compiled == [True]


@pytest.mark.parametrize("who", ["province", "taiyuan", "ty_viewer"])
@pytest.mark.parametrize("prefix", EXPORTED_LISTS)
def test_every_exported_list_writes_the_same_bytes_by_either_path(w, monkeypatch, prefix, who):
    (fast_status, fast), (status, serialized) = _both(monkeypatch, getattr(w, who), f"/api/v1/{prefix}/")
    assert fast_status == status
    assert fast == serialized


@pytest.mark.parametrize(
    "value",
    ["", "plain", "a,b", 'say "hi"', "line\nbreak", "cr\ronly", "crlf\r\n", " lead ", "中文，全角", "'=1", 7, -3, 2.5,
     Decimal("-1.50"), datetime.date(2024, 2, 29), datetime.datetime(2024, 1, 2, 3, 4, 5)],
)  # fmt: skip
def test_a_python_cell_is_quoted_as_csv_writer_quotes_it(value):
    out = io.StringIO()
    csv.writer(out).writerow([value, "next"])
    assert csv_fast._csv_field(value) + ",next\r\n" == out.getvalue()


@pytest.mark.postgres
def test_on_postgresql_the_database_writes_the_project_csvs_cells(w, tricky, monkeypatch):
    assert connection.vendor == "postgresql"
    written = []
    original = csv_fast.sql_lines

    def note(*args):
        written.append(original(*args))
        return written[-1]

    monkeypatch.setattr("common.api.views.sql_lines", note)
    for who in ("province", "taiyuan"):
        assert _csv(getattr(w, who), "/api/v1/projects/")[0] == 200
    assert len(written) == 2 and all(isinstance(lines, csv_fast.SqlLines) for lines in written)
    # Python writes the mentions, the builders and the two rates; the database every other column.
    assert [len(lines.python_columns) for lines in written] == [4, 4]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_rows_that_tie_on_the_ordering_come_in_key_order(w, file_format):
    """Two exports of the same data list them alike: ties on ``?ordering=`` are broken by the key, as on pages."""
    ties = [factories.make_project(f"同额项目{n}", w.ty, total_investment=Decimal("7.77")).pk for n in range(4)]
    # PostgreSQL writes an updated row anew at the heap's end: a scan reads the first two last.
    KeyProject.objects.filter(pk__in=ties[:2]).update(total_investment=Decimal("7.77"))
    answer = api_client(w.province).get(
        "/api/v1/projects/",
        {"format": file_format, "ordering": "-total_investment", "investment_min": "7.77", "investment_max": "7.77"},
    )
    assert answer.status_code == 200
    body = answer.getvalue() if answer.streaming else answer.content
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
        ids = [int(row[0]) for row in rows]
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == sorted(ties)


def _reading_threads():
    return [thread for thread in threading.enumerate() if thread.name == "csv-read-ahead"]


def test_read_ahead_passes_every_item_in_order_and_its_errors():
    assert list(csv_fast.read_ahead(iter(range(23)))) == list(range(23))
    assert list(csv_fast.read_ahead(iter(()))) == []

    def failing():
        yield from range(7)
        raise ValueError("数据库断开")

    read = csv_fast.read_ahead(failing())
    with pytest.raises(ValueError, match="数据库断开"):
        list(read)
    assert not _reading_threads()


def test_read_ahead_stops_its_thread_when_closed_early():
    computed = []

    def items():
        for number in range(10**6):
            computed.append(number)
            yield number

    read = csv_fast.read_ahead(items(), depth=2)
    assert [next(read) for _ in range(15)] == list(range(15))
    read.close()
    assert not _reading_threads()
    assert len(computed) <= 15 + 2 + 1  # at most the items that wait, not the whole input


def test_the_investment_rates_read_directly_are_project_progress_rates():
    from projects.exports import InvestmentProgressCsv, _Figures
    from projects.selectors import PROGRESS_SOURCES, project_progress

    field = InvestmentProgressCsv()
    assert field.cells(("year_rate",)) is None  # only the pair the export computes
    rates = field.cells(("year_rate", "total_rate"))
    amounts = [None, Decimal("0.00"), Decimal("1.00"), Decimal("-2.50"), Decimal("3.33"), Decimal("123456789.01")]
    for planned in amounts:
        for done in amounts:
            for unknown in (0, 2):
                values = dict.fromkeys(PROGRESS_SOURCES)
                values.update(planned_year=planned, completed_year=done, completed_year_unknown=unknown)
                values.update(total_investment=done, completed_total=planned, completed_total_unknown=unknown)
                row = tuple(values[name] for name in PROGRESS_SOURCES)
                progress = project_progress(_Figures(row))
                assert rates(row) == (progress["year_rate"], progress["total_rate"])


@pytest.mark.postgres
def test_on_postgresql_the_chunks_are_read_ahead_and_the_thread_ends_with_the_response(w, tricky, monkeypatch):
    calls = []
    original = csv_fast.read_ahead

    def note(items, connection=None, **kwargs):
        calls.append(connection)
        return original(items, connection, **kwargs)

    monkeypatch.setattr(csv_fast, "read_ahead", note)
    monkeypatch.setattr(ExportMixin, "csv_fast_chunk_size", 1)  # one row a chunk: the thread is still reading
    answer = api_client(w.province).get("/api/v1/projects/", {"format": "csv"})
    chunks = iter(answer.streaming_content)
    assert next(chunks).startswith("\ufeff".encode())
    assert calls == [connections["default"]]  # the thread reads (and queries the nested lists) through it
    # The client went away: the reading thread is stopped and joined. (Without the request_finished signal,
    # which would close the test's connection: its transaction is the test's.)
    with monkeypatch.context() as patched:
        patched.setattr(request_finished, "send", lambda *args, **kwargs: [])
        answer.close()
    assert not _reading_threads()
    monkeypatch.setattr(ExportMixin, "csv_fast_chunk_size", 5000)
    (fast_status, fast), (status, serialized) = _both(monkeypatch, w.province, "/api/v1/projects/")
    assert fast_status == status == 200 and fast == serialized


@pytest.mark.postgres
@pytest.mark.parametrize("style", ["ISO, DMY", "ISO, YMD"])
def test_on_postgresql_dates_cast_to_text_are_the_serializers_dates(w, tricky, monkeypatch, style):
    """Dates and moments are cast to text (ISO 8601 whatever the field order of DateStyle), to the second."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW DateStyle")
        before = cursor.fetchone()[0]
        cursor.execute(f"SET DateStyle = '{style}'")
    try:
        for who in ("province", "taiyuan"):
            (fast_status, fast), (status, serialized) = _both(monkeypatch, getattr(w, who), "/api/v1/projects/")
            assert fast_status == status == 200
            assert fast == serialized
            assert b"2024-02-29" in fast
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET DateStyle = '{before}'")


@pytest.mark.parametrize(
    ("reported", "iso"),
    [("ISO, MDY", True), ("ISO, DMY", True), ("iso", True), ("German, DMY", False), ("SQL, DMY", False), (None, False)],
)
def test_dates_are_cast_only_under_an_iso_date_style(reported, iso):
    """Elsewhere (a server configured otherwise) the database writes them with to_char's pattern."""

    class Info:
        def parameter_status(self, name):
            assert name == "DateStyle"
            return reported

    class Connection:
        connection = type("Raw", (), {"info": Info()})()

        def ensure_connection(self):
            pass

    assert csv_fast._iso_date_style(Connection()) is iso

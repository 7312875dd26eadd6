"""API CSV exports are streamed a chunk at a time: the same bytes as the file built whole, hidden links still masked."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from common.api.views import ExportMixin
from common.scope import HIDDEN_RECORD_LABEL

from .conftest import api_client

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/projects/", "/api/v1/project-builders/", "/api/v1/enterprises/", "/api/v1/milestones/"]


def _export(user, url, **params):
    return api_client(user).get(url, {"format": "csv", **params})


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("who", ["province", "taiyuan", "viewer"])
def test_the_streamed_csv_is_the_csv_built_whole(w, monkeypatch, url, who):
    user = getattr(w, who)
    monkeypatch.setattr(ExportMixin, "export_chunk_size", 1)  # every record its own chunk: the joins are exercised
    streamed = _export(user, url)
    assert streamed.status_code == 200 and streamed.streaming
    assert streamed["Content-Type"] == "text/csv; charset=utf-8"
    body = streamed.getvalue()  # a stream is read once
    monkeypatch.setattr(ExportMixin, "stream_csv", False)
    whole = _export(user, url)
    assert not whole.streaming
    assert body == whole.content
    assert body.decode("utf-8-sig").count("\n") > 1


def test_a_city_users_stream_masks_the_linked_records_of_other_cities(w):
    body = _export(w.taiyuan, "/api/v1/projects/").getvalue().decode("utf-8-sig")
    assert w.ty_proj.name in body and HIDDEN_RECORD_LABEL in body
    assert w.yq_ent.name not in body and w.dt_proj.name not in body


def test_a_filtered_stream_and_an_empty_one(w):
    body = _export(w.province, "/api/v1/projects/", city="140100").getvalue().decode("utf-8-sig")
    assert w.ty_proj.name in body and w.dt_proj.name not in body
    empty = _export(w.province, "/api/v1/projects/", search="没有这样的项目")
    assert empty.getvalue() == "\ufeff\r\n".encode()


def test_the_stream_reads_chunks_not_a_query_per_record(w, monkeypatch):
    monkeypatch.setattr(ExportMixin, "export_chunk_size", 1000)
    with CaptureQueriesContext(connection) as queries:
        rows = _export(w.province, "/api/v1/projects/").getvalue().decode("utf-8-sig").count("\n") - 1
    # The records, then their mentions and builders: one query each per chunk, none per record.
    selects = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert rows >= 2 and len(selects) == 3, selects


def test_a_malformed_page_is_still_refused_in_json(w):
    answer = _export(w.province, "/api/v1/projects/", page="0")
    assert answer.status_code == 400 and "page" in answer.json()


@override_settings(EXPORT_XLSX_MAX_ROWS=1)
def test_a_large_xlsx_export_is_sent_to_the_export_job_with_a_message(w):
    answer = api_client(w.province).get("/api/v1/projects/", {"format": "xlsx"})
    assert answer.status_code == 400
    assert "后台导出任务" in answer.json()["format"][0] and "/api/v1/jobs/export/" in answer.json()["format"][0]
    one = api_client(w.province).get("/api/v1/projects/", {"format": "xlsx", "search": w.ty_proj.name})
    assert one.status_code == 200

"""Import-format exports show a linked record of another city as the placeholder; importing it back keeps the link."""

import pytest

from common.scope import HIDDEN_RECORD_LABEL
from tests.test_writers import import_rows
from transfers.datasets import DATASETS
from transfers.services import export_rows

from .conftest import api_client
from .matrix import as_for, without_tokens
from .world import MISSING_PK

pytestmark = pytest.mark.django_db


def _row(rows, name):
    return next(row for row in rows if row[0] == name)


def test_an_export_names_no_hidden_record_and_imports_back_unchanged(w):
    dataset = DATASETS["projects"]
    rows = export_rows(dataset=dataset, user=w.taiyuan)
    enterprise = dataset.headers.index("建设单位")
    row = _row(rows, w.ty_proj.name)
    assert row[enterprise] == HIDDEN_RECORD_LABEL
    assert w.yq_ent.name not in {str(cell) for row in rows for cell in row}
    row[dataset.headers.index("建设规模")] = "年产100列"  # a change of the clerk's, next to the kept link
    result = import_rows(w.taiyuan, "projects", [row])
    assert not result.errors, result.errors
    w.ty_proj.refresh_from_db()
    assert (w.ty_proj.enterprise, w.ty_proj.capacity) == (w.yq_ent, "年产100列")


def test_the_province_exports_every_name(w):
    dataset = DATASETS["projects"]
    row = _row(export_rows(dataset=dataset, user=w.province), w.ty_proj.name)
    assert row[dataset.headers.index("建设单位")] == w.yq_ent.name


def _export(client, dataset, filters):
    body = {"dataset": dataset, "file_format": "csv", "filters": filters}
    return client.post("/api/v1/jobs/export/", body, format="json")


def test_the_schema_documents_each_datasets_filters(w):
    schema = api_client(w.taiyuan).get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    branches = {ref["$ref"].rsplit("/", 1)[1] for ref in components["ExportRequestRequest"]["oneOf"]}
    assert branches == {f"ExportRequest{name.capitalize()}Request" for name in DATASETS}
    projects = components["ExportRequestProjectsRequest"]
    assert projects["properties"]["dataset"]["enum"] == ["projects"]
    filters = projects["properties"]["filters"]
    assert filters["additionalProperties"] is False
    assert {"city", "stage", "enterprise", "has_base", "ordering"} <= set(filters["properties"])
    # The words the filter takes (true/1/yes, false/0/no) and empty for "not filtered", as the list's parameter.
    assert set(filters["properties"]["has_base"]["enum"]) == {"true", "1", "yes", "false", "0", "no", ""}
    assert "signed" in filters["properties"]["stage"]["enum"]  # one value of the list's several


def test_export_filters_work_as_the_list_filters(w):
    client = api_client(w.taiyuan)
    for filters in ({"stage": "planned"}, {"has_base": "true"}, {"enterprise": w.ty_ent.pk}, {"search": ""}):
        assert _export(client, "projects", filters).status_code == 201, filters


def test_export_filter_by_a_hidden_id_is_answered_like_a_missing_id(w):
    client = api_client(w.taiyuan)
    answers = [_export(client, "projects", {"enterprise": pk}) for pk in (w.dt_ent.pk, MISSING_PK)]
    assert [a.status_code for a in answers] == [400, 400]
    assert without_tokens(answers[0].content.decode()) == as_for(answers[1].content.decode(), w.dt_ent.pk)

"""Import-format exports show a linked record of another city as the placeholder; importing it back keeps the link."""

import pytest

from common.scope import HIDDEN_RECORD_LABEL
from tests.test_writers import import_rows
from transfers.datasets import DATASETS
from transfers.services import export_rows

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

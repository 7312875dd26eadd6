"""A PATCH of a project: its queries are pinned, and the check constraints evaluated in Python still refuse."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import api_client

pytestmark = pytest.mark.django_db


def _patch(user, project, body):
    with CaptureQueriesContext(connection) as queries:
        response = api_client(user).patch(f"/api/v1/projects/{project.pk}/", body, format="json")
    return response, [q["sql"] for q in queries]


def test_a_patch_reads_the_record_once_and_checks_constraints_without_a_query(w):
    response, sql = _patch(w.province, w.ty_proj, {"capacity": "年产5万吨"})
    assert response.status_code == 200, response.content
    assert response.json()["capacity"] == "年产5万吨"
    # Lock, read (with 2 prefetches), a savepoint pair, 6 foreign keys, the unique name, update,
    # history, read back (with 2 prefetches); the test's own transaction adds a savepoint pair. Since the rollups
    # and the search column (issue 17): the project's rollup keys before and after (2 + 2), their upserts and the
    # search text's UPDATE, in a savepoint of their own.
    assert len(sql) <= 27, "\n".join(sql)
    reads = [q for q in sql if q.startswith('SELECT "projects_keyproject"."id", "projects_keyproject"."created"')]
    # Under the lock, before the write; the answer is that row with the written values (issue 17: a project's
    # own fields do not change its annotations, which come from other tables; tests/projects/test_api.py
    # checks that the answer equals a following read).
    assert len(reads) == 1
    assert not [q for q in sql if "_check" in q or 'SELECT 1 AS "_check"' in q]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"total_investment": "-1"}, None, "总投资不能为负数。"),
        ({"signed_on": "2024-05-01", "started_on": "2024-01-01"}, None, "签约日期不能晚于开工日期。"),
    ],
)
def test_a_patch_that_breaks_a_check_constraint_is_refused_with_its_message(w, body, field, message):
    response, _ = _patch(w.province, w.ty_proj, body)
    assert response.status_code == 400 and message in response.content.decode(), response.content


def test_a_city_users_patch_still_keeps_the_hidden_link(w):
    response, _ = _patch(w.taiyuan, w.ty_proj, {"capacity": "年产6万吨"})
    assert response.status_code == 200, response.content
    w.ty_proj.refresh_from_db()
    assert w.ty_proj.enterprise == w.yq_ent and w.ty_proj.capacity == "年产6万吨"

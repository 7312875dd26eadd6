"""Lists read by city staff cost the same number of queries for one row or many, names of hidden links included.

Generated for every API list and every admin list: showing a linked record's name or the
placeholder (common.scope.is_visible) must not cost a query per row.
"""

from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import EnterpriseAlias, ProjectBuilder
from tests import factories
from tests.shared import built_once, fresh_copy

from .conftest import admin_client, api_client
from .entries import ENTRIES
from .matrix import admin_model_cases, admin_view_url, api_cases, api_request

pytestmark = pytest.mark.django_db


def _more_rows(w):
    """More 太原 rows of every kind that links a record 太原 staff may not see."""
    for number in range(3):
        project = factories.make_project(f"太原新项目{number}", w.ty, enterprise=w.yq_ent, park=w.ty_park)
        ProjectBuilder.objects.create(project=project, enterprise=w.dt_ent, role="合作建设")
        factories.make_report(project)
        ent = factories.make_enterprise(f"太原企业{number}", w.ty)
        EnterpriseAlias.objects.create(enterprise=ent, alias=f"太企{number}")


def _count(request) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == 200
    return len(queries)


@pytest.fixture(scope="class")
def few_queries(matrix_world, django_db_blocker) -> dict:
    """By (path, model): the queries of each list on the world (the admin lists 太原 staff may open).

    Then the rows of ``_more_rows`` are added for the class's tests; everything rolls back after its last test.
    """

    def build():
        w = fresh_copy(matrix_world)
        found = {}
        client = api_client(w.taiyuan)
        for entry, _ in (case.values for case in api_cases(ENTRIES, ("list",))):
            request = partial(api_request, client, entry.model, "list")
            request()
            found["api", entry.model] = _count(request)
        client = admin_client(w.taiyuan)
        for (entry,) in (case.values for case in admin_model_cases(ENTRIES, case="changelist-queries")):
            url = admin_view_url(entry.model, "changelist", None)
            if client.get(url).status_code != 403:
                found["admin", entry.model] = _count(partial(client.get, url))
        _more_rows(w)
        return found

    yield from built_once(django_db_blocker=django_db_blocker, build=build)


class TestListQueryCounts:
    """Every list's query count for 太原 staff on the world, then with the rows of ``_more_rows`` (added once)."""

    @pytest.mark.parametrize("entry,action", api_cases(ENTRIES, ("list",)))
    def test_api_list_query_count_does_not_grow(self, w, few_queries, entry, action):
        client = api_client(w.taiyuan)
        request = partial(api_request, client, entry.model, "list")
        request()
        assert _count(request) <= few_queries["api", entry.model]

    @pytest.mark.parametrize("entry", admin_model_cases(ENTRIES, case="changelist-queries"))
    def test_admin_list_query_count_does_not_grow(self, w, few_queries, entry):
        client = admin_client(w.taiyuan)
        url = admin_view_url(entry.model, "changelist", None)
        if client.get(url).status_code == 403:
            return
        assert _count(partial(client.get, url)) <= few_queries["admin", entry.model]

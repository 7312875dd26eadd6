"""Lists read by city staff cost the same number of queries for one row or many, names of hidden links included.

Generated for every API list and every admin list: showing a linked record's name or the
placeholder (common.scope.is_visible) must not cost a query per row.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import EnterpriseAlias, ProjectBuilder
from tests import factories

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


@pytest.mark.parametrize("entry,action", api_cases(ENTRIES, ("list",)))
def test_api_list_query_count_does_not_grow(w, entry, action):
    client = api_client(w.taiyuan)
    request = lambda: api_request(client, entry.model, "list")  # noqa: E731
    request()
    few = _count(request)
    _more_rows(w)
    assert _count(request) <= few


@pytest.mark.parametrize("entry", admin_model_cases(ENTRIES, case="changelist-queries"))
def test_admin_list_query_count_does_not_grow(w, entry):
    client = admin_client(w.taiyuan)
    url = admin_view_url(entry.model, "changelist", None)
    if client.get(url).status_code == 403:
        return
    few = _count(lambda: client.get(url))
    _more_rows(w)
    assert _count(lambda: client.get(url)) <= few

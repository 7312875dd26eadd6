"""The project list at scale: cursor pages, counts from the rollups, estimated counts above 100,000 rows."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.api import pagination
from projects.models import KeyProject
from tests.api.base import all_rows

ORDERINGS = ["", "name", "-name", "total_investment", "-total_investment", "started_on", "-city", "stage"]


def walk(client, params: dict, size: int = 2) -> list[dict]:
    """Every row of the list, following the ``next`` cursor links from ``?cursor=``."""
    rows, body = [], client.get("/api/v1/projects/", {**params, "cursor": "", "page_size": size}).json()
    while True:
        rows.extend(body["results"])
        assert len(body["results"]) <= size
        if not body["next"]:
            return rows
        body = client.get(body["next"]).json()


def nulls_last(rows: list[dict], ordering: str) -> list:
    """The ids of ``rows`` in the list's order (ties by id), empty values last (as the cursor pages order them)."""
    field = ordering.lstrip("-")
    value = (lambda row: Decimal(row[field])) if field == "total_investment" else (lambda row: row[field])
    known = sorted((row for row in rows if row[field] is not None), key=lambda row: row["id"])
    known.sort(key=value, reverse=ordering.startswith("-"))  # stable: ties keep the id order
    return [row["id"] for row in known] + sorted(row["id"] for row in rows if row[field] is None)


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_cursor_pages_give_every_row_once_in_the_lists_order(data, api, ordering):
    client = api(data.admin)
    params = {"ordering": ordering} if ordering else {}
    walked = walk(client, params)
    listed = all_rows(client, "/api/v1/projects/", params)
    assert sorted(row["id"] for row in walked) == sorted(row["id"] for row in listed)
    if ordering:
        assert [row["id"] for row in walked] == nulls_last(listed, ordering)
    else:  # the default order (-updated, name) has no empty values: the same as the numbered pages
        assert [row["id"] for row in walked] == [row["id"] for row in listed]


def test_cursor_pages_keep_filters_and_scope(data, api):
    client = api(data.ty_staff)
    walked = walk(client, {"stage": ["started", "planned"]}, size=1)
    listed = all_rows(client, "/api/v1/projects/", {"stage": ["started", "planned"]})
    assert [row["id"] for row in walked] == [row["id"] for row in listed]
    assert {row["city"] for row in walked} == {"140100"}


def test_a_cursor_page_bounds_only_the_columns_that_can_be_empty_by_null(data, api):
    """The default order (-updated, name, id) cannot be empty: its cursor condition says no IS NULL, which
    would keep the ordering's index from starting at the cursor's row (every row before it read)."""
    client = api(data.admin)
    second = client.get(client.get("/api/v1/projects/", {"cursor": "", "page_size": 2}).json()["next"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(second.json()["next"]).status_code == 200
    page = next(q["sql"] for q in queries.captured_queries if '"projects_keyproject"."updated" <' in q["sql"])
    for column in ("updated", "name", "id"):
        assert f'"projects_keyproject"."{column}" IS NULL' not in page
    # A column that can be empty, or one reached through a relation that can be empty, keeps them.
    keyset = pagination.Keyset(KeyProject.objects.order_by("-total_investment", "enterprise__name", "city__code"))
    assert keyset.nullable == {"total_investment": True, "enterprise__name": True, "city__code": False, "pk": False}


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "WzEsMl0"},  # [1,2]: the wrong number of values
        {"cursor": "WyJ4IiwieSIsIngiXQ"},  # ["x","y","x"]: not a date, not an id
        {"cursor": "", "page": "2"},
        {"cursor": ["", ""]},
    ],
)
def test_a_bad_cursor_is_a_404_in_chinese(data, api, params):
    """As DRF's own cursor and page paginations answer a page that does not exist: 404 with the reason."""
    response = api(data.admin).get("/api/v1/projects/", params)
    assert response.status_code == 404
    assert "游标" in response.json()["detail"]


def test_the_count_comes_from_the_rollups_when_they_keep_the_filters(data, api):
    client = api(data.admin)
    for params in (
        {},
        {"city": "140100"},
        {"stage": "started", "ordering": "-total_investment"},
        {"plan": data.plan.pk},
    ):
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/projects/", {**params, "page_size": 1}).json()
        sqls = [q["sql"] for q in queries.captured_queries]
        assert not [sql for sql in sqls if '"__count"' in sql and "projects_keyproject" in sql]
        assert any("projects_projectrollup" in sql for sql in sqls)
        assert body["count"] == len(all_rows(client, "/api/v1/projects/", {**params, "has_investment": "true"})) + len(
            all_rows(client, "/api/v1/projects/", {**params, "has_investment": "false"})
        )
        assert body["count_is_estimate"] is False


def test_the_count_is_exact_below_the_limit(data, api):
    body = api(data.admin).get("/api/v1/projects/", {"search": "项目"}).json()
    assert body["count"] == len(body["results"]) and body["count_is_estimate"] is False


@pytest.mark.postgres
def test_large_lists_count_by_estimate_and_say_so(data, api, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 1)
    client = api(data.admin)
    body = client.get("/api/v1/projects/", {"has_enterprise": "true"}).json()  # not kept by the rollups
    assert body["count_is_estimate"] is True and body["count"] >= 1
    cursor = client.get("/api/v1/projects/", {"has_enterprise": "true", "cursor": ""}).json()
    assert cursor["count_is_estimate"] is True
    # The rollups count exactly, however many rows.
    assert client.get("/api/v1/projects/", {"city": "140100"}).json()["count_is_estimate"] is False


def test_the_schema_documents_the_cursor_and_the_estimate(api, data):
    schema = api(data.admin).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/projects/"]["get"]
    assert "cursor" in {parameter["name"] for parameter in operation["parameters"]}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "count_is_estimate" in schema["components"]["schemas"][page]["properties"]

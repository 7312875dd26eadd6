"""The standard tests of an API resource, declared once (NetBox's APIViewTestCases, in pytest).

A test class names its endpoint and data; it gets tests of authentication, pagination, scope,
every filter (a valid and an invalid value), ordering, search, writes, query bounds and
exports. Callables take the ``data`` fixture namespace (tests/api/fixtures.py).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from decimal import Decimal

import django_filters
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from openpyxl import load_workbook

from common.api.renderers import export_table
from common.filters import StrictBooleanFilter
from common.scope import is_city_scoped

INVALID_VALUES = [
    (django_filters.OrderingFilter, "no_such_field"),
    (django_filters.ModelChoiceFilter, "999999"),
    (django_filters.MultipleChoiceFilter, "no_such_choice"),
    (StrictBooleanFilter, "maybe"),
    (django_filters.DateFilter, "2021-13-45"),
    (django_filters.NumberFilter, "abc"),
]


def invalid_value(filter_) -> str | None:
    for filter_class, value in INVALID_VALUES:
        if isinstance(filter_, filter_class):
            return value
    return None


def query_count(client_factory, user, url, params) -> tuple[int, object]:
    """Queries of one request by a freshly loaded user (so role and cities are read too)."""
    client = client_factory(get_user_model().objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return len(queries), response


def _cell(value):
    """A value as a spreadsheet reads it back: numbers as numbers, dates as datetimes."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime.combine(value, datetime.time())
    return value


def all_rows(client, url, params=None) -> list[dict]:
    response = client.get(url, {**(params or {}), "page_size": 1000})
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


class ResourceTests:
    url: str
    model: type
    filterset: type
    lookup: str = "pk"
    #: most queries a list or detail request may run, whatever the page size
    max_queries: int = 8
    #: filter name → data → (query params, the Q the result must equal)
    filter_cases: dict[str, Callable] = {}
    #: data → (search term, expected Q)
    search_case: Callable | None = None
    #: data → payload for provincial staff; → (invalid payload, fields that must carry errors)
    create_payload: Callable
    invalid_payload: Callable
    #: data → (record, PATCH payload)
    update_case: Callable
    #: data → a record that can be deleted
    delete_record: Callable
    #: city-scoped resources: data → payload in Taiyuan (None: city staff may not create)
    city_payload: Callable | None = None
    #: city-scoped resources: data → a record Taiyuan's staff must not see
    other_city_record: Callable | None = None

    def detail_url(self, record) -> str:
        return f"{self.url}{getattr(record, self.lookup)}/"

    def visible_pks(self, user) -> set:
        return set(self.model.objects.for_user(user).values_list("pk", flat=True))

    def result_pk_list(self, rows) -> list:
        if self.lookup == "pk":
            return [row["id"] for row in rows]
        pk_of = dict(self.model.objects.values_list(self.lookup, "pk"))
        return [pk_of[row[self.lookup]] for row in rows]

    def result_pks(self, rows) -> set:
        return set(self.result_pk_list(rows))

    # Reading

    def test_anonymous_is_refused(self, data, api):
        assert api(None).get(self.url).status_code in (401, 403)

    def test_user_without_role_is_refused(self, data, api):
        assert api(data.nobody).get(self.url).status_code == 403

    def test_list_is_paginated_and_complete(self, data, api):
        body = api(data.admin).get(self.url, {"page_size": 1}).json()
        assert set(body) == {"count", "count_is_estimate", "next", "previous", "results"}
        assert body["count"] == self.model.objects.count() and len(body["results"]) == 1
        assert body["count_is_estimate"] is False  # a small table is counted exactly
        assert body["next"] is not None and body["previous"] is None

    def test_detail(self, data, api):
        record = self.model.objects.first()
        response = api(data.viewer).get(self.detail_url(record))
        assert response.status_code == 200
        assert self.result_pks([response.json()]) == {record.pk}

    @pytest.mark.parametrize("role", ["admin", "ty_staff"])
    def test_list_query_count_does_not_grow_with_page_size(self, data, api, role):
        user = getattr(data, role)
        one, _ = query_count(api, user, self.url, {"page_size": 1})
        hundred, response = query_count(api, user, self.url, {"page_size": 100})
        assert len(response.json()["results"]) == len(self.visible_pks(user)) > 1
        assert one == hundred <= self.max_queries

    def test_detail_query_count(self, data, api):
        count, _ = query_count(
            api, data.ty_staff, self.detail_url(self.model.objects.for_user(data.ty_staff).first()), {}
        )
        assert count <= self.max_queries

    # Filters, search and ordering

    def test_every_filter_has_a_test(self):
        assert set(self.filterset.base_filters) - {"ordering", "search"} == set(self.filter_cases)

    def test_filter(self, data, api, filter_name):
        params, expected = self.filter_cases[filter_name](data)
        rows = all_rows(api(data.admin), self.url, params)
        expected_pks = set(self.model.objects.filter(expected).values_list("pk", flat=True))
        assert expected_pks, "a filter test needs a non-empty expected result"
        assert self.result_pks(rows) == expected_pks

    def test_invalid_filter_value(self, data, api, filter_name):
        value = invalid_value(self.filterset.base_filters[filter_name])
        response = api(data.admin).get(self.url, {filter_name: value})
        assert response.status_code == 400 and filter_name in response.json()

    def test_unknown_parameter_is_refused(self, data, api):
        response = api(data.admin).get(self.url, {"no_such_filter": "1"})
        assert response.status_code == 400 and "no_such_filter" in response.json()

    def test_ordering(self, data, api, ordering):
        field = self.filterset.base_filters["ordering"].param_map[ordering.lstrip("-")]
        rows = all_rows(api(data.admin), self.url, {"ordering": ordering})
        value_of = dict(self.model.objects.values_list("pk", field))
        order = f"-{field}" if ordering.startswith("-") else field
        assert [value_of[pk] for pk in self.result_pk_list(rows)] == list(
            self.model.objects.order_by(order).values_list(field, flat=True)
        )

    def test_search(self, data, api):
        if self.search_case is None:
            assert "search" not in self.filterset.base_filters, "a searchable resource needs a search_case"
            return
        term, expected = self.search_case(data)
        rows = all_rows(api(data.admin), self.url, {"search": term})
        assert self.result_pks(rows) == set(self.model.objects.filter(expected).values_list("pk", flat=True)) != set()

    # Writing

    def test_create(self, data, api):
        response = api(data.admin).post(self.url, self.create_payload(data), format="json")
        assert response.status_code == 201, response.json()
        assert self.model.objects.filter(pk=self.result_pks([response.json()]).pop()).exists()

    def test_create_invalid_answers_400_per_field(self, data, api):
        payload, fields = self.invalid_payload(data)
        response = api(data.admin).post(self.url, payload, format="json")
        assert response.status_code == 400, response.content[:500]
        assert set(fields) <= set(response.json()), response.json()

    def test_update(self, data, api):
        record, payload = self.update_case(data)
        response = api(data.admin).patch(self.detail_url(record), payload, format="json")
        assert response.status_code == 200, response.json()
        record.refresh_from_db()
        for name, value in payload.items():
            assert response.json()[name] == value

    def test_delete(self, data, api):
        record = self.delete_record(data)
        assert api(data.admin).delete(self.detail_url(record)).status_code == 204
        assert not self.model.objects.filter(pk=record.pk).exists()

    def test_viewer_cannot_write(self, data, api):
        client = api(data.ty_viewer)
        assert client.post(self.url, self.create_payload(data), format="json").status_code == 403
        assert client.delete(self.detail_url(self.delete_record(data))).status_code == 403

    def test_city_staff_write_where_their_role_allows(self, data, api):
        client = api(data.ty_staff)
        if not is_city_scoped(self.model):
            assert client.post(self.url, self.create_payload(data), format="json").status_code == 403
            record, payload = self.update_case(data)
            assert client.patch(self.detail_url(record), payload, format="json").status_code == 403
            return
        if self.city_payload is not None:
            response = client.post(self.url, self.city_payload(data), format="json")
            assert response.status_code == 201, response.json()
        other = self.other_city_record(data)
        assert client.delete(self.detail_url(other)).status_code == 404
        assert self.model.objects.filter(pk=other.pk).exists()

    # City scope

    def test_city_staff_see_only_their_scope(self, data, api):
        client = api(data.ty_staff)
        if not is_city_scoped(self.model):
            # Province-wide records: city staff read every one of them.
            listed = self.result_pks(all_rows(client, self.url))
            assert listed == set(self.model.objects.values_list("pk", flat=True)) and listed
            return
        other = self.other_city_record(data)
        listed = self.result_pks(all_rows(client, self.url))
        assert listed == self.visible_pks(data.ty_staff) and other.pk not in listed
        assert client.get(self.detail_url(other)).status_code == 404
        assert self.result_pks(all_rows(client, self.url, {"city": "140200"})) == set()
        assert other.pk not in self.result_pks(all_rows(client, self.url, {"search": str(other)[:4]}))
        exported = list(
            csv.DictReader(io.StringIO(client.get(self.url, {"format": "csv"}).getvalue().decode("utf-8-sig")))
        )
        assert len(exported) == len(listed)

    # Exports

    def exported_list(self, client) -> tuple[list[str], list[list]]:
        """The JSON list as the export writes it: Chinese headers, choices by label, typed values."""
        serializer_class = resolve(self.url).func.cls.serializer_class
        header, rows = export_table(all_rows(client, self.url), serializer_class(context={}))
        assert not [name for name in header if name.isascii()], header
        return header, rows

    def test_csv_export_parses_back_to_the_list(self, data, api):
        client = api(data.admin)
        header, rows = self.exported_list(client)
        response = client.get(self.url, {"format": "csv"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        exported = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
        assert exported == [header, *[["" if value is None else str(value) for value in row] for row in rows]]

    def test_xlsx_export_parses_back_to_the_list(self, data, api):
        client = api(data.admin)
        header, rows = self.exported_list(client)
        response = client.get(self.url, {"format": "xlsx"})
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        exported = [list(row) for row in sheet.iter_rows(values_only=True)]
        # A spreadsheet keeps no difference between an empty string and an empty cell; a date is a datetime.
        expected = [[None if value == "" else _cell(value) for value in row] for row in rows]
        assert exported == [header, *expected]

    def test_export_honours_filters(self, data, api):
        assert self.filter_cases, "every resource has at least one filter"
        params, expected = next(iter(self.filter_cases.values()))(data)
        response = api(data.admin).get(self.url, {**params, "format": "csv"})
        exported = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
        assert len(exported) == self.model.objects.filter(expected).count()


def ids(*records) -> Q:
    return Q(pk__in=[record.pk for record in records])

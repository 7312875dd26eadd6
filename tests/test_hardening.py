"""Requests that used to hurt the server: history exports, deeply nested JSON (issue 12, findings 8, 12, 14)."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from common.api.parsers import MAX_JSON_DEPTH, json_depth_exceeds

pytestmark = pytest.mark.django_db


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# Finding 8: history exports and nested JSON


def test_history_exports_as_csv_and_xlsx(world, province_user):
    client = api_client(province_user)
    url = f"/api/v1/projects/{world['ty_proj'].pk}/history/"
    as_csv = client.get(url, {"format": "csv"})
    assert as_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [row["history_type_display"] for row in rows] == ["新增"]
    as_xlsx = client.get(url, {"format": "xlsx"})
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True).worksheets[0]
    assert "history_type_display" in next(sheet.iter_rows(values_only=True))


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_is_a_400(world, province_user, depth):
    client = api_client(province_user)
    body = '{"name": ' + nested(depth) + "}"
    response = client.patch(f"/api/v1/projects/{world['ty_proj'].pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == f"JSON 嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）。"


def test_json_nested_within_the_limit_reaches_validation(world, province_user):
    client = api_client(province_user)
    body = json.dumps({"name": json.loads(nested(MAX_JSON_DEPTH - 1))})
    response = client.patch(f"/api/v1/projects/{world['ty_proj'].pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_depth_counts_containers_only():
    assert not json_depth_exceeds({"a": [1, {"b": "c"}]}, limit=3)
    assert json_depth_exceeds({"a": [1, {"b": []}]}, limit=3)
    assert not json_depth_exceeds("scalar", limit=0)

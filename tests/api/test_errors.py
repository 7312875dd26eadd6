"""Answers for requests no API view serves: JSON under /api/, the site's HTML pages elsewhere."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from common.api.exceptions import server_error


@pytest.mark.parametrize("path", ["/api/v1/bases/a.b/history/", "/api/v1/no-such-list/", "/api/nothing/"])
def test_a_path_no_api_view_serves_answers_json_404(db, path):
    response = Client().get(path)
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json() == {"detail": "记录或页面不存在。"}


def test_a_path_outside_the_api_answers_the_html_404(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_answers_json(rf):
    response = server_error(rf.get("/api/v1/bases/"))
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    assert json.loads(response.content) == {"detail": "服务器内部错误，请稍后再试。"}
    assert server_error(rf.get("/dashboard/"))["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_missing_record_is_answered_in_chinese_without_the_model_name(province_user):
    client = APIClient()
    client.force_authenticate(province_user)
    for url in ("/api/v1/projects/999999/", "/api/v1/enterprises/999999/", "/api/v1/targets/999999/history/"):
        response = client.get(url)
        assert (response.status_code, response.json()) == (404, {"detail": "记录或页面不存在。"}), url


def test_the_html_500_page_is_the_sites_own_and_needs_no_database(rf):
    # No db fixture: any query would raise "Database access not allowed".
    response = server_error(rf.get("/cities/140100/"))
    page = response.content.decode()
    assert response.status_code == 500 and "服务器出错" in page and 'class="topbar"' in page

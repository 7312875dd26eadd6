"""Answers for requests no API view serves: JSON under /api/, the site's HTML pages elsewhere."""

import json

import django_filters
import pytest
from django.test import Client
from rest_framework.test import APIClient

from common.api.exceptions import server_error
from common.filters import StrictBooleanFilter
from sxplan_site.api_urls import router


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


def _boolean_filters():
    """(list URL, filter name) of every yes/no filter of every API list."""
    for prefix, viewset, _ in router.registry:
        filterset_class = getattr(viewset, "filterset_class", None)
        for name, filter_ in (filterset_class.base_filters if filterset_class else {}).items():
            if isinstance(filter_, django_filters.BooleanFilter | StrictBooleanFilter):
                yield f"/api/v1/{prefix}/", name


@pytest.mark.django_db
def test_every_yes_no_filter_refuses_a_value_that_is_neither(province_user):
    """?includes_projects=maybe is a 400 naming the filter, not the unfiltered list (django-filter's default)."""
    client = APIClient()
    client.force_authenticate(province_user)
    cases = list(_boolean_filters())
    assert ("/api/v1/rounds/", "includes_projects") in cases and len(cases) > 10
    for url, name in cases:
        for value in ("maybe", "2", "true,false"):
            response = client.get(url, {name: value})
            assert (response.status_code, list(response.json())) == (400, [name]), (url, name, value)
        assert client.get(url, {name: "false"}).status_code == 200, (url, name)


@pytest.mark.django_db
def test_a_filter_of_one_value_given_twice_is_refused_one_of_many_values_is_not(province_user):
    client = APIClient()
    client.force_authenticate(province_user)
    twice = client.get("/api/v1/projects/?city=140100&city=140200&has_base=true&has_base=false")
    assert (twice.status_code, twice.json()) == (400, {"city": ["只能指定一个值。"], "has_base": ["只能指定一个值。"]})
    stages = client.get("/api/v1/projects/?stage=planned&stage=started&city=140100")
    assert stages.status_code == 200, stages.json()

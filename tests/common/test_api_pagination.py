"""Pages read key-first (common.api.pagination) and lists that join regions skip their outlines."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import KeyProject
from tests import factories

URL = "/api/v1/projects/"


def _tied_projects(data, n=23):
    return [factories.make_project(f"同额项目{i:02d}", data.taiyuan, total_investment=Decimal(5)).pk for i in range(n)]


def test_pages_neither_overlap_nor_skip_rows_when_the_order_ties(data, api):
    tied = _tied_projects(data)
    client = api(data.admin)
    seen, page = [], 1
    while True:
        response = client.get(URL, {"ordering": "-total_investment", "city": "140100", "page_size": 7, "page": page})
        assert response.status_code == 200, response.json()
        body = response.json()
        seen.extend(row["id"] for row in body["results"])
        if not body["next"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == body["count"] == KeyProject.objects.filter(city=data.taiyuan).count()
    assert set(tied) <= set(seen)
    # Within equal amounts the primary key decides, so that every page is the same on every request.
    assert [pk for pk in seen if pk in tied] == sorted(tied)


def test_a_page_past_the_end_is_404_with_a_message(data, api):
    response = api(data.admin).get(URL, {"page": 99})
    assert response.status_code == 404
    assert response.json()["detail"]


def test_lists_that_join_regions_do_not_read_their_outlines(data, api):
    client = api(data.admin)
    for url in (URL, "/api/v1/targets/", "/api/v1/observations/", "/api/v1/enterprises/", "/api/v1/parks/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"city": "140100"} if url == URL else {}).status_code == 200
        assert not [q["sql"] for q in queries if "boundary" in q["sql"]], url


def test_the_map_still_reads_the_outlines(data, api):
    features = api(data.admin).get("/api/v1/geo/cities/").json()["features"]
    assert any(feature["geometry"] for feature in features)


@pytest.mark.parametrize("size", ["0", "-1", "true", "١٢", "", ["5", "6"]])
def test_a_page_size_that_is_not_one_positive_whole_number_is_refused(data, api, size):
    response = api(data.admin).get(URL, {"page_size": size})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["每页条数须为一个正整数。"]}


def test_a_page_size_above_the_largest_gives_the_largest(data, api):
    response = api(data.admin).get(URL, {"page_size": 5000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(1000, response.json()["count"])


def test_an_export_ignores_a_well_formed_page_and_refuses_a_malformed_one(data, api):
    client = api(data.viewer)
    assert client.get("/api/v1/projects/", {"format": "csv", "page": "7", "page_size": "2"}).status_code == 200
    answer = client.get("/api/v1/projects/", {"format": "csv", "page": "0"})
    assert answer.status_code == 400 and "page" in answer.json()


def test_an_empty_format_is_a_format_no_renderer_serves(data, api):
    assert api(data.viewer).get("/api/v1/industries/tree/", {"format": ""}).status_code == 404


@pytest.mark.parametrize("page", ["", "abc", "١", ["1", "2"]])
def test_a_page_that_is_not_one_whole_number_is_refused(data, api, page):
    # DRF read an empty ?page= as the first page: a request the schema calls invalid was answered 200.
    response = api(data.admin).get(URL, {"page": page})
    assert response.status_code == 400
    assert response.json() == {"page": ["页码须为一个正整数。"]}


def test_the_last_page_can_be_asked_for_by_name(data, api):
    response = api(data.admin).get(URL, {"page": "last", "page_size": 1})
    assert response.status_code == 200
    assert response.json()["next"] is None

"""The dashboards' cached answers (projects.dashboard_cache): served again until a write commits, then
recomputed; kept apart per scope; never older than the last committed write."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from projects import dashboard_cache
from projects.models import KeyProject
from projects.services import key_project_create, key_project_delete, key_project_update, project_rollup_rebuild
from regions.models import Park

BY_CITY = "/api/v1/dashboard/projects-by-city/"
GEO_CITIES = "/api/v1/geo/cities/"


def city_row(body: dict, code: str) -> dict:
    return next((row for row in body["results"] if row["key"] == code), {"count": 0, "investment": None})


def feature(body: dict, code: str) -> dict:
    return next(f["properties"] for f in body["features"] if f["id"] == code)


def test_a_repeated_request_is_served_from_the_cache(data, api):
    client = api(data.admin)
    with CaptureQueriesContext(connection) as first:
        body = client.get(BY_CITY).json()
    with CaptureQueriesContext(connection) as again:
        assert client.get(BY_CITY).json() == body
    # The repeat reads the generation only (the test client's forced authentication runs no query).
    assert len(again) == 1 < len(first)
    assert client.get(BY_CITY, {"city": "140100"}).json() != body  # other parameters, another answer


def test_every_write_is_seen_by_the_next_request(data, api):
    client = api(data.admin)
    before = client.get(BY_CITY).json()
    geo_before = client.get(GEO_CITIES).json()
    project = key_project_create(
        user=None, data={"name": "缓存测试项目", "city": data.taiyuan, "stage": "signed", "total_investment": "7.25"}
    )
    after = client.get(BY_CITY).json()
    assert city_row(after, "140100")["count"] == city_row(before, "140100")["count"] + 1
    assert Decimal(city_row(after, "140100")["investment"]) == Decimal(
        city_row(before, "140100")["investment"]
    ) + Decimal("7.25")
    assert feature(client.get(GEO_CITIES).json(), "140100")["project_count"] == (
        feature(geo_before, "140100")["project_count"] + 1
    )
    key_project_update(instance=project, user=None, data={"city": data.datong})
    moved = client.get(BY_CITY).json()
    assert city_row(moved, "140100")["count"] == city_row(before, "140100")["count"]
    assert city_row(moved, "140200")["count"] == city_row(before, "140200")["count"] + 1
    key_project_delete(instance=project, user=None)
    assert client.get(BY_CITY).json() == before
    # A write that bypasses the services (a park made in the shell) is seen too: the trigger counts it.
    Park.objects.create(name="缓存测试园区", city=data.taiyuan)
    assert (
        feature(client.get(GEO_CITIES).json(), "140100")["park_count"]
        == feature(geo_before, "140100")["park_count"] + 1
    )


def test_a_rolled_back_write_leaves_the_generation(data):
    start = dashboard_cache.generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        key_project_create(user=None, data={"name": "回滚项目", "city": data.taiyuan, "stage": "signed"})
        assert dashboard_cache.generation() != start  # the writer's own transaction counts its write
        raise RuntimeError
    assert dashboard_cache.generation() == start


def test_answers_are_kept_apart_per_scope(data, api):
    province = api(data.admin).get(BY_CITY).json()
    city = api(data.ty_staff).get(BY_CITY).json()
    assert [row["key"] for row in city["results"]] == ["140100"]
    assert len(province["results"]) > 1
    assert api(data.admin).get(BY_CITY).json() == province
    assert dashboard_cache.scope_key(data.ty_staff) != dashboard_cache.scope_key(data.admin)
    assert dashboard_cache.scope_key(data.ty_viewer) == dashboard_cache.scope_key(data.ty_staff).replace(
        "city:", "viewer:"
    )


def test_an_invalid_filter_is_refused_every_time(data, api):
    client = api(data.admin)
    for _ in range(2):
        assert client.get(BY_CITY, {"stage": "nonsense"}).status_code == 400


def test_a_rebuild_after_a_raw_load_is_seen(data, api):
    """A load that bypasses the services (generate_data's COPY) and the rebuild after it change the answers."""
    client = api(data.admin)
    before = Decimal(city_row(client.get(BY_CITY).json(), "140100")["investment"])
    known = KeyProject.objects.filter(city=data.taiyuan, total_investment__isnull=False).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projects_keyproject SET total_investment = total_investment + 1 WHERE city_id = %s",
            [data.taiyuan.pk],
        )
    project_rollup_rebuild()
    assert known and Decimal(city_row(client.get(BY_CITY).json(), "140100")["investment"]) == before + known

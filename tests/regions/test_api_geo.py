"""GeoJSON of the cities and the zones."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_cities_feature_collection(data, api):
    body = api(data.admin).get("/api/v1/geo/cities/").json()
    assert body["type"] == "FeatureCollection"
    features = {f["id"]: f for f in body["features"]}
    assert set(features) == {"140100", "140200", "140700"}
    taiyuan = features["140100"]
    assert taiyuan["geometry"]["type"] == "Polygon"
    props = taiyuan["properties"]
    assert [(z["name"], z["inferred"]) for z in props["zones"]] == [("太忻一体化核", False), ("大西发展带", True)]
    assert (props["project_count"], Decimal(props["project_investment"])) == (3, Decimal("57.50"))
    assert (props["park_count"], props["enterprise_count"], props["base_count"]) == (2, 2, 1)
    assert props["center"] == [112.5, 37.8]
    assert features["140700"]["geometry"] is None


def test_city_staff_get_no_figures_of_other_cities(data, api):
    features = {f["id"]: f["properties"] for f in api(data.ty_staff).get("/api/v1/geo/cities/").json()["features"]}
    assert features["140200"]["project_count"] == 0 and features["140200"]["base_count"] == 0
    assert features["140100"]["project_count"] == 3


def test_zones_feature_collection(data, api):
    body = api(data.ty_staff).get("/api/v1/geo/zones/", {"kind": "belt"}).json()
    (belt,) = body["features"]
    assert belt["geometry"]["type"] == "MultiPolygon" and len(belt["geometry"]["coordinates"]) == 2
    assert belt["properties"]["cities"] == ["140100", "140200"]
    assert belt["properties"]["project_count"] == 3  # Datong's are not this user's to count


def test_geojson_query_count_is_fixed(data, api):
    client = api(data.admin)
    for url in ("/api/v1/geo/cities/", "/api/v1/geo/zones/"):
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        assert len(queries) <= 4


def test_geojson_refuses_bad_filters(data, api):
    assert api(data.admin).get("/api/v1/geo/zones/", {"kind": "bogus"}).status_code == 400
    assert api(None).get("/api/v1/geo/cities/").status_code in (401, 403)

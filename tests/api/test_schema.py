"""The OpenAPI schema and the interactive docs."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from common.api.schema import decimal_pattern


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning or error of drf-spectacular into a failure.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))


def test_the_schema_is_built_once_per_process_and_language(data, api, monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from common.api.schema_view import forget_schemas

    builds = []
    build = SchemaGenerator.get_schema
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, **kw: builds.append(1) or build(self, **kw))
    forget_schemas()
    try:
        first = api(data.viewer).get("/api/schema/", {"format": "json"})
        again = api(data.ty_staff).get("/api/schema/", {"format": "json"})
        assert len(builds) == 1 and first.status_code == again.status_code == 200
        assert again.json() == first.json() and first.json()["info"]["description"].startswith("山西省")
        # YAML is the same schema, written otherwise; another language is built for itself.
        assert api(data.viewer).get("/api/schema/").content.decode().startswith("openapi:")
        english = api(data.viewer).get("/api/schema/", {"format": "json", "lang": "en"}).json()
        assert len(builds) == 2 and english["paths"].keys() == first.json()["paths"].keys()
    finally:
        forget_schemas()


def test_the_schema_is_the_same_whoever_asks_first(data, api):
    """It is kept per process after the first build: a clerk's optional city (their default) must not leak into it."""
    from common.api.schema_view import forget_schemas

    built = {}
    for role in ("ty_staff", "admin"):
        forget_schemas()
        built[role] = api(getattr(data, role)).get("/api/schema/", {"format": "json"}).json()
    forget_schemas()
    assert built["ty_staff"] == built["admin"]
    new_project = built["ty_staff"]["components"]["schemas"]["KeyProjectRequest"]
    assert "city" in new_project["required"]


def test_schema_describes_every_endpoint_and_filter(data, api):
    schema = api(data.viewer).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/projects/" in paths and "/api/v1/dashboard/projects-by-stage/" in paths
    params = {p["name"] for p in paths["/api/v1/projects/"]["get"]["parameters"]}
    assert {
        "city",
        "zone",
        "industry",
        "stage",
        "investment_min",
        "search",
        "ordering",
        "page_size",
        "format",
    } <= params
    dashboard = {p["name"] for p in paths["/api/v1/dashboard/projects-by-stage/"]["get"]["parameters"]}
    assert {"city", "zone", "stage"} <= dashboard


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_are_served_without_a_cdn(data, client, url):
    client.force_login(data.viewer)
    html = client.get(url).content.decode()
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize(
    ("text", "allowed"),
    [("", False), ("-.", False), (".", False), ("-", False), ("0", True), ("-1.5", True), (".25", True)]
    + [("9999.99", True), ("10000", True), ("10000.00", True), ("10000.01", False), ("10001", False)],
)
def test_decimal_pattern_takes_only_numbers_within_the_magnitude(text, allowed):
    pattern = decimal_pattern(whole_digits=12, decimal_places=2, maximum=Decimal("10000"), signed=True)
    assert bool(re.fullmatch(pattern, text)) is allowed


def test_decimal_pattern_of_a_field_that_cannot_be_negative_has_no_sign():
    pattern = decimal_pattern(whole_digits=12, decimal_places=2, maximum=None, signed=False)
    assert re.fullmatch(pattern, "123456789012.5") and not re.fullmatch(pattern, "-1")


def test_schema_carries_the_models_bounds(data, api):
    components = api(data.viewer).get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    report = components["ProjectReportRequest"]["properties"]
    assert (report["year"]["minimum"], report["year"]["maximum"]) == (2000, 2100)
    assert not re.fullmatch(report["investment_completed"]["pattern"], "10001")
    region = components["RegionRequest"]
    assert region["properties"]["code"]["pattern"] == "^[1-9][0-9]{5}$"
    assert region["allOf"][0]["anyOf"][0]["allOf"][0]["properties"]["level"]["enum"] == ["province"]
    assert "allOf" not in components["PatchedRegionRequest"]
    assert not any("x-check-constraints" in component for component in components.values())


def test_a_number_filter_refuses_what_its_field_cannot_hold(data, api):
    client = api(data.viewer)
    assert client.get("/api/v1/projects/", {"capacity_min": "1e50"}).status_code == 400
    assert client.get("/api/v1/projects/", {"investment_max": "10000"}).status_code == 200
    parameters = client.get("/api/schema/", {"format": "json"}).json()["paths"]["/api/v1/projects/"]["get"]
    capacity = next(p for p in parameters["parameters"] if p["name"] == "capacity_min")
    assert capacity["schema"]["maximum"] == 10**12 and capacity["description"]


def test_a_relation_in_json_is_null_not_an_empty_string(data, api):
    client = api(data.admin)
    answer = client.post("/api/v1/enterprises/", {"name": "空城市企业", "kind": "institute", "city": ""}, format="json")
    assert answer.status_code == 400 and "city" in answer.json()
    answer = client.post("/api/v1/enterprises/", {"name": "无城市", "kind": "institute", "city": None}, format="json")
    assert answer.status_code == 201, answer.json()


def test_a_number_filter_on_an_integer_field_takes_whole_numbers(data, api):
    client = api(data.viewer)
    assert client.get("/api/v1/bases/", {"revenue_target_year_min": "1e15"}).status_code == 400
    assert client.get("/api/v1/bases/", {"revenue_target_year_min": "2020"}).status_code == 200


def test_every_operation_has_a_chinese_tag_and_summary_and_no_developer_docstring(data, api):
    schema = api(data.viewer).get("/api/schema/", {"format": "json"}).json()
    cjk = re.compile(r"[\u4e00-\u9fff]")
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert [tag for tag in operation["tags"] if cjk.search(tag)] == operation["tags"] != [], where
        assert cjk.search(operation.get("summary", "")), where
        assert "Subclasses" not in operation.get("description", ""), where
        description = operation.get("description", "")
        assert not description or cjk.search(description), where
    tags = {tag for _, _, operation in operations for tag in operation["tags"]}
    assert {"重点项目", "指标", "统计看板", "地图", "导入导出与后台任务"} <= tags
    projects = schema["paths"]["/api/v1/projects/"]
    assert (projects["get"]["summary"], projects["post"]["summary"]) == ("重点项目列表", "新建重点项目")

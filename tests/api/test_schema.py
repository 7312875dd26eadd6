"""The OpenAPI schema and the interactive docs."""

import pytest
from django.core.management import call_command


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning or error of drf-spectacular into a failure.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))


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

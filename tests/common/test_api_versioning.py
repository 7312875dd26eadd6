"""Edit conflicts (ETag / If-Match → 412) and change history (…/{id}/history/) over the API."""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from rest_framework.test import APIClient

from projects.models import KeyProject
from tests.concurrency import run_at_once
from tests.transfers.conftest import xlsx_bytes
from transfers import services


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_detail_carries_etag_and_stale_writes_answer_412(world, taiyuan_user):
    client = client_for(taiyuan_user)
    url = f"/api/v1/projects/{world['ty_proj'].pk}/"
    etag = client.get(url)["ETag"]
    assert etag.startswith('"') and len(etag) == 34

    first = client.patch(url, {"total_investment": "11.00"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first["ETag"] != etag and first["ETag"] == client.get(url)["ETag"]

    stale = client.patch(url, {"total_investment": "99.00"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert "已被他人修改" in stale.json()["detail"]
    assert (
        client.put(url, {**client.get(url).json(), "name": "改名"}, format="json", HTTP_IF_MATCH=etag).status_code
        == 412
    )
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert KeyProject.objects.get(pk=world["ty_proj"].pk).total_investment == Decimal("11.00")
    assert KeyProject.history.filter(id=world["ty_proj"].pk).count() == 2

    assert client.patch(url, {"capacity": "年产 1 万台"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert client.patch(url, {"capacity": "年产 2 万台"}, format="json").status_code == 200
    current = client.get(url)["ETag"]
    assert client.delete(url, HTTP_IF_MATCH=f'"other", W/{current}').status_code == 204


@pytest.mark.django_db
def test_history_lists_who_when_what_within_scope(world, taiyuan_user, datong_user, province_user):
    client = client_for(taiyuan_user)
    created = client.post(
        "/api/v1/projects/", {"name": "历史项目", "city": "140100", "stage": "planned"}, format="json"
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/projects/{created.json()['id']}/"
    client.patch(url, {"stage": "signed", "total_investment": "3.50"}, format="json")

    history = client.get(url + "history/")
    assert history.status_code == 200
    [changed, added] = history.json()["results"]
    assert (changed["history_type"], changed["history_type_display"], changed["history_user"]) == (
        "~",
        "修改",
        "taiyuan",
    )
    assert {c["field"]: (c["old"], c["new"]) for c in changed["changes"]} == {
        "stage": ("planned", "signed"),
        "total_investment": (None, "3.50"),
    }
    assert added["history_type"] == "+" and {"name", "city", "stage"} <= {c["field"] for c in added["changes"]}
    assert client_for(datong_user).get(url + "history/").status_code == 404
    assert client_for(province_user).get(url + "history/").json()["count"] == 2


@pytest.mark.django_db
def test_history_of_an_import_names_the_importer(world, province_user):
    # Columns left out of the file leave their fields alone.
    content = xlsx_bytes(
        [["项目名称", "所在城市（代码或名称）", "总投资（亿元）", "阶段"], ["太原轨道交通项目", "太原", 12, "开工"]]
    )
    services.import_job_create(
        user=province_user, dataset_name="projects", file_name="p.xlsx", content=content, dry_run=False
    )
    latest = client_for(province_user).get(f"/api/v1/projects/{world['ty_proj'].pk}/history/").json()["results"][0]
    assert latest["history_user"] == "province"
    assert {c["field"] for c in latest["changes"]} == {"total_investment", "stage"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_from_one_version_exactly_one_wins(world, province_user):
    url = f"/api/v1/projects/{world['ty_proj'].pk}/"
    etag = client_for(province_user).get(url)["ETag"]
    writers = 12
    barrier = threading.Barrier(writers)
    results: dict[int, tuple[int, str]] = {}

    def write(index: int) -> None:
        client = client_for(province_user)
        barrier.wait()
        try:
            response = client.patch(url, {"description": f"写入者 {index}"}, format="json", HTTP_IF_MATCH=etag)
            results[index] = (response.status_code, response.get("ETag", ""))
        finally:
            connections.close_all()

    run_at_once(write, writers, timeout=60)
    statuses = sorted(status for status, _ in results.values())
    print(f"\nconcurrent PATCH from one version: {statuses.count(200)} × 200, {statuses.count(412)} × 412")
    assert statuses == [200] + [412] * (writers - 1)
    [winner] = [index for index, (status, _) in results.items() if status == 200]
    project = KeyProject.objects.get(pk=world["ty_proj"].pk)
    assert project.description == f"写入者 {winner}"
    assert KeyProject.history.filter(id=project.pk, history_type="~").count() == 1

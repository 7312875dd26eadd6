"""Import, export and job status over the API (/api/v1/jobs/)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from projects.models import KeyProject
from transfers.spreadsheet import read_table

from .conftest import project_row

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_import(client, content, *, name="p.xlsx", dataset="projects", dry_run=True):
    return client.post(
        "/api/v1/jobs/import/",
        {"dataset": dataset, "file": SimpleUploadedFile(name, content), "dry_run": dry_run},
        format="multipart",
    )


def test_preview_then_apply(world, taiyuan_user, project_file):
    client = client_for(taiyuan_user)
    bad = post_import(client, project_file(project_row("太原新项目", **{"总投资（亿元）": "-1"})))
    assert bad.status_code == 201
    assert bad.json()["status"] == "failed"
    assert bad.json()["errors"] == [
        {
            "row": 2,
            "column": "总投资（亿元）",
            "message": "不能为负数。",
            "text": "第 2 行「总投资（亿元）」：不能为负数。",
        }
    ]
    preview = post_import(client, project_file(project_row("太原新项目", **{"总投资（亿元）": "1"}))).json()
    assert (preview["status"], preview["counts"]["created"], preview["dry_run"]) == ("succeeded", 1, True)
    assert not KeyProject.objects.filter(name="太原新项目").exists()
    applied = client.post(f"/api/v1/jobs/{preview['id']}/apply/")
    assert applied.status_code == 201 and applied.json()["message"].startswith("导入完成")
    assert KeyProject.objects.filter(name="太原新项目").exists()
    assert client.get(f"/api/v1/jobs/{preview['id']}/").json()["progress"] == 100


def test_refused_file_answers_400_with_message(world, province_user):
    response = post_import(client_for(province_user), b"\x00\x01binary", name="x.bin")
    assert response.status_code == 400
    assert response.json() == {"file": ["只接受 Excel（.xlsx）或 CSV 文件，请使用下载的模板填写。"]}


def test_viewer_cannot_import_but_can_export(world, viewer_user, project_file):
    client = client_for(viewer_user)
    assert post_import(client, project_file(project_row("x"))).status_code == 403
    job = client.post("/api/v1/jobs/export/", {"dataset": "enterprises", "file_format": "csv"}, format="json")
    assert job.status_code == 201
    download = client.get(f"/api/v1/jobs/{job.json()['id']}/download/")
    assert download.status_code == 200
    names = [row[0] for _, row in read_table(download.content, "e.csv").rows]
    assert "太原重工股份有限公司" in names


def test_jobs_are_private_and_anonymous_is_refused(world, taiyuan_user, datong_user, province_user, project_file):
    job = post_import(client_for(taiyuan_user), project_file(project_row("太原新项目"))).json()
    assert client_for(datong_user).get(f"/api/v1/jobs/{job['id']}/").status_code == 404
    assert client_for(datong_user).post(f"/api/v1/jobs/{job['id']}/apply/").status_code == 404
    assert client_for(province_user).get("/api/v1/jobs/").json()["count"] == 1
    assert client_for(province_user).post(f"/api/v1/jobs/{job['id']}/apply/").status_code == 403
    assert APIClient().get("/api/v1/jobs/").status_code in (401, 403)


def test_export_with_filters_and_template(world, province_user):
    client = client_for(province_user)
    job = client.post(
        "/api/v1/jobs/export/",
        {"dataset": "projects", "file_format": "xlsx", "filters": {"city": "140100"}},
        format="json",
    )
    content = client.get(f"/api/v1/jobs/{job.json()['id']}/download/").content
    assert [row[0] for _, row in read_table(content, "p.xlsx").rows] == ["太原轨道交通项目"]
    bad = client.post("/api/v1/jobs/export/", {"dataset": "projects", "filters": {"city": "999999"}}, format="json")
    assert bad.status_code == 400
    template = client.get("/api/v1/jobs/template/", {"dataset": "reports", "file_format": "csv"})
    assert template.status_code == 200 and read_table(template.content, "t.csv").header[0] == "项目名称"
    assert client.get("/api/v1/jobs/template/", {"dataset": "nope"}).status_code == 400

"""The admin import pages: template, upload → preview with every row error → apply; export download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jobs.models import Job
from projects.models import KeyProject

from .conftest import project_row

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True


def upload(client, content, name="p.xlsx", dataset="projects"):
    return client.post(
        reverse("admin:transfers_job_import"), {"dataset": dataset, "file": SimpleUploadedFile(name, content)}
    )


def test_template_download(client, province_user):
    client.force_login(province_user)
    response = client.get(reverse("admin:transfers_job_template", args=["projects", "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("admin:transfers_job_template", args=["nope", "xlsx"])).status_code == 404


def test_upload_preview_apply(client, world, taiyuan_user, project_file):
    client.force_login(taiyuan_user)
    page = client.get(reverse("admin:transfers_job_import"))
    assert "Excel 模板" in page.content.decode()
    response = upload(
        client, project_file(project_row("太原新项目", **{"阶段": "签约"}), project_row("x", city="大同"))
    )
    preview = Job.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "第 3 行「所在城市（代码或名称）」" not in page  # the table lists row, column and problem separately
    assert "只能选择本人负责的城市及其所辖县（市、区）。" in page
    assert "应用导入" not in page
    assert preview.status == "failed"

    response = upload(client, project_file(project_row("太原新项目", **{"阶段": "签约"})))
    preview = Job.objects.latest("pk")
    page = client.get(response["Location"]).content.decode()
    assert "预览通过：将新增 1 行" in page and "应用导入" in page
    assert not KeyProject.objects.filter(name="太原新项目").exists()
    response = client.post(reverse("admin:transfers_job_apply", args=[preview.pk]))
    assert response.status_code == 302
    assert KeyProject.objects.get(name="太原新项目").stage == "signed"


def test_refused_file_is_a_form_error(client, world, province_user):
    client.force_login(province_user)
    response = upload(client, b"%PDF-1.4 not a sheet", name="report.pdf")
    assert response.status_code == 200
    assert "只接受 Excel（.xlsx）或 CSV 文件" in response.content.decode()
    assert not Job.objects.exists()


def test_viewer_cannot_import(client, world, viewer_user, project_file):
    client.force_login(viewer_user)
    assert upload(client, project_file(project_row("新"))).status_code == 403


def test_export_downloads_and_jobs_are_private(client, world, taiyuan_user, datong_user):
    client.force_login(taiyuan_user)
    response = client.post(reverse("admin:transfers_job_export"), {"dataset": "projects", "file_format": "csv"})
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode("utf-8-sig")
    assert "太原轨道交通项目" in body and "大同机车项目" not in body
    job = Job.objects.get()
    assert client.get(reverse("admin:jobs_job_change", args=[job.pk])).status_code == 200
    client.force_login(datong_user)
    assert client.get(reverse("admin:transfers_job_download", args=[job.pk])).status_code == 404

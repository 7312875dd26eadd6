"""The admin as clerks read it (issue 18): Chinese wording, numbers, status columns, folded inlines,
pre-filled city, the import reachable from each list with a preview of the values read; API exports
in Chinese with typed cells; a one-city clerk's new project defaults to their city in the API too."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from jobs.models import Job
from projects.models import KeyProject
from projects.services import key_project_update
from tests import factories
from tests.transfers.conftest import csv_bytes, header, project_row

pytestmark = pytest.mark.django_db
WORLD_BUILT_ONCE = True

STOCK_WORDING = ["CHANGES", "None", "以 城市", "选择 重点项目 来修改", "---------", "它.", "你可以", "增加 "]


def page(client, user, url, **params) -> str:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_plain_chinese(html: str) -> None:
    found = [html[html.index(words) - 150 : html.index(words) + 50] for words in STOCK_WORDING if words in html]
    assert not found, found


def test_project_list_reads_in_chinese_with_figures_and_warnings(client, world, province_user):
    html = page(client, province_user, reverse("admin:projects_keyproject_changelist"))
    assert_plain_chinese(html)
    assert "选择要修改的重点项目" in html and "按城市" in html and "请选择" in html
    for column in ("阶段", "总投资（亿元）", "累计完成投资", "未解除预警"):
        assert column in html
    assert '<td class="field-total_investment">10</td>' in html  # 10.0000 stored
    assert '<span class="warning-yellow">1 条</span>' in html  # the world's open yellow warning
    # The import of this list, one click away.
    assert f'href="{reverse("admin:transfers_job_import")}?dataset=projects"' in html


def test_target_list_shows_goal_latest_value_and_status(client, world, province_user, regions):
    target = world["target"]
    factories.make_observation(regions["140000"], year=2023, value="1234.5000", target=target)
    html = page(client, province_user, reverse("admin:plans_target_changelist"))
    assert_plain_chinese(html)
    assert "最新监测值" in html and "进度状态" in html
    assert f"2023年 1,234.5 {target.indicator.unit}" in html
    target.rollup.refresh_from_db()
    assert f'<td class="field-progress_status">{target.rollup.get_status_display()}</td>' in html
    assert '?dataset=targets"' in html


def test_plan_page_links_its_sections_and_folds_its_inlines(client, world, province_user):
    plan = world["plan"]
    html = page(client, province_user, reverse("admin:plans_plan_change", args=[plan.pk]))
    assert_plain_chinese(html)
    assert "sections-TOTAL_FORMS" not in html  # the table of contents is no longer an inline
    assert "共 1 个章节" in html and f"plan__id__exact={plan.pk}" in html
    assert html.count("<details") >= 4 and "targets-TOTAL_FORMS" in html  # folded, still there


def test_history_names_fields_and_shows_dashes_for_nothing(client, world, province_user):
    project = world["ty_proj"]
    key_project_update(instance=project, user=province_user, data={"total_investment": None, "stage": "started"})
    html = page(client, province_user, reverse("admin:projects_keyproject_history", args=[project.pk]))
    assert_plain_chinese(html)
    assert "修改内容" in html and "修改历史：" in html
    assert "总投资（亿元）:</strong>" in html and "10" in html and "—" in html
    assert "阶段:</strong>" in html and "开工" in html and "started" not in html


def test_one_city_clerk_starts_in_their_city(client, world, taiyuan_user, regions):
    client.force_login(taiyuan_user)
    for url, field in [
        (reverse("admin:projects_keyproject_add"), "city"),
        (reverse("admin:plans_observation_add"), "scope"),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["adminform"].form.initial[field] == regions["140100"].pk
        assert_plain_chinese(response.content.decode())


def test_api_defaults_a_one_city_clerks_project_to_the_city(world, taiyuan_user, province_user):
    clerk = APIClient()
    clerk.force_authenticate(taiyuan_user)
    answer = clerk.post("/api/v1/projects/", {"name": "太原新项目"}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["city"] == "140100"
    province = APIClient()
    province.force_authenticate(province_user)
    assert "city" in province.post("/api/v1/projects/", {"name": "省级未定项目"}, format="json").json()


def test_api_exports_have_chinese_headers_labels_and_typed_cells(world, province_user):
    client = APIClient()
    client.force_authenticate(province_user)
    KeyProject.objects.filter(pk=world["ty_proj"].pk).update(signed_on=datetime.date(2024, 3, 1))
    response = client.get("/api/v1/projects/", {"format": "xlsx", "ordering": "name"})
    rows = [list(row) for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]
    head, records = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert {"编号", "项目名称", "阶段", "总投资（亿元）", "签约日期", "所在城市"} <= set(head)
    assert "stage" not in head and "stage_display" not in head and "阶段（名称）" not in head
    taiyuan = next(r for r in records if r["项目名称"] == "太原轨道交通项目")
    assert taiyuan["阶段"] == "谋划" and taiyuan["总投资（亿元）"] == 10
    assert taiyuan["签约日期"] == datetime.datetime(2024, 3, 1)
    assert taiyuan["本年度计划投资（亿元）"] is None or isinstance(taiyuan["本年度计划投资（亿元）"], int | float)
    text = b"".join(client.get("/api/v1/projects/", {"format": "csv"}).streaming_content).decode("utf-8-sig")
    csv_rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["阶段"] for r in csv_rows} == {"谋划"} and Decimal(csv_rows[0]["总投资（亿元）"]) in {10, 20}


def upload(client, rows):
    content = csv_bytes([header("projects"), *rows])
    return client.post(
        reverse("admin:transfers_job_import"), {"dataset": "projects", "file": SimpleUploadedFile("p.csv", content)}
    )


def test_import_from_a_list_previews_values_errors_first(client, world, taiyuan_user):
    html = page(client, taiyuan_user, reverse("admin:transfers_job_import"), dataset="projects")
    assert "导入重点项目" in html
    assert reverse("admin:transfers_job_template", args=["projects", "xlsx"]) in html
    assert reverse("admin:transfers_job_template", args=["targets", "xlsx"]) not in html  # this list's only
    assert 'value="projects" selected' in html

    response = upload(client, [project_row("太原新项目", **{"阶段": "签约"}), project_row("大同新项目", city="大同")])
    job = Job.objects.latest("pk")
    html = client.get(response["Location"]).content.decode()
    assert job.status == "failed"
    errors, preview = html.index('id="row-errors"'), html.index('id="preview-rows"')
    details = html.index("任务详情")
    assert errors < preview < details  # errors first, the job's technical fields last and folded
    error_table = html[errors:preview]
    assert "大同新项目" in error_table and "只能选择本人负责的城市" in error_table
    assert "太原新项目" in html[preview:details] and "签约" in html[preview:details]
    assert "{&quot;total&quot;" not in html and '{"total"' not in html  # the counts read as words
    assert_plain_chinese(html)


def test_import_preview_of_a_good_file_shows_counts_in_words(client, world, taiyuan_user):
    client.force_login(taiyuan_user)
    response = upload(client, [project_row("太原新项目", **{"阶段": "签约"})])
    html = client.get(response["Location"]).content.decode()
    assert "共 1 行：新增 1 行，修改 0 行，未变化 0 行" in html and "太原新项目" in html


def test_site_lists_link_to_their_import_for_those_who_may_add(client, world, taiyuan_user, viewer_user):
    link = f"{reverse('admin:transfers_job_import')}?dataset="
    city = page(client, taiyuan_user, "/cities/140100/")
    assert f'{link}projects"' in city
    project = page(client, taiyuan_user, f"/projects/{world['ty_proj'].pk}/")
    assert f'{link}reports"' in project
    assert link not in page(client, viewer_user, "/cities/140100/")

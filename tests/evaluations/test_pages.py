"""The evaluation pages: list, detail with downloads, regenerate for the province; the print stylesheet."""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Evaluation
from evaluations.services import evaluation_create
from jobs.models import Job


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_list_shows_the_evaluations_to_every_role_in_queries_that_do_not_grow(ev, client):
    page(client, ev.viewer, reverse("evaluations"))  # the first request also reads the session's user
    with CaptureQueriesContext(connection) as one:
        response = client.get(reverse("evaluations"))
    assert response.status_code == 200
    content = response.content.decode()
    assert ev.evaluation.title in content and "报告已生成" in content and "新建评估" not in content
    for year in (2021, 2022):
        evaluation_create(user=ev.province_user, data={"plan": ev.plan, "kind": "annual", "as_of": date(year, 12, 31)})
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(reverse("evaluations")).context["page"]) == 3
    assert len(three) == len(one)


def test_the_detail_shows_status_grades_and_downloads(ev, client):
    response = page(client, ev.province_user, reverse("evaluation", args=[ev.evaluation.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    download = reverse("evaluation-file", args=[ev.evaluation.pk])
    for file_format in ("docx", "xlsx", "pdf"):
        assert f"{download}?file_format={file_format}" in content
    assert 'data-testid="regenerate"' in content and "sheng" in content
    grades = dict(response.context["grades"])
    assert grades == {"提前实现": 1, "快于预期": 1, "基本符合预期": 1, "滞后": 1, "暂无数据": 1}


def test_city_staff_are_told_their_download_is_their_citys_and_cannot_regenerate(ev, client):
    url = reverse("evaluation", args=[ev.evaluation.pk])
    response = page(client, ev.taiyuan_user, url)
    content = response.content.decode()
    assert "仅含您负责城市的数据" in content and 'data-testid="regenerate"' not in content
    assert client.post(url).status_code == 403


def test_a_city_users_first_download_from_the_page_says_it_is_being_made(
    ev, client, django_capture_on_commit_callbacks
):
    client.force_login(ev.taiyuan_user)
    url = reverse("evaluation-file", args=[ev.evaluation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url, {"file_format": "docx"}, follow=True)
        content = response.content.decode()
        assert response.redirect_chain == [(reverse("evaluation", args=[ev.evaluation.pk]), 302)]
        assert "正在生成本市版本的报告" in content and 'data-testid="city-job"' in content
        assert '<meta http-equiv="refresh" content="5">' in content
    done = client.get(reverse("evaluation", args=[ev.evaluation.pk])).content.decode()
    assert "本市版本：已生成" in done
    assert '<meta http-equiv="refresh"' not in done
    file = client.get(url, {"file_format": "docx"})
    assert file.status_code == 200 and file["Content-Disposition"].startswith("attachment;")
    assert client.get(url, {"file_format": "odt"}).status_code == 302


def test_provincial_staff_regenerate_from_the_page(ev, client, django_capture_on_commit_callbacks):
    client.force_login(ev.province_user)
    jobs = Job.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evaluation", args=[ev.evaluation.pk]))
    assert response.status_code == 302 and Job.objects.count() == jobs + 1
    assert Evaluation.objects.get(pk=ev.evaluation.pk).job_id == Job.objects.latest("pk").pk


def test_the_print_stylesheet_is_the_last_rule_of_the_sites_css():
    css = (Path(settings.BASE_DIR) / "static" / "src" / "sxplan.css").read_text()
    tail = css[css.rindex("@media print") :]
    assert "@page { size: A4" in tail and ".topbar .mainnav" in tail
    assert tail.rstrip().endswith("}") and "@media" not in tail[1:]

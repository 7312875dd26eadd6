"""/api/v1/evaluations/: who may write, generate and download; a city user's report holds only their cities."""

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from evaluations.models import Evaluation, EvaluationFile
from evaluations.services import evaluation_freeze, evaluation_update
from jobs.models import Job

from .conftest import AS_OF, DATONG_SECRET

URL = "/api/v1/evaluations/"


def text_of(body: bytes, file_format: str) -> str:
    if file_format == "docx":
        document = Document(io.BytesIO(body))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if file_format == "xlsx":
        workbook = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row if value
        )
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).replace("\n", "")


def download(api, user, evaluation, file_format):
    return api(user).get(f"{URL}{evaluation.pk}/download/", {"file_format": file_format})


def test_provincial_staff_create_with_a_default_title(ev, api):
    response = api(ev.province_user).post(URL, {"plan": ev.plan.pk, "kind": "annual", "as_of": "2022-12-31"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == f"{ev.plan.title}年度评估报告"
    assert body["status"] == "draft" and body["created_by"] == "sheng" and body["formats"] == []


@pytest.mark.parametrize("who", ["taiyuan_user", "viewer"])
def test_city_staff_and_viewers_read_but_do_not_write(ev, api, who):
    client = api(getattr(ev, who))
    assert client.get(f"{URL}{ev.evaluation.pk}/").status_code == 200
    assert client.post(URL, {"plan": ev.plan.pk, "kind": "annual", "as_of": "2022-12-31"}).status_code == 403
    assert client.post(f"{URL}{ev.evaluation.pk}/generate/").status_code == 403
    assert client.post(f"{URL}{ev.evaluation.pk}/freeze/").status_code == 403
    assert client.patch(f"{URL}{ev.evaluation.pk}/", {"is_public": True}).status_code == 403


def test_duplicate_and_bad_input_answer_400_per_field(ev, api):
    client = api(ev.province_user)
    duplicate = client.post(URL, {"plan": ev.plan.pk, "kind": "midterm", "as_of": AS_OF.isoformat()})
    assert duplicate.status_code == 400 and "该规划在同一截止日期已有同类评估。" in str(duplicate.json())
    bad = client.post(URL, {"plan": ev.plan.pk, "kind": "weekly", "as_of": "1800-01-01"})
    assert bad.status_code == 400 and {"kind", "as_of"} <= set(bad.json())


def test_the_list_reads_in_a_bounded_number_of_queries(ev, api, django_assert_max_num_queries):
    for year in (2021, 2022):
        api(ev.province_user).post(URL, {"plan": ev.plan.pk, "kind": "annual", "as_of": f"{year}-12-31"})
    with django_assert_max_num_queries(8):
        response = api(ev.viewer).get(URL)
    assert response.status_code == 200 and response.json()["count"] == 3
    generated = next(row for row in response.json()["results"] if row["id"] == ev.evaluation.pk)
    assert generated["formats"] == ["docx", "pdf", "xlsx"] and generated["generated_by"] == "sheng"
    assert generated["job"]["status"] == "succeeded" and generated["job"]["progress"] == 100
    assert "snapshot" not in generated


def test_detail_carries_an_etag_and_a_stale_if_match_is_refused(ev, api):
    client = api(ev.province_user)
    etag = client.get(f"{URL}{ev.evaluation.pk}/")["ETag"]
    assert client.patch(f"{URL}{ev.evaluation.pk}/", {"is_public": True}, HTTP_IF_MATCH=etag).status_code == 200
    assert client.patch(f"{URL}{ev.evaluation.pk}/", {"is_public": False}, HTTP_IF_MATCH=etag).status_code == 412


def test_generate_over_the_api_runs_the_job_and_answers_it(ev, api, django_capture_on_commit_callbacks):
    created = api(ev.province_user).post(URL, {"plan": ev.plan.pk, "kind": "final", "as_of": "2025-12-31"}).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(ev.province_user).post(f"{URL}{created['id']}/generate/")
    assert response.status_code in (201, 202)
    job = response.json()
    evaluation = Evaluation.objects.get(pk=created["id"])
    assert evaluation.job_id == job["id"] and evaluation.frozen_at is not None
    assert evaluation.snapshot["as_of"] == "2025-12-31"


def test_a_city_users_first_download_is_queued_and_holds_no_other_citys_data(
    ev, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = download(api, ev.taiyuan_user, ev.evaluation, "pdf")
        again = download(api, ev.taiyuan_user, ev.evaluation, "docx")
        # Nothing is made inside the request: a job is queued (once), and both answers name it.
        assert not EvaluationFile.objects.filter(evaluation=ev.evaluation, variant="140100").exists()
    assert len(callbacks) == 1
    assert queued.status_code == again.status_code == 202
    body = queued.json()
    assert again.json()["id"] == body["id"] and body["status"] == "pending" and "正在生成" in body["detail"]
    assert body["url"].endswith(f"/api/v1/jobs/{body['id']}/") and queued["Location"] == body["url"]
    job = api(ev.taiyuan_user).get(body["url"])
    assert job.status_code == 200 and job.json()["status"] == "succeeded" and job.json()["kind"] == "evaluation"
    assert job.json()["progress"] == 100 and "本市版本的评估报告已生成" in job.json()["message"]

    for file_format in ("docx", "xlsx", "pdf"):
        province = download(api, ev.province_user, ev.evaluation, file_format)
        assert province.status_code == 200
        assert DATONG_SECRET in text_of(province.content, file_format)
        response = download(api, ev.taiyuan_user, ev.evaluation, file_format)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
        text = text_of(response.content, file_format)
        assert "太原轨道交通装备项目" in text
        assert DATONG_SECRET not in text and "大同" not in text
        assert file_format == "xlsx" or "本版本所含城市的规划重点项目2个" in text.replace(" ", "")
        stored = EvaluationFile.objects.get(evaluation=ev.evaluation, file_format=file_format, variant="140100")
        assert bytes(stored.content) == response.content


def test_a_city_report_made_from_figures_frozen_since_is_not_kept(ev, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = download(api, ev.taiyuan_user, ev.evaluation, "xlsx").json()
    evaluation_freeze(evaluation=Evaluation.objects.get(pk=ev.evaluation.pk), user=ev.province_user)
    Evaluation.objects.filter(pk=ev.evaluation.pk).update(status="generated")
    callbacks[0]()  # the worker takes the job only now
    job = Job.objects.get(pk=queued["id"])
    assert job.status == "failed" and "重新冻结" in job.message
    assert not EvaluationFile.objects.filter(evaluation=ev.evaluation, variant="140100").exists()


def test_a_public_evaluation_gives_city_users_the_province_wide_report(ev, api):
    evaluation_update(
        instance=Evaluation.objects.get(pk=ev.evaluation.pk), user=ev.province_user, data={"is_public": True}
    )
    response = download(api, ev.taiyuan_user, ev.evaluation, "xlsx")
    assert response.status_code == 200 and response.content == ev.files["xlsx"]


def test_downloads_wait_for_the_report_and_name_a_known_format(ev, api):
    draft = api(ev.province_user).post(URL, {"plan": ev.plan.pk, "kind": "annual", "as_of": "2021-12-31"}).json()
    response = api(ev.taiyuan_user).get(f"{URL}{draft['id']}/download/", {"file_format": "docx"})
    assert response.status_code == 404 and response.json()["detail"] == "评估报告尚未生成。"
    bad = download(api, ev.province_user, ev.evaluation, "odt")
    assert bad.status_code == 400 and "file_format" in bad.json()
    assert api(None).get(f"{URL}{ev.evaluation.pk}/download/", {"file_format": "docx"}).status_code in (401, 403)

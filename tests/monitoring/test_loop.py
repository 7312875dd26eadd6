"""The whole loop of a round, through the API: draft → report → return → report → approve → every edit
refused (services, API, admin, and on PostgreSQL raw SQL) → reopen → edit allowed → report → approve."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from monitoring.choices import SubmissionStateChoices
from monitoring.models import SubmissionValue
from monitoring.services import submission_value_update
from plans.models import Observation
from plans.services import observation_delete, observation_update
from projects.models import ProjectReport
from projects.services import project_report_update
from tests import factories

from .helpers import build_loop, client_for


def _value(loop, indicator):
    return SubmissionValue.objects.get(submission=loop.ty, indicator=indicator, region=loop.ty.city)


def _state(loop) -> str:
    loop.ty.refresh_from_db()
    return loop.ty.state


def _refused_by_raw_sql(sql: str, params) -> str:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return str(error)
    return ""


def walk_the_loop(loop, *, raw_sql: bool) -> None:
    ty_api, province_api = client_for(loop.taiyuan), client_for(loop.province)
    submission_url = f"/api/v1/submissions/{loop.ty.pk}/"

    # Scope: 太原 sees its own submission, the province both, a viewer none (nothing approved yet).
    assert [row["city"] for row in ty_api.get("/api/v1/submissions/").json()["results"]] == ["140100"]
    assert province_api.get("/api/v1/submissions/").json()["count"] == 2
    assert client_for(loop.viewer).get("/api/v1/submissions/").json()["count"] == 0
    assert client_for(loop.datong).get(submission_url).status_code == 404

    # Draft: a value 2.5 times last period's is kept, but asks for a comment.
    share, firms = _value(loop, loop.share), _value(loop, loop.firms)
    assert share.previous_value == Decimal("10")
    response = ty_api.patch(f"/api/v1/submission-values/{share.pk}/", {"value": "25"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["needs_comment"] is True
    assert ty_api.patch(f"/api/v1/submission-values/{firms.pk}/", {"value": "120"}, format="json").status_code == 200

    # Reporting is refused while a comment and the project's report are missing, in words a clerk understands.
    response = ty_api.post(f"{submission_url}submit/", {}, format="json")
    assert response.status_code == 400
    messages = " ".join(response.json()["non_field_errors"])
    assert "变化较大，请在说明中写明原因" in messages
    assert "太原储能电站项目" in messages
    ty_api.patch(f"/api/v1/submission-values/{share.pk}/", {"comment": "新建储能项目投产"}, format="json")
    response = ty_api.post(
        "/api/v1/project-reports/",
        {"project": loop.project.pk, "year": 2025, "month": 12, "stage": "started", "investment_completed": "3"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    report = ProjectReport.objects.get(pk=response.json()["id"])

    response = ty_api.post(f"{submission_url}submit/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == SubmissionStateChoices.SUBMITTED
    # Reported: the city can no longer change it.
    response = ty_api.patch(f"/api/v1/submission-values/{firms.pk}/", {"value": "121"}, format="json")
    assert response.status_code == 400
    assert "等待省级审核" in str(response.json())

    # The city cannot review; the province returns it, with a comment only.
    assert ty_api.post(f"{submission_url}approve/", {}, format="json").status_code == 403
    assert province_api.post(f"{submission_url}return/", {"comment": " "}, format="json").status_code == 400
    response = province_api.post(f"{submission_url}return/", {"comment": "企业数请与统计局核对"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == SubmissionStateChoices.RETURNED

    # Corrected and reported again; approved with the ETag read just before.
    assert ty_api.patch(f"/api/v1/submission-values/{firms.pk}/", {"value": "118"}, format="json").status_code == 200
    assert ty_api.post(f"{submission_url}submit/", {}, format="json").status_code == 200
    etag = province_api.get(submission_url)["ETag"]
    assert province_api.post(f"{submission_url}approve/", {}, format="json", HTTP_IF_MATCH='"stale"').status_code == 412
    response = province_api.post(f"{submission_url}approve/", {}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert [(t["from_state"], t["to_state"]) for t in response.json()["transitions"]] == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "approved"),
    ]
    # A second approval (someone else's, a moment later) is told clearly.
    response = province_api.post(f"{submission_url}approve/", {}, format="json")
    assert response.status_code == 409
    assert "已被其他人审核" in response.json()["detail"]

    # Approved values are official observations, locked; so is the period's project report.
    published = Observation.objects.get(indicator=loop.share, scope=loop.ty.city, year=2025, quarter=0, month=0)
    assert (published.value, published.locked, published.status) == (Decimal("25"), True, "final")
    assert published.source.startswith(f"填报任务#{loop.round.pk}：")
    assert Observation.objects.get(indicator=loop.firms, scope=loop.ty.city, year=2025).value == Decimal("118")
    report.refresh_from_db()
    assert report.locked
    assert client_for(loop.viewer).get("/api/v1/submissions/").json()["count"] == 1

    # An edit is refused at every layer.
    with pytest.raises(ValidationError, match="审核通过并锁定"):
        submission_value_update(instance=share, user=loop.province, data={"value": Decimal("1")})
    with pytest.raises(ValidationError, match="审核通过并锁定"):
        observation_update(instance=published, user=loop.province, data={"value": Decimal("1")})
    with pytest.raises(ValidationError, match="审核通过并锁定"):
        observation_delete(instance=published, user=None)
    with pytest.raises(ValidationError, match="审核通过并锁定"):
        project_report_update(instance=report, user=None, data={"note": "改"})
    for url, body in [
        (f"/api/v1/submission-values/{share.pk}/", {"value": "1"}),
        (f"/api/v1/observations/{published.pk}/", {"value": "1"}),
        (f"/api/v1/project-reports/{report.pk}/", {"note": "改"}),
    ]:
        response = province_api.patch(url, body, format="json")
        assert response.status_code == 400, (url, response.status_code)
        assert "锁定" in str(response.json())
    admin = Client()
    admin.force_login(loop.province)
    response = admin.post(f"/admin/plans/observation/{published.pk}/change/", {"value": "1"})
    assert response.status_code == 403
    if raw_sql:
        for sql, pk in [
            ("UPDATE plans_observation SET value = 1 WHERE id = %s", published.pk),
            ("DELETE FROM plans_observation WHERE id = %s", published.pk),
            ("UPDATE projects_projectreport SET note = 'x' WHERE id = %s", report.pk),
            ("UPDATE monitoring_submissionvalue SET value = 1 WHERE id = %s", share.pk),
            ("DELETE FROM monitoring_submissionvalue WHERE id = %s", share.pk),
        ]:
            assert "不能修改" in _refused_by_raw_sql(sql, [pk]), sql
    published.refresh_from_db()
    assert published.value == Decimal("25")

    # Reopening: the province only, with a reason; the published value stays until re-approval.
    assert ty_api.post(f"{submission_url}reopen/", {"reason": "更正"}, format="json").status_code == 403
    assert province_api.post(f"{submission_url}reopen/", {"reason": ""}, format="json").status_code == 400
    response = province_api.post(f"{submission_url}reopen/", {"reason": "统计局修订了年报数据"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == SubmissionStateChoices.RETURNED
    published.refresh_from_db()
    report.refresh_from_db()
    assert (published.value, published.locked, report.locked) == (Decimal("25"), False, False)

    # Editing is allowed again; reported and approved, the observation is updated and locked again.
    response = ty_api.patch(f"/api/v1/submission-values/{share.pk}/", {"value": "24.5"}, format="json")
    assert response.status_code == 200, response.json()
    assert ty_api.post(f"{submission_url}submit/", {}, format="json").status_code == 200
    assert province_api.post(f"{submission_url}approve/", {}, format="json").status_code == 200
    published.refresh_from_db()
    assert (published.value, published.locked) == (Decimal("24.5"), True)
    assert Observation.objects.filter(indicator=loop.share, scope=loop.ty.city, year=2025).count() == 1
    assert _state(loop) == SubmissionStateChoices.APPROVED
    assert loop.ty.transitions.count() == 7


def test_the_loop(db):
    walk_the_loop(build_loop(), raw_sql=False)


@pytest.mark.postgres
def test_the_loop_with_raw_sql_on_postgresql(db):
    walk_the_loop(build_loop(), raw_sql=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the flag lasts until the end of the real transaction
def test_trigger_lets_the_reopen_flag_through_and_guards_closed_rounds():
    loop = build_loop()
    observation = factories.make_observation(loop.ty.city, year=2023, value="5", indicator=loop.share)
    Observation.objects.filter(pk=observation.pk).update(locked=True)
    assert _refused_by_raw_sql("UPDATE plans_observation SET value = 6 WHERE id = %s", [observation.pk])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL sxplan.unlock = 'on'")
        cursor.execute("UPDATE plans_observation SET value = 6 WHERE id = %s", [observation.pk])
    # The flag lasts only for its transaction.
    assert _refused_by_raw_sql("UPDATE plans_observation SET value = 7 WHERE id = %s", [observation.pk])

    # A value of a closed round is refused unless its city has a lock exception.
    value = _value(loop, loop.firms)
    loop.round.__class__.objects.filter(pk=loop.round.pk).update(
        opens_on="2020-01-01", due_on="2020-01-15", closes_on="2020-02-01"
    )
    assert "已关闭" in _refused_by_raw_sql("UPDATE monitoring_submissionvalue SET value = 1 WHERE id = %s", [value.pk])
    loop.round.lock_exceptions.create(city=loop.ty.city, until="2100-01-01", reason="数据延迟")
    assert _refused_by_raw_sql("UPDATE monitoring_submissionvalue SET value = 1 WHERE id = %s", [value.pk]) == ""

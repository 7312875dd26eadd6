"""Rounds and submissions over the API and the admin: each role's rights, templates, next period, query counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from monitoring.choices import SubmissionStateChoices
from monitoring.models import Round, RoundTemplate, Submission, SubmissionValue
from monitoring.services import submission_approve, submission_submit, submission_values_save
from monitoring.tasks import remind_rounds
from notices.models import Notice
from projects.services import project_report_create

from .helpers import build_loop, client_for


@pytest.fixture
def loop(db):
    return build_loop()


def _fill_and_submit(loop, submission, user):
    rows = {value.pk: {"value": Decimal("12"), "comment": "核实"} for value in submission.values.all()}
    submission_values_save(user=user, submission=submission, rows=rows)
    if submission.city_id == loop.ty.city_id:
        project_report_create(user=user, data={"project": loop.project, "year": 2025, "month": 6, "stage": "started"})
    return submission_submit(user=user, submission=submission)


def test_only_the_province_opens_rounds_and_each_city_gets_a_submission(loop):
    body = {
        "name": "2025年第4季度监测",
        "year": 2025,
        "quarter": 4,
        "opens_on": "2026-01-01",
        "due_on": "2026-01-15",
        "closes_on": "2026-01-31",
        "indicators": [loop.share.pk],
        "cities": ["140100", "140200", "140300"],
    }
    for user in (loop.taiyuan, loop.viewer):
        assert client_for(user).post("/api/v1/rounds/", body, format="json").status_code == 403
    response = client_for(loop.province).post("/api/v1/rounds/", body, format="json")
    assert response.status_code == 201, response.json()
    rnd = Round.objects.get(pk=response.json()["id"])
    assert rnd.submissions.count() == 3
    assert SubmissionValue.objects.filter(submission__round=rnd).count() == 3
    assert rnd.created_by == loop.province

    # Dates out of order are refused with a message per rule.
    bad = {**body, "name": "错误日期", "due_on": "2026-02-15"}
    response = client_for(loop.province).post("/api/v1/rounds/", bad, format="json")
    assert response.status_code == 400
    assert "报送期限不能晚于关闭日期" in str(response.json())


def test_next_period_and_templates(loop):
    province = client_for(loop.province)
    assert client_for(loop.taiyuan).post(f"/api/v1/rounds/{loop.round.pk}/next/").status_code == 403
    response = province.post(f"/api/v1/rounds/{loop.round.pk}/next/")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["year"], data["name"]) == (2026, "2026年度监测")
    assert data["due_on"] == (loop.round.due_on.replace(year=loop.round.due_on.year + 1)).isoformat()
    assert Submission.objects.filter(round_id=data["id"]).count() == 2

    call_command("load_round_templates")
    call_command("load_round_templates")  # idempotent
    assert RoundTemplate.objects.count() == 2
    monthly = RoundTemplate.objects.get(name="月度调度：全部在建重点项目")
    response = province.post(
        "/api/v1/rounds/from-template/", {"template": monthly.pk, "year": 2025, "month": 12}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["name"] == "月度调度：全部在建重点项目（2025年12月）"
    assert (data["includes_projects"], data["indicators"], len(data["cities"])) == (True, [], 11)
    assert (data["opens_on"], data["due_on"]) == ("2025-12-31", "2026-01-10")
    wrong = province.post("/api/v1/rounds/from-template/", {"template": monthly.pk, "year": 2025}, format="json")
    assert wrong.status_code == 400
    assert "月度" in str(wrong.json())


def test_each_role_sees_and_changes_what_it_may(loop):
    ty_value = loop.ty.values.first()
    datong, viewer = client_for(loop.datong), client_for(loop.viewer)
    # Another city's submission and values answer like missing ones.
    assert datong.get(f"/api/v1/submissions/{loop.ty.pk}/").status_code == 404
    assert datong.get(f"/api/v1/submission-values/{ty_value.pk}/").status_code == 404
    assert datong.patch(f"/api/v1/submission-values/{ty_value.pk}/", {"value": "1"}, format="json").status_code == 404
    assert datong.post(f"/api/v1/submissions/{loop.ty.pk}/submit/").status_code == 404
    assert datong.get(f"/api/v1/submission-values/?submission={loop.ty.pk}").status_code == 400
    # A viewer reads approved data only and writes nothing.
    assert viewer.get("/api/v1/submission-values/").json()["count"] == 0
    assert viewer.post(f"/api/v1/submissions/{loop.ty.pk}/approve/").status_code == 403
    # A city cannot put a value in another city's region, nor grant itself an exception.
    response = client_for(loop.taiyuan).post(
        "/api/v1/submission-values/",
        {"submission": loop.ty.pk, "indicator": loop.share.pk, "region": "140702", "value": "1"},
        format="json",
    )
    assert response.status_code in (400, 403)
    response = client_for(loop.taiyuan).post(
        "/api/v1/lock-exceptions/",
        {"round": loop.round.pk, "city": "140100", "until": "2100-01-01", "reason": "晚了"},
        format="json",
    )
    assert response.status_code == 403
    # A county's value of the city's own is accepted.
    response = client_for(loop.taiyuan).post(
        "/api/v1/submission-values/",
        {"submission": loop.ty.pk, "indicator": loop.share.pk, "region": "140105", "value": "3"},
        format="json",
    )
    assert response.status_code == 201, response.json()

    _fill_and_submit(loop, loop.ty, loop.taiyuan)
    submission_approve(user=loop.province, submission=loop.ty)
    assert [row["city"] for row in viewer.get("/api/v1/submissions/").json()["results"]] == ["140100"]
    assert viewer.get("/api/v1/submission-values/").json()["count"] == 3
    transitions = client_for(loop.taiyuan).get("/api/v1/submission-transitions/").json()["results"]
    assert [(t["from_state"], t["to_state"], t["user"]) for t in transitions] == [
        ("draft", "submitted", "taiyuan"),
        ("submitted", "approved", "province"),
    ]
    assert datong.get("/api/v1/submission-transitions/").json()["count"] == 0


def test_closed_round_refuses_values_until_an_exception(loop):
    Round.objects.filter(pk=loop.round.pk).update(
        opens_on=datetime.date(2020, 1, 1), due_on=datetime.date(2020, 1, 15), closes_on=datetime.date(2020, 2, 1)
    )
    value = loop.ty.values.first()
    taiyuan = client_for(loop.taiyuan)
    response = taiyuan.patch(f"/api/v1/submission-values/{value.pk}/", {"value": "1"}, format="json")
    assert response.status_code == 400
    assert "补报例外" in str(response.json())
    response = client_for(loop.province).post(
        "/api/v1/lock-exceptions/",
        {"round": loop.round.pk, "city": "140100", "until": "2100-01-01", "reason": "统计口径调整"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["granted_by"] == loop.province.pk
    assert taiyuan.patch(f"/api/v1/submission-values/{value.pk}/", {"value": "1"}, format="json").status_code == 200


def test_admin_for_each_role(loop):
    taiyuan = Client()
    taiyuan.force_login(loop.taiyuan)
    response = taiyuan.get("/admin/monitoring/submission/")
    assert response.status_code == 200
    assert "太原" in response.text and "大同市" not in response.text
    assert taiyuan.get(f"/admin/monitoring/submission/{loop.dt.pk}/change/").status_code in (302, 404)
    assert taiyuan.get("/admin/monitoring/round/add/").status_code == 403
    province = Client()
    province.force_login(loop.province)
    _fill_and_submit(loop, loop.ty, loop.taiyuan)
    response = province.post(
        "/admin/monitoring/submission/",
        {"action": "approve", "_selected_action": [loop.ty.pk, loop.dt.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "已审核通过" in response.text
    assert "尚未报送，不能审核" in response.text
    loop.ty.refresh_from_db()
    assert loop.ty.state == SubmissionStateChoices.APPROVED
    # Approved: the values inline is read-only, with the reason shown.
    response = province.get(f"/admin/monitoring/submission/{loop.ty.pk}/change/")
    assert "审核通过并锁定" in response.text
    assert 'name="values-0-value"' not in response.text


@pytest.mark.parametrize("url", ["/api/v1/submissions/", "/api/v1/submission-values/", "/api/v1/rounds/"])
def test_list_query_counts_do_not_grow(loop, url, django_assert_max_num_queries):
    for _ in range(3):
        client_for(loop.province).post(f"/api/v1/rounds/{Round.objects.latest('year').pk}/next/")
    province = client_for(loop.province)
    with django_assert_max_num_queries(12):
        small = province.get(url, {"page_size": 1})
    with django_assert_max_num_queries(12):
        large = province.get(url, {"page_size": 100})
    assert small.status_code == large.status_code == 200
    assert len(large.json()["results"]) > 1


def test_reminders_are_sent_once(loop, django_capture_on_commit_callbacks):
    today = loop.round.due_on - datetime.timedelta(days=2)
    _fill_and_submit(loop, loop.dt, loop.datong)  # 大同 waits for review; 太原 is due in two days
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        first = remind_rounds.apply(kwargs={"today": today.isoformat()}).get()
        again = remind_rounds.apply(kwargs={"today": today.isoformat()}).get()
    assert (first, again) == (2, 0)
    assert set(Notice.objects.values_list("recipient__username", "kind")) == {
        ("taiyuan", "due_soon"),
        ("province", "review_waiting"),
    }
    overdue = loop.round.due_on + datetime.timedelta(days=1)
    assert remind_rounds.apply(kwargs={"today": overdue.isoformat()}).get() == 1
    assert remind_rounds.apply(kwargs={"today": overdue.isoformat()}).get() == 0
    assert Notice.objects.filter(recipient=loop.taiyuan, kind="overdue").count() == 1


def test_targets_show_values_under_review_to_the_province_only(loop):
    _fill_and_submit(loop, loop.ty, loop.taiyuan)
    province = client_for(loop.province)
    url = f"/api/v1/targets/{loop.allocation.pk}/"
    assert "under_review" not in province.get(url).json()
    data = province.get(url, {"include_unapproved": "true"}).json()
    assert (data["under_review"], Decimal(data["review_value"]), data["review_period"]) == (
        True,
        Decimal("12"),
        "2025年",
    )
    rows = province.get("/api/v1/targets/", {"include_unapproved": "true"}).json()["results"]
    assert {row["scope"]: row["under_review"] for row in rows} == {"140000": False, "140100": True}
    assert client_for(loop.taiyuan).get(url, {"include_unapproved": "true"}).status_code == 403
    assert client_for(loop.viewer).get("/api/v1/targets/", {"include_unapproved": "true"}).status_code == 403
    assert province.get(url, {"include_unapproved": "maybe"}).status_code == 400

    # The dashboard's counts by status mark the same targets; the statuses stay the official ones.
    dashboard = "/api/v1/dashboard/targets-by-status/"
    official = province.get(dashboard).json()
    assert official["include_unapproved"] is False and "under_review" not in official["total"]
    marked = province.get(dashboard, {"include_unapproved": "true"}).json()
    assert marked["include_unapproved"] is True
    assert marked["under_review_targets"] == [row["id"] for row in rows if row["under_review"]]
    assert (marked["total"]["under_review"], [plan["under_review"] for plan in marked["results"]]) == (1, [1])
    assert {k: v for k, v in marked["total"].items() if k != "under_review"} == official["total"]
    assert (
        province.get(dashboard, {"include_unapproved": "true", "city": "140200"}).json()["under_review_targets"] == []
    )
    assert client_for(loop.taiyuan).get(dashboard, {"include_unapproved": "true"}).status_code == 403
    assert client_for(loop.viewer).get(dashboard, {"include_unapproved": "true"}).status_code == 403
    assert province.get(dashboard, {"include_unapproved": "maybe"}).status_code == 400

    # Approved, nothing is under review any more: the official observation counts instead.
    submission_approve(user=loop.province, submission=loop.ty)
    assert province.get(url, {"include_unapproved": "true"}).json()["under_review"] is False
    assert province.get(dashboard, {"include_unapproved": "true"}).json()["total"]["under_review"] == 0

"""The clerk's data-entry page and the province's round page, with the test client."""

from decimal import Decimal

import pytest
from django.test import Client

from monitoring.choices import SubmissionStateChoices
from monitoring.models import SubmissionValue
from monitoring.services import round_update, submission_return, submission_submit, submission_values_save
from projects.services import project_report_create
from tests import factories

from .helpers import build_loop


@pytest.fixture
def loop(db):
    return build_loop()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_clerk_fills_in_saves_and_reports(loop, django_assert_max_num_queries):
    clerk = signed_in(loop.taiyuan)
    url = f"/monitoring/submissions/{loop.ty.pk}/"
    with django_assert_max_num_queries(30):
        page = clerk.get(url)
    assert page.status_code == 200
    text = page.text
    assert "战略性新兴产业增加值占比" in text and "战略性新兴产业规上企业数" in text
    assert "18（2025年）" in text  # the city's allocation
    assert signed_in(loop.datong).get(url).status_code == 404

    share = SubmissionValue.objects.get(submission=loop.ty, indicator=loop.share)
    firms = SubmissionValue.objects.get(submission=loop.ty, indicator=loop.firms)
    form = {
        f"value-{share.pk}": "二十五",
        f"qualifier-{share.pk}": "",
        f"comment-{share.pk}": "",
        f"value-{firms.pk}": "120",
        f"qualifier-{firms.pk}": "",
        f"comment-{firms.pk}": "",
        "action": "save",
    }
    page = clerk.post(url, form)
    assert page.status_code == 200
    assert "不是有效的数字" in page.text
    firms.refresh_from_db()
    assert firms.value is None  # all or nothing

    form[f"value-{share.pk}"] = "25"
    assert clerk.post(url, form).status_code == 302
    page = clerk.get(url)
    assert "与上期相比变化较大，请在说明中写明原因" in page.text
    assert "太原储能电站项目" in page.text and "尚未填报" in page.text

    # Reporting is refused in plain words while the comment and the project's report are missing.
    form["action"] = "submit"
    page = clerk.post(url, form, follow=True)
    assert "请在说明中写明原因" in page.text
    loop.ty.refresh_from_db()
    assert loop.ty.state == SubmissionStateChoices.DRAFT

    form[f"comment-{share.pk}"] = "新建储能项目投产"
    project_report_create(
        user=loop.taiyuan, data={"project": loop.project, "year": 2025, "month": 12, "stage": "started"}
    )
    page = clerk.post(url, form, follow=True)
    assert "已报送，等待省级审核" in page.text
    assert 'name="value-' not in page.text  # read-only once reported
    # The report was filed without an amount: unknown, never printed as "None" (nor as 0).
    assert "完成投资 —（未填）" in page.text and "None" not in page.text
    loop.ty.refresh_from_db()
    assert loop.ty.state == SubmissionStateChoices.SUBMITTED


def test_province_reviews_on_the_round_page(loop, django_assert_max_num_queries):
    clerk = signed_in(loop.taiyuan)
    share = SubmissionValue.objects.get(submission=loop.ty, indicator=loop.share)
    firms = SubmissionValue.objects.get(submission=loop.ty, indicator=loop.firms)
    project_report_create(
        user=loop.taiyuan, data={"project": loop.project, "year": 2025, "month": 12, "stage": "started"}
    )
    clerk.post(
        f"/monitoring/submissions/{loop.ty.pk}/",
        {
            f"value-{share.pk}": "11",
            f"qualifier-{share.pk}": "",
            f"comment-{share.pk}": "",
            f"value-{firms.pk}": "120",
            f"qualifier-{firms.pk}": "",
            f"comment-{firms.pk}": "",
            "action": "submit",
        },
    )
    province = signed_in(loop.province)
    url = f"/monitoring/rounds/{loop.round.pk}/"
    with django_assert_max_num_queries(30):
        page = province.get(url)
    assert page.status_code == 200
    assert "太原市" in page.text and "大同市" in page.text
    assert "11" in page.text and "（10；18）" in page.text  # value beside last period and allocation
    assert "按时报送" in page.text

    page = province.post(url, {"submission": [loop.ty.pk], "action": "return", "comment": ""}, follow=True)
    assert "退回时须填写意见" in page.text
    page = province.post(url, {"submission": [loop.ty.pk], "action": "approve", "comment": "同意"}, follow=True)
    assert "已审核通过：太原市" in page.text
    loop.ty.refresh_from_db()
    assert loop.ty.state == SubmissionStateChoices.APPROVED
    assert clerk.post(url, {"submission": [loop.dt.pk], "action": "approve"}).status_code == 403

    rounds = province.get("/monitoring/")
    assert rounds.status_code == 200
    assert loop.round.name in rounds.text
    assert "填报任务" in clerk.get("/", follow=True).text  # the nav link
    # Values approved in the page are the official observation now.
    assert loop.share.observations.get(scope=loop.ty.city, year=2025).value == Decimal("11")


def test_clerk_reads_why_it_was_sent_back_and_what_is_missing(loop):
    rows = {value.pk: {"value": Decimal("12"), "comment": "核实"} for value in loop.ty.values.all()}
    submission_values_save(user=loop.taiyuan, submission=loop.ty, rows=rows)
    project_report_create(
        user=loop.taiyuan, data={"project": loop.project, "year": 2025, "month": 12, "stage": "started"}
    )
    submission_submit(user=loop.taiyuan, submission=loop.ty)
    submission_return(user=loop.province, submission=loop.ty, comment="企业数请与统计局核对")
    page = signed_in(loop.taiyuan).get(f"/monitoring/submissions/{loop.ty.pk}/")
    assert "省级工作人员已退回本报送，请修改后重新报送。意见（province，" in page.text
    assert "）：企业数请与统计局核对</p>" in page.text

    # Many empty values are one line (the table shows which); a few are named one by one.
    extra = [factories.make_indicator(f"补充指标{n}", "个") for n in range(4)]
    round_update(instance=loop.round, user=loop.province, data={"indicators": [loop.share, loop.firms, *extra]})
    page = signed_in(loop.datong).get(f"/monitoring/submissions/{loop.dt.pk}/")
    assert "本市尚有 6 项指标的本期数值未填写" in page.text and "尚未填写。" not in page.text

    # The province's round page: 大同 is not due yet, a visible grey tag (not white on white).
    page = signed_in(loop.province).get(f"/monitoring/rounds/{loop.round.pk}/")
    assert '<span class="status status-no_data">未到期</span>' in page.text

"""A 太原 clerk fills in and reports a submission in a real browser; the province approves it on the round page."""

import pytest

from monitoring.choices import SubmissionStateChoices
from plans.models import Observation
from projects.services import project_report_create
from tests.monitoring.helpers import build_loop

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def live_loop(transactional_db):
    return build_loop()


def test_clerk_reports_and_province_approves(live_server, live_loop, page, screenshot):
    loop = live_loop
    project_report_create(
        user=loop.taiyuan, data={"project": loop.project, "year": 2025, "month": 12, "stage": "started"}
    )
    sign_in(page, live_server, "taiyuan", land=False)
    page.goto(f"{live_server.url}/monitoring/")
    with page.expect_navigation():
        page.click("[data-testid=submission-link]")
    assert page.url == f"{live_server.url}/monitoring/submissions/{loop.ty.pk}/"

    page.fill("[aria-label='战略性新兴产业增加值占比（太原市）']", "25")
    page.fill("[aria-label='战略性新兴产业规上企业数（太原市）']", "120")
    with page.expect_navigation():
        page.click("[data-testid=save]")
    assert "草稿已保存" in page.inner_text("[data-testid=messages]")
    # 25 is 2.5 times last year's 10: a comment is asked for, not a different value.
    assert page.locator("[data-testid=outlier]").count() == 1
    assert "请在说明中写明原因" in page.inner_text("[data-testid=problems]")
    screenshot(page, "monitoring-clerk-form")

    page.fill("[aria-label='说明：战略性新兴产业增加值占比']", "新建储能项目投产，增幅较大")
    with page.expect_navigation():
        page.click("[data-testid=submit]")
    assert "已报送，等待省级审核" in page.inner_text("[data-testid=messages]")
    assert page.inner_text("[data-testid=submission-state]") == "已报送"
    assert page.locator("input[name^=value-]").count() == 0
    screenshot(page, "monitoring-clerk-reported")

    page.context.clear_cookies()
    sign_in(page, live_server, "province", land=False)
    # Before approving, the dashboard can show the target statuses with the value under review.
    page.goto(f"{live_server.url}/?plan={loop.allocation.plan_id}")
    with page.expect_navigation():
        page.click("[data-testid=review-toggle] a")
    assert "含尚未审核的数据（仅供参考）" in page.inner_text("[data-testid=review-banner]")
    assert page.locator("#target-status canvas, #target-status svg").count() >= 1
    assert page.inner_text("[data-testid=under-review]") == "待审核 25%（2025年）：已完成"  # 25 of 18
    screenshot(page, "dashboard-with-values-under-review")
    page.goto(f"{live_server.url}/monitoring/rounds/{loop.round.pk}/")
    page.console_errors.clear()  # likewise the dashboard
    row = page.locator("[data-testid=round-table] tr[data-city='140100']")
    assert "已报送" in row.inner_text() and "按时报送" in row.inner_text()
    assert "（10；18）" in row.inner_text()
    screenshot(page, "monitoring-province-round")
    row.locator("input[name=submission]").check()
    page.fill("[data-testid=bulk-comment]", "数据已核实")
    with page.expect_navigation():
        page.click("[data-testid=bulk-approve]")
    assert "已审核通过：太原市" in page.inner_text("[data-testid=messages]")
    assert page.locator("[data-testid=round-table] tr[data-city='140100']").get_attribute("data-state") == "approved"
    screenshot(page, "monitoring-province-approved")
    assert page.console_errors == []

    loop.ty.refresh_from_db()
    assert loop.ty.state == SubmissionStateChoices.APPROVED
    assert Observation.objects.get(indicator=loop.share, scope=loop.ty.city, year=2025).locked

"""Progress pages in a real browser: the indicator chart, the city's lights, and every page at 390 px wide."""

import pytest

from .conftest import PAGE_READY, page_error, sign_in
from .test_browser import wait_for_charts

pytestmark = pytest.mark.browser

MID_TERM = "2023-12-31"


def test_indicator_page_draws_every_plans_targets_and_the_values(live_server, live_progress_data, page, screenshot):
    sign_in(page, live_server, "province", land=False)
    page.goto(f"{live_server.url}/indicators/{live_progress_data.indicator.pk}/")
    wait_for_charts(page)
    assert page.locator("[data-testid=indicator-chart] canvas").count() == 1
    # Three targets (the province's and its two allocations) and three regions' values.
    assert page.get_attribute("[data-testid=indicator-chart]", "data-series") == "6"
    assert page.evaluate("() => window.sxplanIndicator.seriesCount()") == 6
    taiyuan_first = page.evaluate("() => window.sxplanIndicator.tooltipOf(4, 0)")
    assert "2022年" in taiyuan_first and "600以上" in taiyuan_first and "统计公报" in taiyuan_first
    ranking = page.locator("[data-testid=city-ranking] tbody tr")
    assert ranking.first.get_attribute("data-city") == "140100"
    screenshot(page, "indicator")
    assert page.console_errors == []  # a Content-Security-Policy violation is one

    with page.expect_navigation():
        page.click("header a:has-text('指标库')")
    assert "高新技术企业数量" in page.inner_text("main")
    assert page.console_errors == []


def test_city_page_lights_as_of_a_date(live_server, live_progress_data, page, screenshot):
    sign_in(page, live_server, "taiyuan")
    page.fill("#as-of-date", MID_TERM)
    with page.expect_navigation():
        page.click("[data-testid=as-of-form] button[type=submit]")
    wait_for_charts(page)
    assert f"as_of={MID_TERM}" in page.url
    assert "截至 2023-12-31" in page.inner_text("[data-testid=as-of-note]").replace("\n", "")
    row = page.locator("[data-testid=city-targets] tr[data-light]", has_text="高新技术企业数量")
    assert row.get_attribute("data-light") == "green"
    assert row.locator(".light-green").inner_text() == "符合序时进度"
    colour = page.evaluate("() => getComputedStyle(document.querySelector('.light-green')).backgroundColor")
    assert colour == "rgb(232, 245, 233)"
    assert page.locator("[data-testid=light-legend] .light").count() == 3
    screenshot(page, "city-lights")
    # The date rides along to the indicator page.
    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.url.endswith(f"/indicators/{live_progress_data.indicator.pk}/?as_of={MID_TERM}")
    assert page.console_errors == []


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("dashboard", "/"),
        ("city", "/cities/140100/"),
        ("city-no-allocation", "/cities/140400/"),
        ("plan", "/plans/{plan}/"),
        ("indicators", "/indicators/"),
        ("indicator", "/indicators/{indicator}/"),
    ],
)
def test_pages_fit_a_phone(live_server, live_progress_data, browser, screenshot, name, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(page_error(error)))
    try:
        sign_in(page, live_server, "province", land=False)
        url = path.format(plan=live_progress_data.plan14.pk, indicator=live_progress_data.indicator.pk)
        page.goto(f"{live_server.url}{url}?as_of={MID_TERM}")
        if name == "indicators":
            page.wait_for_function(PAGE_READY)  # a list without charts
        else:
            wait_for_charts(page)
        screenshot(page, f"phone-{name}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{name}: {width}px wide"
        assert errors == []
    finally:
        context.close()

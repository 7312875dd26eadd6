"""The pages in a real browser: Playwright driving headless Chromium against the live server."""

import pytest

from .conftest import sign_in, sign_in_with_form

pytestmark = pytest.mark.browser


def wait_for_charts(page):
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_function(
        "() => !document.querySelector('.chart:not([hidden])') || document.querySelector('.chart canvas')"
    )


def test_dashboard_map_and_click_through(live_server, live_pages_data, page, screenshot):
    sign_in(page, live_server, "province")
    assert page.url == f"{live_server.url}/"
    wait_for_charts(page)
    page.wait_for_function("() => window.sxplanMap && window.sxplanMap.drawnCities().length > 0")

    drawn = page.evaluate("() => window.sxplanMap.drawnCities()")
    assert len(drawn) == 11
    assert set(drawn) == {city.name for city in live_pages_data.cities.values()}
    assert page.get_attribute("[data-testid=province-map]", "data-cities-drawn") == "11"
    for chart in [
        "target-status-chart",
        "target-progress-chart",
        "pipeline-chart",
        "investment-city-chart",
        "investment-zone-chart",
    ]:
        assert page.locator(f"[data-testid={chart}] canvas").count() == 1, chart
    screenshot(page, "dashboard")

    # A window squeezed to nothing and back (a full-page screenshot does this, so can a user) leaves
    # every chart drawn: ECharts cannot lay out a map in no space, so it is not asked to.
    page.set_viewport_size({"width": 1, "height": 1})
    page.wait_for_timeout(50)
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert page.evaluate("() => window.sxplanMap.drawnCities().length") == 11
    assert page.console_errors == []
    # The outlines arriving while there is no room: the map is drawn once there is.
    page.set_viewport_size({"width": 1, "height": 1})
    page.reload(wait_until="networkidle")
    assert page.get_attribute("[data-testid=province-map]", "data-cities-drawn") is None
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_selector("[data-testid=province-map][data-cities-drawn='11']")
    assert page.console_errors == []

    # Hovering 太原 shows its zones in the tooltip; clicking it opens its page.
    page.locator("[data-testid=province-map]").scroll_into_view_if_needed()
    point = page.evaluate("() => window.sxplanMap.pixelOf('140100')")
    page.mouse.move(point["x"], point["y"])
    tooltip = page.locator("[data-testid=province-map] div", has_text="太焦发展带").last
    tooltip.wait_for(state="visible")
    assert "太原都市区" in tooltip.inner_text()
    # … and its largest projects, each linked to its page (issue 15).
    assert "投资最大的项目" in tooltip.inner_text()
    top = live_pages_data.projects["太重轨道交通装备扩能项目"]
    assert tooltip.locator(f'a[href="/projects/{top.pk}/"]').count() == 1
    screenshot(page, "dashboard-tooltip", full_page=False)
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    assert page.url == f"{live_server.url}/cities/140100/"
    assert page.console_errors == []


def test_city_page_filter_narrows_the_table(live_server, live_pages_data, page, screenshot):
    sign_in(page, live_server, "taiyuan")
    assert page.url == f"{live_server.url}/cities/140100/"
    wait_for_charts(page)
    rows = page.locator("[data-testid=project-table] tbody tr[data-project]")
    assert rows.count() == 3
    assert "大同" not in page.inner_text("[data-testid=project-table]")
    screenshot(page, "city")

    page.check("input[name=stage][value=started]")
    with page.expect_navigation():
        page.click("[data-testid=project-filters] button[type=submit]")
    wait_for_charts(page)
    assert rows.count() == 1
    assert "太重轨道交通装备扩能项目" in rows.first.inner_text()
    screenshot(page, "city-filtered")

    with page.expect_navigation():
        page.click("[data-testid=project-table] th a:has-text('总投资')")
    assert "ordering=" in page.url
    assert rows.count() == 1
    assert page.console_errors == []


def test_plan_page_charts(live_server, live_pages_data, page, screenshot):
    sign_in(page, live_server, "viewer", land=False)
    page.goto(f"{live_server.url}/plans/{live_pages_data.plan14.pk}/")
    wait_for_charts(page)
    assert page.locator("[data-target-chart] canvas").count() == 3
    assert page.locator("[data-testid=targets-without-data] tbody tr").count() == 1
    assert page.locator("[data-testid=comparison-chart] canvas").count() == 1
    assert "煤层气产业" in page.inner_text("[data-testid=comparison-table]")
    screenshot(page, "plan")
    assert page.console_errors == []


def test_sign_in_and_out(live_server, live_pages_data, page, screenshot):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    screenshot(page, "login")
    sign_in_with_form(page, live_server, "datong")
    assert page.url == f"{live_server.url}/cities/140200/"
    with page.expect_navigation():
        page.click("header button:has-text('退出')")
    assert "/accounts/login/" in page.url
    assert page.console_errors == []

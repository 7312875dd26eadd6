"""The project page and the warning board in headless Chromium: no console errors, the investment chart drawn."""

import pytest

from .conftest import sign_in
from .test_project_page import add_dispatch

pytestmark = pytest.mark.browser


def test_project_page_in_a_browser(live_server, live_pages_data, page, screenshot):
    ids = add_dispatch(live_pages_data)
    sign_in(page, live_server, "taiyuan", land=False)
    page.goto(f"{live_server.url}/projects/{ids['ty']}/")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-testid=investment-chart] canvas")
    assert page.locator("[data-testid=investment-chart] canvas").count() == 1
    assert page.locator("[data-testid=project-milestones] tbody tr").count() == 2
    screenshot(page, "project")
    page.goto(f"{live_server.url}/warnings/")
    page.wait_for_selector("[data-testid=warning-table]")
    screenshot(page, "warnings")
    assert page.console_errors == []

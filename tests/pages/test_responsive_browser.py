"""Every site page on a phone (390 px) and a desktop (1440 px), for each of the five kinds of user:
nothing wider than the window, no console error, no failed request; and the first-run tour."""

import pytest
from django.urls import reverse

from common.models import StaffProfile
from tests import factories

from .conftest import PAGE_READY, page_error, sign_in

pytestmark = pytest.mark.browser

WIDTHS = [390, 1440]
#: The widest element outside a scrolling table, if any reaches past the window (for the message).
OVERFLOW = """() => {
  const wide = [...document.querySelectorAll('body *')].filter(e =>
    e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-scroll, .navmenu-list'));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: innerWidth,
    wide: wide.slice(0, 3).map(e => e.tagName + '.' + e.className),
  };
}"""


def pages_of(data) -> dict[str, list[tuple[str, int]]]:
    """Each user's pages, with the status each answers."""
    taiyuan_project = data.projects["太重轨道交通装备扩能项目"].pk
    datong_project = data.projects["大同风电装备基地项目"].pk
    indicator = data.indicator.pk
    province_wide = [
        ("/", 200),
        ("/cities/140100/", 200),
        ("/cities/140500/", 200),
        (f"/plans/{data.plan14.pk}/", 200),
        (f"/plans/{data.plan13.pk}/", 200),
        ("/indicators/", 200),
        (f"/indicators/{indicator}/", 200),
        (f"/projects/{taiyuan_project}/", 200),
        ("/warnings/", 200),
        ("/monitoring/", 200),
        ("/evaluations/", 200),
        ("/inbox/", 200),
        ("/no-such-page/", 404),
    ]
    city = [
        ("/cities/140100/", 200),
        ("/?all=1", 200),
        (f"/plans/{data.plan14.pk}/", 200),
        (f"/indicators/{indicator}/", 200),
        (f"/projects/{taiyuan_project}/", 200),
        (f"/projects/{datong_project}/", 404),
        ("/warnings/", 200),
        ("/monitoring/", 200),
        ("/inbox/", 200),
    ]
    return {
        "province": province_wide,
        "admin": [("/", 200), (f"/plans/{data.plan14.pk}/", 200), ("/evaluations/", 200)],
        "taiyuan": city,
        "datong": [("/cities/140200/", 200), ("/?all=1", 200), ("/warnings/", 200)],
        "viewer": [("/", 200), ("/cities/140100/", 200), (f"/plans/{data.plan14.pk}/", 200), ("/evaluations/", 200)],
        "nobody": [("/", 403)],
    }


@pytest.fixture
def live_users(live_progress_data):
    data = live_progress_data
    data.users["admin"] = factories.make_user("admin", None, is_superuser=True)
    return data


def check_pages(browser, live_server, username: str, pages: list[tuple[str, int]]) -> int:
    """One user's pages: each fits the window at every width, with no console error and no failed request.

    Each page is loaded once, on a phone, and checked; then the window is widened to each other width
    (as a user turns a tablet or widens a window: the styles and charts follow the resize) and checked
    again. The user ``anonymous`` is not signed in (the sign-in page)."""
    phone, *wider = WIDTHS
    context = browser.new_context(viewport={"width": phone, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors, failed = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(page_error(error)))
    page.on("response", lambda response: response.status >= 400 and failed.append(response))
    if username != "anonymous":
        sign_in(page, live_server, username, land=False)
    for path, status in pages:
        errors.clear()
        failed.clear()
        page.set_viewport_size({"width": phone, "height": 900})
        response = page.goto(f"{live_server.url}{path}")
        page.wait_for_function(PAGE_READY)
        assert response.status == status, f"{username} {path}"
        for width in (phone, *wider):
            where = f"{username} {path} at {width} px"
            if width != phone:
                page.set_viewport_size({"width": width, "height": 900})
                page.wait_for_function(f"innerWidth === {width}")
            layout = page.evaluate(OVERFLOW)
            assert layout["scrollWidth"] <= layout["innerWidth"] == width, (where, layout)
            assert layout["wide"] == [], (where, layout)
        where = f"{username} {path}"
        # The page's own status is the one failed request an error page makes, and its console line.
        assert [r.url for r in failed if r.url != response.url] == [], where
        assert len(errors) == (0 if status == 200 else 1), (where, errors)
        if status != 200:
            assert "山西省战略性新兴产业规划管理系统" in page.inner_text("header"), where
            assert page.locator("[data-testid=who]").count() == 1, where
    context.close()
    return len(pages)


def test_every_page_fits_the_window(live_server, live_users, browser):
    everyone = {"anonymous": [("/accounts/login/", 200)], **pages_of(live_users)}
    checked = sum(check_pages(browser, live_server, username, pages) for username, pages in everyone.items())
    assert checked == sum(len(pages) for pages in everyone.values()) > 30


def test_charts_keep_their_width_on_a_phone(live_server, live_progress_data, browser):
    """The target bars and the project charts fill their card at 390 px (not collapsed to their labels)."""
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "province", land=False)
    page.goto(f"{live_server.url}/?as_of=2023-06-30")
    page.wait_for_selector("body[data-ready=true]")
    for chart in ["target-progress-chart", "pipeline-chart", "investment-city-chart", "province-map"]:
        box = page.locator(f"[data-testid={chart}]").bounding_box()
        canvas = page.locator(f"[data-testid={chart}] canvas").first.bounding_box()
        assert 300 <= box["width"] <= 390 and canvas["width"] >= box["width"] - 1, chart
    # The layout selector stays inside its card.
    card = page.locator("[data-testid=province-map]").locator("xpath=..").bounding_box()
    select = page.locator("#scheme-select")
    if select.count():
        assert select.bounding_box()["x"] + select.bounding_box()["width"] <= card["x"] + card["width"]
    context.close()


def test_the_tour_is_closed_for_good(live_server, live_pages_data, page):
    sign_in(page, live_server, "taiyuan")
    tour = page.locator("[data-testid=tour]")
    assert tour.count() == 1
    assert "市级工作人员" in tour.inner_text() and "太原市页面" in tour.inner_text()
    with page.expect_navigation():
        page.click("[data-testid=tour-dismiss]")
    assert page.url == f"{live_server.url}/cities/140100/"
    assert page.locator("[data-testid=tour]").count() == 0
    page.goto(f"{live_server.url}{reverse('dashboard')}")
    assert page.locator("[data-testid=tour]").count() == 0
    assert StaffProfile.objects.get(user__username="taiyuan").tour_dismissed_at is not None
    assert StaffProfile.objects.get(user__username="datong").tour_dismissed_at is None
    assert page.console_errors == []

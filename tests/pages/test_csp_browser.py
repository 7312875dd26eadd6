"""The Content-Security-Policy in a real browser: the admin, the API docs and the lockout page run without violations.

The product pages are covered by tests/pages/test_browser.py, which fails on any console error
(a CSP violation is one).
"""

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser

# ReDoc shows a "powered by Redocly" badge loaded from its CDN: blocked on purpose (no third-party requests).
REDOC_BADGE = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def csp_violations(page) -> list[str]:
    return [error for error in page.console_errors if "Content Security Policy" in error and REDOC_BADGE not in error]


def test_every_response_carries_the_policy(live_server, live_pages_data, page):
    response = page.goto(f"{live_server.url}/accounts/login/")
    # Directives in any order (django-csp does not fix one): scripts from this site only, never framed.
    directives = {part.strip() for part in response.headers["content-security-policy"].split(";")}
    assert {"script-src 'self'", "frame-ancestors 'none'"} <= directives


def test_admin_pages_run_under_the_policy(live_server, live_pages_data, page):
    sign_in(page, live_server, "province", land=False)
    project = next(iter(live_pages_data.projects.values()))
    for path in ["/admin/", "/admin/projects/keyproject/", f"/admin/projects/keyproject/{project.pk}/change/"]:
        page.goto(f"{live_server.url}{path}")  # waits for the load event: every script and style has run
    assert csp_violations(page) == []


@pytest.mark.parametrize(
    ("path", "ready"), [("/api/docs/", ".opblock"), ("/api/redoc/", "[role=search], .api-content")]
)
def test_api_docs_run_under_the_policy(live_server, live_pages_data, page, path, ready):
    sign_in(page, live_server, "province", land=False)
    page.goto(f"{live_server.url}{path}")
    # ReDoc lays out the whole schema (~140 operations) before it shows anything: 23-34 s on a busy 2-core
    # machine, so the wait allows more; what is asserted is unchanged.
    page.wait_for_selector(ready, timeout=90_000)
    page.wait_for_load_state("networkidle")
    assert csp_violations(page) == []
    assert [error for error in page.console_errors if REDOC_BADGE not in error] == []


def test_browsable_api_runs_under_the_policy(live_server, live_pages_data, page):
    sign_in(page, live_server, "province", land=False)
    page.goto(f"{live_server.url}/api/v1/projects/?format=api")
    assert page.console_errors == []


def test_the_lockout_page_runs_under_the_policy(live_server, live_pages_data, page, settings):
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.fill("input[name=username]", "datong")
        page.fill("input[name=password]", "wrong")
        with page.expect_navigation():
            page.click("button[type=submit]")
    assert "登录失败次数过多" in page.inner_text("main")
    # The browser reports the 429 status itself as a console error; nothing else may appear.
    assert [error for error in page.console_errors if "status of 429" not in error] == []

"""Steps that many browser tests take the same way."""
from __future__ import annotations

from playwright.sync_api import Page

from tests.conftest import PASSWORD


def log_in(page: Page, handle: str, base_url: str = "") -> None:
    """Log in through the real form and wait until the page has left it.
    ``base_url`` is empty when the browser context already has one."""
    page.goto(base_url + "/auth/login")
    page.get_by_label("Your name on Kindred").fill(handle)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def assert_axe_clean(page: Page) -> None:
    """axe finds no serious or critical violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    serious = [v for v in result.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, result.generate_report()

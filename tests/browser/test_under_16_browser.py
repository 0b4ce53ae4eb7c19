"""Issue 17 item 6 in real Chromium, at 1280 and 375 px: someone under 16 who
tries to join is pointed, kindly, to services for young people in their
region, listing only services whose facts are verified in helplines.json."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from tests.browser.pages import assert_axe_clean as _axe



@pytest.mark.parametrize("width", [1280, 375])
def test_under_16_is_pointed_to_young_peoples_services(app, page: Page, base_url, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(base_url + "/auth/register")
    page.get_by_label("Choose a name for Kindred").fill("YoungVisitor")
    page.get_by_label("Password").fill("a long enough password here")
    page.get_by_label("Where are you?").select_option("CA")
    page.get_by_role("checkbox", name="I have read and accept").check()
    page.get_by_role("checkbox", name="I agree that Kindred may process").check()
    page.locator("main form button[type=submit]").click()
    # Not 16 or older: no account, a kind word, and the way to services for young people.
    expect(page.locator(".field-errors").first).to_contain_text("services just for young people")
    _axe(page)
    page.get_by_role("link", name="services just for young people", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support for young people")
    page.get_by_label("Show services for").select_option("CA")
    page.get_by_role("button", name="Show").click()
    card = page.locator(".service").filter(has_text="Kids Help Phone")
    expect(card).to_be_visible()
    expect(card.locator('a[href^="tel:"]')).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    _axe(page)
    # A region whose young people's service is not verified yet lists none, and says so.
    page.get_by_label("Show services for").select_option("UK")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".service")).to_have_count(0)
    expect(page.get_by_text("We haven't yet checked a service for young people in this region")).to_be_visible()
    expect(page.locator(".panel-urgent")).to_contain_text("999")
    _axe(page)

"""Issue 17 item 11 (the rest) in real Chromium, at 1280 and 375 px:
"Next item" after an action goes to the next item in priority order;
response templates go into the message with one click (with and without
JavaScript); the shift counter is kept on the server, so it survives
logging in again."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from forum.review import services as review_services
from tests.browser.pages import log_in, assert_axe_clean as _axe
from tests.browser.test_review_browser import open_as, people  # noqa: F401 - fixtures
from tests.review.helpers import post, review_for, verdict

WIDTHS = pytest.mark.parametrize("width", [1280, 375])


def _member() -> User:
    return db.session.scalar(select(User).where(User.handle == "PostingMember"))



def _approve(page: Page) -> None:
    page.locator("form.action-approve button[type=submit]").click()
    expect(page.get_by_role("status").filter(has_text="Done")).to_be_visible()


@WIDTHS
def test_next_item_goes_in_priority_order_after_an_action(people, open_as, width):  # noqa: F811
    member = _member()
    concern = review_for(post(member, verdict("publish_flagged", "concern", categories=("crisis.ideation",))))
    imminent = review_for(post(member, verdict("hold", "imminent")))
    high = review_for(post(member, verdict("publish_flagged", "high")))
    mod = open_as("QueueMod", f"/review/{concern.id}")
    mod.set_viewport_size({"width": width, "height": 800})
    _approve(mod)
    nxt = mod.get_by_role("link", name="Next item →")
    expect(nxt).to_have_attribute("href", f"/review/{imminent.id}")
    _axe(mod)
    nxt.click()
    mod.wait_for_url(f"**/review/{imminent.id}")
    assert mod.url.endswith(f"/review/{imminent.id}")
    _approve(mod)
    expect(mod.get_by_role("link", name="Next item →")).to_have_attribute("href", f"/review/{high.id}")


@WIDTHS
def test_a_template_goes_into_the_message_with_one_click(people, open_as, browser, base_url, width):  # noqa: F811
    item = review_for(post(_member(), verdict("publish_flagged", "high")))
    template = review_services.response_templates()[0]
    mod = open_as("QueueMod", f"/review/{item.id}")
    mod.set_viewport_size({"width": width, "height": 800})
    mod.locator("details.action-message > summary").click()
    mod.get_by_role("link", name=f"Use “{template.title}”").click()
    box = mod.get_by_label("Your message")
    expect(box).to_have_value(template.body)
    expect(box).to_be_focused()
    _axe(mod)
    # Without JavaScript the same click brings the page back with the template in the box.
    ctx = browser.new_context(base_url=base_url, java_script_enabled=False, viewport={"width": width, "height": 800})
    try:
        page = ctx.new_page()
        log_in(page, "QueueMod")
        page.goto(f"/review/{item.id}")
        page.locator("details.action-message > summary").click()
        page.get_by_role("link", name=f"Use “{template.title}”").click()
        expect(page.get_by_label("Your message")).to_have_value(template.body)
    finally:
        ctx.close()


@WIDTHS
def test_shift_counter_survives_logging_in_again(people, browser, base_url, width):  # noqa: F811
    item = review_for(post(_member(), verdict("publish_flagged", "high")))
    ctx = browser.new_context(base_url=base_url, viewport={"width": width, "height": 800})
    try:
        page = ctx.new_page()
        log_in(page, "QueueMod")
        page.goto(f"/review/{item.id}")
        _approve(page)
        expect(page.locator("[data-shift-count]")).to_have_text("1")
        page.get_by_role("button", name="Log out").click()
        ctx.clear_cookies()
        log_in(page, "QueueMod")
        page.goto("/review/")
        expect(page.locator("[data-shift-count]")).to_have_text("1")
        _axe(page)
    finally:
        ctx.close()

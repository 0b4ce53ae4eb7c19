"""Issue 17, items 11 and 12 in real Chromium: moderator and staff screens look
finished (site styles, plain words), "Send support" keeps keyboard focus, and
live queue rows keep their author and waiting time."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import Escalation, User
from tests.browser.test_review_browser import open_as, people  # noqa: F401 - fixtures
from tests.conftest import make_board, make_user, post_topic
from tests.review.helpers import post, review_for, verdict
from tests.review.live_http import login, new_topic
from tests.browser.pages import log_in

BROWSER_DEFAULT_BUTTON = ("rgb(239, 239, 239)", "rgb(240, 240, 240)", "rgba(0, 0, 0, 0)")


@pytest.mark.parametrize("width", [1280, 375])
def test_send_support_keeps_keyboard_focus(app, page: Page, base_url, width):
    page.set_viewport_size({"width": width, "height": 900})
    board = make_board("weekends", "Weekends")
    posted = post_topic(make_user("SundayAuthor"), board, title="Sundays", body="Sundays feel long lately.")
    make_user("KeyboardReader")
    log_in(page, "KeyboardReader", base_url)
    page.goto(f"{base_url}/boards/topic/{posted.topic.id}")
    button = page.locator(f"#post-{posted.post.id} .support-button")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_be_focused()


@pytest.mark.parametrize("width", [1280, 375])
def test_live_queue_row_keeps_author_and_waiting_time(people, open_as, base_url, width):  # noqa: F811
    mod = open_as("QueueMod", "/review/")
    mod.set_viewport_size({"width": width, "height": 900})
    expect(mod.locator("[data-live-status]")).to_have_text("Live updates on", timeout=15_000)
    member = login(base_url, "PostingMember")
    assert new_topic(member, base_url, "support", "Tonight",
                     "I want to kill myself tonight. I can't keep going.").status_code == 302
    row = mod.locator("[data-queue] li").first
    expect(row).to_contain_text("by PostingMember", timeout=30_000)
    expect(row).to_contain_text("waiting 0 min")
    # Plain words, not codes, on the live row too.
    expect(row).to_contain_text("Imminent risk")
    assert "." not in row.locator(".reasons").inner_text().replace("Why:", "")


@pytest.mark.parametrize("width", [1280, 375])
def test_screens_use_site_styles_and_plain_words(people, open_as, base_url, width):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    member = db.session.scalar(select(User).where(User.handle == "PostingMember"))
    r = review_for(post(member, verdict("hold", "imminent", categories=("crisis.ideation",))))
    none_item = review_for(post(member, verdict("hold", "none", categories=("contact_details",))))
    case_id = db.session.scalar(select(Escalation.id).where(Escalation.review_id == r.id))
    mod = open_as("QueueMod", "/review/")
    mod.set_viewport_size({"width": width, "height": 900})
    mod.reload()
    for name in ("Filter",):
        assert mod.get_by_role("button", name=name).evaluate(
            "b => getComputedStyle(b).backgroundColor") not in BROWSER_DEFAULT_BUTTON
    queue_text = mod.locator("[data-queue]").inner_text()
    for raw in ("crisis.ideation", "none risk", "contact_details"):
        assert raw not in queue_text, raw
    assert "Thoughts of suicide" in queue_text and "No risk found" in queue_text
    mod.goto(f"{base_url}/review/{r.id}")
    claim = mod.get_by_role("button", name="Claim this item")
    assert claim.evaluate("b => getComputedStyle(b).backgroundColor") not in BROWSER_DEFAULT_BUTTON
    claim.click()
    for name in ("Approve and publish", "Keep hidden"):
        assert mod.get_by_role("button", name=name).evaluate(
            "b => getComputedStyle(b).backgroundColor") not in BROWSER_DEFAULT_BUTTON, name
    assert "crisis.ideation" not in mod.locator("main").inner_text()
    mod.goto(f"{base_url}/review/resources")
    for name in ("Save template",):
        assert mod.get_by_role("button", name=name).first.evaluate(
            "b => getComputedStyle(b).borderTopStyle") == "solid"
    assert mod.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    axe = Axe()
    for path in ("/review/", f"/review/{none_item.id}", "/review/resources"):
        mod.goto(base_url + path)
        result = axe.run(mod)
        assert result.violations_count == 0, f"{path}:\n{result.generate_report()}"
    staff = open_as("CaseStaff", "/staff/audit")
    staff.set_viewport_size({"width": width, "height": 900})
    assert staff.get_by_role("button", name="Filter").evaluate(
        "b => getComputedStyle(b).backgroundColor") not in BROWSER_DEFAULT_BUTTON
    for path in ("/staff/", "/staff/audit", f"/staff/cases/{case_id}"):
        staff.goto(base_url + path)
        result = axe.run(staff)
        assert result.violations_count == 0, f"{path}:\n{result.generate_report()}"

"""Issue 17 item 3 in real Chromium, at 1280 and 375 px: private support
conversations between a member and the moderation team.

A moderator opens one from a review item with one click; the member, on any
page, gets a live notice and the header badge at once, reads it (the team is
"Moderation team", never a name) and replies with a plain form. Staff open one
from the case page's labelled slot and write in it there. A member's crisis
words in a conversation land them on the signposting panel, like a post.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import Board, Escalation, User, utcnow
from tests.browser.test_review_browser import open_as  # noqa: F401 - fixture
from tests.conftest import make_user
from tests.review.helpers import post, review_for, verdict
from tests.browser.pages import assert_axe_clean as _axe

DOCS = Path(__file__).resolve().parents[2] / "docs"
WIDTHS = pytest.mark.parametrize("width", [1280, 375])


@pytest.fixture()
def cast(app):
    make_user("ConvMod", "moderator", resources_read_at=utcnow())
    make_user("ConvStaff", "staff", resources_read_at=utcnow())
    member = make_user("ConvMember", region="UK")
    db.session.add(Board(slug="support", name="Support", description=""))
    db.session.commit()
    return member



def _sized(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.reload()
    return page


@WIDTHS
def test_moderator_opens_member_is_told_live_and_replies(cast, open_as, width):  # noqa: F811
    item = review_for(post(cast, verdict("publish_flagged", "high")))
    member = _sized(open_as("ConvMember", "/boards/"), width)
    expect(member.locator("html")).to_have_attribute("data-member-live", "on", timeout=15_000)
    mod = _sized(open_as("ConvMod", f"/review/{item.id}"), width)
    mod.get_by_role("button", name="Talk privately with the member").click()
    expect(mod.get_by_role("heading", level=1)).to_have_text("Private conversation with ConvMember")
    _axe(mod)
    mod.get_by_label("Your message to the member").fill("Hi, we read your post. We're here if you'd like to talk.")
    mod.get_by_role("button", name="Send to the member").click()
    expect(mod.locator(".conversation-message.from-team")).to_contain_text("We're here")

    # At once, on the page the member already has open: a live notice and the badge.
    notice = member.locator("[data-live-notice]")
    expect(notice).to_contain_text("The moderation team has written to you.", timeout=10_000)
    expect(member.locator("[data-badge-count]")).to_have_text("1")
    assert member.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    notice.get_by_role("link", name="Read it").click()
    msg = member.locator(".conversation-message.from-team")
    expect(msg).to_contain_text("We're here if you'd like to talk.")
    expect(msg).to_contain_text("Moderation team")
    assert "ConvMod" not in member.content()
    _axe(member)
    member.get_by_label("Your reply").fill("Thank you. It helps to know someone read it.")
    member.get_by_role("button", name="Send", exact=True).click()
    expect(member.get_by_role("status").filter(has_text="Sent.")).to_be_visible()
    expect(member.locator("[data-member-badge]")).to_be_hidden()

    mod.reload()
    expect(mod.locator(".conversation-message.from-member")).to_contain_text("It helps to know someone read it.")


@WIDTHS
def test_talk_to_a_moderator_works_without_javascript(cast, browser, base_url, width):
    from tests.browser.pages import log_in

    ctx = browser.new_context(base_url=base_url, java_script_enabled=False,
                              viewport={"width": width, "height": 800})
    try:
        page = ctx.new_page()
        log_in(page, "ConvMember")
        page.goto("/account/")
        page.get_by_role("link", name="Talk to a moderator").click()
        page.get_by_role("button", name="Send to the moderators").click()  # empty: refused by the browser
        expect(page).to_have_url(f"{base_url}/conversations/new")
        page.get_by_label("Your message").fill("Could someone help me find the right board for my question?")
        page.get_by_role("checkbox", name="Don't show my name to the moderators").check()
        page.get_by_role("button", name="Send to the moderators").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your conversation with the moderation team")
        expect(page.locator(".conversation-message")).to_contain_text("the right board")
        expect(page.get_by_text('The team sees you as "Anonymous member"')).to_be_visible()
    finally:
        ctx.close()


@WIDTHS
def test_staff_open_and_write_from_the_case_page_slot(cast, open_as, width):  # noqa: F811
    r = review_for(post(cast, verdict("hold", "imminent", categories=("crisis.ideation",))))
    case = db.session.scalar(select(Escalation).where(Escalation.review_id == r.id))
    staff = _sized(open_as("ConvStaff", f"/staff/cases/{case.id}"), width)
    slot = staff.locator('[data-section="conversation"]')
    slot.get_by_role("button", name="Start a private conversation with the member").click()
    staff.goto(f"/staff/cases/{case.id}")
    slot = staff.locator('[data-section="conversation"]')
    slot.get_by_label("Your message to the member").fill("We saw your post and we're worried about you. Are you safe right now?")
    slot.get_by_role("button", name="Send to the member").click()
    expect(slot.locator(".conversation-message.from-team")).to_contain_text("Are you safe right now?")
    assert staff.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    _axe(staff)
    if width == 1280:
        slot.screenshot(path=str(DOCS / "case-conversation.png"))


@WIDTHS
def test_crisis_words_in_a_conversation_land_on_the_panel(cast, open_as, width):  # noqa: F811
    """The real pipeline: the member's message opens a case and they see the panel first."""
    item = review_for(post(cast, verdict("publish_flagged", "high")))
    from forum.conversations import services

    mod = db.session.scalar(select(User).where(User.handle == "ConvMod"))
    conv = services.open_from_review(mod, item)
    member = _sized(open_as("ConvMember", f"/conversations/{conv.id}"), width)
    member.get_by_label("Your reply").fill("I am going to end my life tonight. I have decided and I am saying goodbye.")
    member.get_by_role("button", name="Send", exact=True).click()
    panel = member.locator("#signposting")
    expect(panel).to_be_focused()
    expect(panel.get_by_role("alert")).to_contain_text("A person on our team has been alerted now")
    assert panel.bounding_box()["y"] < 200
    _axe(member)
    assert db.session.scalar(select(db.func.count()).select_from(Escalation)) == 1

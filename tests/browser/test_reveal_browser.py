"""The staff reveal control in real Chromium: in a live chat room and on a topic page.

An anonymous chat message shows "Anonymous member" to staff as to everyone;
staff get a "Show who posted this" link, which asks for a reason and only
then shows the account. Moderators get no such link.
"""
from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from tests.browser.test_chat_browser import chat_server, open_as, room, say  # noqa: F401 (fixtures)
from tests.conftest import make_board, post_topic


def test_staff_reveal_an_anonymous_chat_message_with_a_reason(open_as):  # noqa: F811
    alice, staff, mod = open_as("ChatAlice"), open_as("RoomStaff"), open_as("ChatMod")
    alice.locator("#chat-anonymous").check()
    say(alice, "Something I can only say without my name")
    line = staff.locator("#chat-log li", has_text="Something I can only say without my name")
    expect(line).to_contain_text("Anonymous member")
    expect(staff.locator("#chat-log")).not_to_contain_text("ChatAlice")
    mod_line = mod.locator("#chat-log li", has_text="Something I can only say without my name")
    expect(mod_line).to_contain_text("Anonymous member")
    expect(mod_line.get_by_role("link", name="Show who posted this")).to_have_count(0)
    axe = Axe()
    _no_violations(axe, staff)
    line.get_by_role("link", name="Show who posted this").click()
    expect(staff.locator("main")).not_to_contain_text("ChatAlice")
    _no_violations(axe, staff)
    staff.get_by_label("Why you need to know").fill("Reports of a pattern in this room")
    staff.locator("main form.reveal-form button[type=submit]").click()
    expect(staff.locator("main")).to_contain_text("ChatAlice")
    expect(staff.locator("main")).to_contain_text("recorded in the audit log")
    _no_violations(axe, staff)


def _no_violations(axe, page) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_staff_reveal_from_a_topic_page(open_as, room):  # noqa: F811
    alice = db.session.scalar(select(User).where(User.handle == "ChatAlice"))
    topic = post_topic(alice, make_board(), title="Hard to say", body="Words I can only write anonymously.",
                       anonymous=True)
    staff = open_as("RoomStaff")
    staff.goto(f"/boards/topic/{topic.topic.id}")
    expect(staff.locator("main")).to_contain_text("Anonymous member")
    expect(staff.locator("main")).not_to_contain_text("ChatAlice")
    staff.get_by_text("Show who posted this").first.click()
    _no_violations(Axe(), staff)
    staff.get_by_label("Why you need to know (recorded in the audit log)").fill("Checking a report")
    staff.locator("main form.reveal-form button[type=submit]").click()
    expect(staff.locator("main")).to_contain_text("ChatAlice")

"""In Chromium: "Log out everywhere" on one device signs the chat page out on
another, tells the member so, and keeps the text they had not sent."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.chat import services
from tests.conftest import make_user
from tests.browser.pages import log_in


@pytest.fixture()
def room(app):
    staff = make_user("EndStaff", "staff")
    make_user("EndMember")
    return services.create_room(staff, services.RoomInput(name="Late evening", slug="late", access="members"))


def _login(browser, url: str, handle: str):
    ctx = browser.new_context(base_url=url)
    page = ctx.new_page()
    log_in(page, handle)
    return ctx, page


def test_chat_page_is_signed_out_and_keeps_the_unsent_text(browser, live_server, room):
    phone_ctx, phone = _login(browser, live_server.url, "EndMember")
    laptop_ctx, laptop = _login(browser, live_server.url, "EndMember")
    csp: list[str] = []
    phone.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        phone.goto(f"/chat/{room.slug}")
        expect(phone.locator("#chat-status")).to_contain_text("Connected")
        box = phone.get_by_label("Your message")
        box.fill("Not sent yet, still thinking about it")

        laptop.goto("/account/")
        expect(laptop.get_by_text("this device")).to_be_visible()
        laptop.get_by_role("button", name="Log out everywhere").click()
        laptop.wait_for_url(lambda u: "/account/" not in u)

        expect(phone.locator("#chat-error")).to_contain_text("signed out", timeout=10_000)
        expect(box).to_have_value("Not sent yet, still thinking about it")
        expect(phone.locator("#chat-send")).to_be_disabled()
        assert csp == [], csp
    finally:
        phone_ctx.close()
        laptop_ctx.close()

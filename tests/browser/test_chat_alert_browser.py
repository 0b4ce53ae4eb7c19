"""Issue 17 item 4 in real Chromium, at 1280 and 375 px: a crisis in chat.

The moderator's alert says who wrote the message ("Anonymous member" for an
anonymous one) and in which room; the text is blurred until opened, as in the
queue; one button opens a private conversation with the writer. The message
goes through the real moderation pipeline on the live server.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_chat_browser import chat_server, open_as, room, say  # noqa: F401 - fixtures
from tests.chat.engine import IMMINENT


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
@pytest.mark.parametrize("width", [1280, 375])
def test_chat_alert_names_writer_blurs_text_and_opens_a_conversation(open_as, width, anonymous):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    mod, alice = open_as("ChatMod"), open_as("ChatAlice")
    for page in (mod, alice):
        page.set_viewport_size({"width": width, "height": 800})
    if anonymous:
        alice.get_by_label("Send this message anonymously").check()
    say(alice, IMMINENT)
    writer = "Anonymous member" if anonymous else "ChatAlice"
    alert = mod.locator("#chat-alerts li").first
    expect(alert.locator(".chat-alert-title")).to_have_text(f"Imminent risk: {writer} in Evening check-in",
                                                           timeout=15_000)
    if anonymous:
        assert "ChatAlice" not in alert.inner_text()
    # Blurred until opened.
    body = alert.locator(".chat-body")
    expect(body).to_be_hidden()
    alert.get_by_text("Show the message (may be distressing)").click()
    expect(body).to_be_visible()
    expect(body).to_contain_text(IMMINENT)
    mod.locator("#chat-mod").scroll_into_view_if_needed()
    result = Axe().run(mod)
    serious = [v for v in result.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, result.generate_report()
    # One action: a private conversation with the writer.
    alert.get_by_role("button", name=f"Talk privately with {writer}").click()
    expect(mod.get_by_role("heading", level=1)).to_have_text(f"Private conversation with {writer}")
    assert "ChatAlice" not in mod.content() or not anonymous
    mod.get_by_label("Your message to the member").fill("We saw your message in chat. We're here with you.")
    mod.get_by_role("button", name="Send to the member").click()
    alice.goto("/conversations/")
    expect(alice.locator(".conversation-list")).to_contain_text("new message")

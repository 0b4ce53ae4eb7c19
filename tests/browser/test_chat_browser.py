"""Live chat in real Chromium: two members, a crisis message, a moderator's hide."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.chat import services
from tests.chat.engine import IMMINENT
from tests.conftest import make_user
from tests.browser.pages import log_in


@pytest.fixture()
def chat_server(live_server):
    # The session's live server runs the real moderation engine (warmed up).
    return live_server


@pytest.fixture()
def room(app):
    staff = make_user("RoomStaff", "staff")
    for handle in ("ChatAlice", "ChatBob"):
        make_user(handle)
    make_user("ChatMod", "moderator")
    return services.create_room(staff, services.RoomInput(
        name="Evening check-in", slug="evening", access="members",
        guidelines="Be kind. No contact details."))


@pytest.fixture()
def open_as(browser, chat_server, room):
    yield from _opener(browser, chat_server, room)


@pytest.fixture()
def batching_server(_schema, test_env, tmp_path_factory):
    """A server whose chat writer waits 3 s between batches once a message has
    gone (forum/chat/writer.py), so messages sent close together surely
    arrive as one ``messages`` event."""
    from tests.live import start_server

    server = start_server({**test_env, "KINDRED_CHAT_BATCH_MS": "3000", "KINDRED_SEMANTIC": "0"},
                          tmp_path_factory.mktemp("batching"), timeout=120)
    yield server
    server.stop()


@pytest.fixture()
def open_on_batching_server(browser, batching_server, room):
    yield from _opener(browser, batching_server, room)


def _opener(browser, server, room):
    contexts, csp = [], []

    def _open(handle: str):
        ctx = browser.new_context(base_url=server.url)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
        log_in(page, handle)
        page.goto(f"/chat/{room.slug}")
        expect(page.locator("#chat-status")).to_contain_text("Connected")
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    assert csp == [], csp


def say(page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("", timeout=15_000)  # cleared only once the server acknowledged it


def test_two_members_see_each_others_messages(open_as):
    alice, bob = open_as("ChatAlice"), open_as("ChatBob")
    expect(alice.locator("#chat-status")).to_contain_text("2 people here")
    expect(alice.get_by_role("heading", name="Room guidelines")).to_be_visible()
    say(alice, "Hello, anyone around tonight?")
    expect(bob.locator("#chat-log")).to_contain_text("Hello, anyone around tonight?")
    say(bob, "Hi Alice, I'm here")
    expect(alice.locator("#chat-log")).to_contain_text("Hi Alice, I'm here")
    expect(bob.locator("#chat-log li").first).to_contain_text("ChatAlice")


def test_messages_stored_together_arrive_together_in_order(open_on_batching_server):
    alice, bob, mod = (open_on_batching_server(h) for h in ("ChatAlice", "ChatBob", "ChatMod"))
    say(alice, "First, on its own")  # the room was idle: stored and sent at once
    expect(bob.locator("#chat-log")).to_contain_text("First, on its own")
    # Two members send within the writer's window: one batch, one event.
    for page, text in ((bob, "Second, from Bob"), (mod, "Third, from the moderator")):
        box = page.get_by_label("Your message")
        box.fill(text)
        box.press("Enter")
    for page in (bob, mod):
        expect(page.get_by_label("Your message")).to_have_value("", timeout=15_000)
    log = alice.locator("#chat-log li")
    # The writer holds the batch for up to its 3 s window: on a loaded
    # machine that alone can outlast expect's default 5 s.
    expect(log).to_have_count(3, timeout=15_000)
    ids = [int(i) for i in log.evaluate_all("items => items.map(li => li.dataset.id)")]
    assert ids == sorted(ids)
    expect(log.nth(0)).to_contain_text("First, on its own")
    expect(alice.locator("#chat-log")).to_contain_text("Second, from Bob")
    expect(alice.locator("#chat-log")).to_contain_text("Third, from the moderator")
    expect(alice.locator("#chat-scroll")).to_have_attribute("aria-busy", "false")  # announced as they come


def test_chat_pages_pass_axe_with_messages_and_moderator_controls(open_as):
    from axe_playwright_python.sync_playwright import Axe

    alice, mod = open_as("ChatAlice"), open_as("ChatMod")
    say(alice, "A message so the log is not empty")
    expect(mod.locator("#chat-log")).to_contain_text("A message so the log is not empty")
    axe = Axe()
    for page in (alice, mod):
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
    mod.goto("/chat/")
    results = axe.run(mod)
    assert results.violations_count == 0, results.generate_report()


def test_crisis_message_shows_the_card_and_alerts_the_moderator(open_as):
    alice, bob, mod = open_as("ChatAlice"), open_as("ChatBob"), open_as("ChatMod")
    say(alice, IMMINENT)
    card = alice.locator("#chat-card")
    expect(card).to_be_visible()
    expect(card.get_by_role("heading")).to_be_focused()
    expect(card.locator("li").first).to_be_visible()
    alert = mod.locator("#chat-alerts li").first
    expect(alert).to_contain_text("Evening check-in")
    expect(alert).to_contain_text(IMMINENT)
    # the other member never sees the card (and a held crisis message stays private)
    expect(bob.locator("#chat-card")).to_be_hidden()


def test_moderator_hides_a_message_and_it_disappears_for_others(open_as):
    alice, bob, mod = open_as("ChatAlice"), open_as("ChatBob"), open_as("ChatMod")
    say(alice, "This one will be hidden")
    expect(bob.locator("#chat-log")).to_contain_text("This one will be hidden")
    mod.on("dialog", lambda dialog: dialog.accept("Please keep it kind"))
    message = mod.locator("#chat-log li", has_text="This one will be hidden")
    message.get_by_role("button", name="Hide").click()
    expect(bob.locator("#chat-log")).not_to_contain_text("This one will be hidden")
    expect(alice.locator("#chat-log")).to_contain_text("A moderator hid this message")


def test_moderator_messages_carry_the_role_badge_but_anonymous_ones_do_not(open_as):
    """Issue 14.8: members can tell real moderators and staff at a glance."""
    mod, alice = open_as("ChatMod"), open_as("ChatAlice")
    say(mod, "Welcome, everyone. I'm one of tonight's moderators.")
    mod.get_by_label("Send this message anonymously").check()
    say(mod, "Something I went through myself, said without my name.")
    say(alice, "Hello, thank you for having me.")
    messages = alice.locator("li.chat-msg")
    expect(messages).to_have_count(3, timeout=15_000)
    expect(messages.nth(0).locator(".role-badge")).to_have_text("Moderator")
    expect(messages.nth(1).locator(".chat-author")).to_have_text("Anonymous member")
    expect(messages.nth(1).locator(".role-badge")).to_have_count(0)
    expect(messages.nth(2).locator(".role-badge")).to_have_count(0)


def test_a_message_hidden_while_away_is_dropped_on_reconnect(browser, chat_server, room, open_as):
    """chat.js re-joins with the ids it shows and drops those it may no longer read."""
    import re

    from sqlalchemy import select

    from forum.extensions import db
    from forum.models import ChatMessage, User

    alice = open_as("ChatAlice")
    sockets, paused = [], []

    def route(ws):
        server = ws.connect_to_server()
        sockets.append(ws)
        server.on_message(lambda frame: None if paused else ws.send(frame))

    ctx = browser.new_context(base_url=chat_server.url)
    ctx.route_web_socket(re.compile(r"/socket\.io/"), route)
    bob = ctx.new_page()
    log_in(bob, "ChatBob")
    bob.goto(f"/chat/{room.slug}")
    expect(bob.locator("#chat-status")).to_contain_text("Connected")
    assert sockets, "Bob's chat did not use a WebSocket"

    say(alice, "Said before Bob's connection drops")
    say(alice, "And this one stays")
    expect(bob.locator("#chat-log")).to_contain_text("And this one stays")
    paused.append(True)  # Bob hears nothing more until he reconnects
    msg_id = db.session.scalar(select(ChatMessage.id).where(
        ChatMessage.body_source == "Said before Bob's connection drops"))
    mod = db.session.scalar(select(User).where(User.handle == "ChatMod"))
    services.hide_message(mod, msg_id)
    # The page holds more than one socket (chat, and the header's live notices): drop them all.
    for ws in sockets:
        ws.close()
    paused.clear()
    expect(bob.locator("#chat-log")).not_to_contain_text("Said before Bob's connection drops", timeout=20_000)
    expect(bob.locator("#chat-log")).to_contain_text("And this one stays")
    ctx.close()

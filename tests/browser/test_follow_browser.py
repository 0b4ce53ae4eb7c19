"""Muting a topic and ignoring a member in real Chromium, desktop and phone
width, without JavaScript-only controls; axe finds nothing serious."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in
from tests.conftest import make_board, make_user, post_reply, post_topic


def serious(results) -> list[str]:
    return [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 375])
def test_muting_a_topic_hides_it(app, page: Page, base_url, csp_errors, width):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": width, "height": 900})
    board = make_board("low-mood", "Low mood")
    topic = post_topic(make_user(f"Loud{width}"), board, title="A very busy thread", body="Lots happening here.")
    reader = make_user(f"Reader{width}")
    log_in(page, reader.handle, base_url)
    page.goto(f"{base_url}/boards/topic/{topic.topic.id}")
    page.get_by_label("Notifications for this topic").select_option("muted")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Topic muted")).to_be_visible()
    found = Axe().run(page)
    assert serious(found) == [], found.generate_report()
    page.goto(base_url + "/boards/low-mood/")
    expect(page.get_by_role("link", name="A very busy thread")).to_have_count(0)
    assert csp_errors == []


@pytest.mark.parametrize("width", [1280, 375])
def test_ignoring_a_member_collapses_their_posts(app, page: Page, base_url, csp_errors, width):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": width, "height": 900})
    board = make_board("general", "General")
    reader = make_user(f"Calm{width}")
    topic = post_topic(reader, board, title="Evening routines", body="What helps you wind down?")
    pest = make_user(f"Pest{width}")
    post_reply(pest, topic.topic, body="Unwanted words from someone I avoid.")
    log_in(page, reader.handle, base_url)
    page.goto(f"{base_url}/boards/member/{pest.handle}")
    page.get_by_role("button", name="Ignore this member").click()
    expect(page.get_by_role("button", name="Stop ignoring")).to_be_visible()
    page.goto(f"{base_url}/boards/topic/{topic.topic.id}")
    words = page.get_by_text("Unwanted words from someone I avoid.")
    expect(words).to_be_hidden()
    page.get_by_text("A post from a member you ignore").click()
    expect(words).to_be_visible()
    found = Axe().run(page)
    assert serious(found) == [], found.generate_report()
    assert csp_errors == []


@pytest.mark.parametrize("width", [1280, 375])
def test_board_level_email_settings_and_unsubscribe(app, page: Page, base_url, csp_errors, width, test_env):
    from pathlib import Path

    from axe_playwright_python.sync_playwright import Axe

    from config import load_or_create_secret_key

    from forum.extensions import db
    from forum.notify import email

    page.set_viewport_size({"width": width, "height": 900})
    make_board("low-mood", "Low mood")
    member = make_user(f"Careful{width}")
    member.email = f"careful{width}@example.org"
    db.session.commit()
    log_in(page, member.handle, base_url)
    page.goto(base_url + "/account/")
    page.get_by_label("Once a day, if there's anything new").check()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    expect(page.get_by_label("Once a day, if there's anything new")).to_be_checked()
    found = Axe().run(page)
    assert serious(found) == [], found.generate_report()
    page.goto(base_url + "/boards/low-mood/")
    page.get_by_label("Notifications for this board").select_option("tracking")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Topic lists will show how many posts are new to you")).to_be_visible()
    found = Axe().run(page)
    assert serious(found) == [], found.generate_report()
    # The email's link, opened logged out: one click, no login.
    page.context.clear_cookies()
    # Signed with the server's key, as the email it sent would be.
    ours, app.secret_key = app.secret_key, load_or_create_secret_key(Path(test_env["KINDRED_INSTANCE_DIR"]))
    try:
        token = email.unsubscribe_token(member.id)
    finally:
        app.secret_key = ours
    page.goto(f"{base_url}/notifications/unsubscribe/{token}")
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.get_by_text("we won't email you")).to_be_visible()
    found = Axe().run(page)
    assert serious(found) == [], found.generate_report()
    assert csp_errors == []


@pytest.mark.parametrize("width", [1280, 375])
def test_ignored_members_chat_messages_collapse(app, browser, base_url, width):
    """Live and from history; an anonymous message from the same member is never collapsed."""
    from axe_playwright_python.sync_playwright import Axe

    from forum.chat import services as chat
    from forum.notify import follow

    staff = make_user(f"RoomKeeper{width}", "staff")
    room = chat.create_room(staff, chat.RoomInput(name="Evening check-in", slug=f"evening{width}",
                                                  access="members", guidelines="Be kind."))
    reader, pest = make_user(f"Reader{width}"), make_user(f"Pest{width}")
    follow.set_ignore(reader, pest, True)
    pages = []
    for who in (reader, pest):
        ctx = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
        page = ctx.new_page()
        log_in(page, who.handle, base_url)
        page.goto(f"/chat/{room.slug}")
        expect(page.locator("#chat-status")).to_contain_text("Connected")
        pages.append(page)
    mine, theirs = pages
    box = theirs.get_by_label("Your message")
    box.fill("Words from someone I avoid.")
    box.press("Enter")
    expect(box).to_have_value("", timeout=15_000)
    theirs.get_by_label("Send this message anonymously").check()
    box.fill("An anonymous hello to the room.")
    box.press("Enter")
    expect(box).to_have_value("", timeout=15_000)
    for page in (mine, None):
        if page is None:  # and again from history, after a reload
            mine.reload()
            expect(mine.locator("#chat-status")).to_contain_text("Connected")
            page = mine
        words = page.get_by_text("Words from someone I avoid.")
        expect(page.get_by_text("An anonymous hello to the room.")).to_be_visible(timeout=15_000)
        expect(words).to_be_hidden()
        page.get_by_text("A message from a member you ignore").click()
        expect(words).to_be_visible()
    # The ignored member sees their own words as always.
    expect(theirs.get_by_text("Words from someone I avoid.")).to_be_visible()
    found = Axe().run(mine)
    assert serious(found) == [], found.generate_report()
    for page in pages:
        page.context.close()

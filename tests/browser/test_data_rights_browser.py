"""Issue 20 in real Chromium, at 1280 and 375 px: "Download my data" and
"Erase my account" with its grace period.

The job consumer is this test process: it relays the outbox (the download's
build) and runs the closure job with a clock past the grace period, on the
same database and instance folder as the live server.
"""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from forum import outbox
from forum.extensions import db
from forum.models import AccountClosure, utcnow
from forum.rights import erasure
from tests.browser.pages import log_in, assert_axe_clean as _axe
from tests.conftest import PASSWORD, make_board, make_user, post_reply, post_topic

WIDTHS = pytest.mark.parametrize("width", [1280, 375])



def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture()
def writer(app):
    member = make_user("WillowWriter", email="willow@example.org")
    other = make_user("KindReader")
    board = make_board("evenings", "Evenings")
    own = post_topic(member, board, title="Walking at dusk", body="Willow words about walking at dusk.")
    post_topic(member, board, title="Hard to say", body="Willow anonymous words.", anonymous=True)
    post_reply(other, own.topic, body="WillowWriter wrote:\n> Willow words about walking at dusk.\n\nMe too.",
               reply_to_id=own.post.id)
    return {"topic": own.topic.id}


@WIDTHS
def test_download_my_data(browser, live_server, writer, width):
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900},
                              accept_downloads=True)
    page = ctx.new_page()
    try:
        log_in(page, "WillowWriter")
        page.goto("/account/")
        _axe(page)
        _fits(page)
        page.get_by_role("button", name="Prepare my download").click()
        expect(page.get_by_text("We're preparing your download")).to_be_visible()
        outbox.relay()  # the job consumer builds the ZIP
        page.reload()
        link = page.get_by_role("link", name="Download your data (ZIP)")
        expect(link).to_be_visible()
        expect(page.get_by_text("This link works until")).to_be_visible()
        _axe(page)
        _fits(page)
        with page.expect_download() as info:
            link.click()
        data = info.value.path().read_bytes()
        zf = zipfile.ZipFile(io.BytesIO(data))
        exported = json.loads(zf.read("kindred-data.json"))
        texts = {p["text"]: p["anonymous"] for p in exported["posts"]}
        assert texts == {"Willow words about walking at dusk.": False, "Willow anonymous words.": True}
        assert "KindReader" not in json.dumps(exported)
        # The readable copy opens in the browser on its own, with nothing fetched from elsewhere.
        readable = ctx.new_page()
        requests: list[str] = []
        readable.on("request", lambda r: requests.append(r.url))
        readable.set_content(zf.read("kindred-data.html").decode())
        expect(readable.get_by_role("heading", name="Your Kindred data")).to_be_visible()
        expect(readable.get_by_text("posted anonymously").first).to_be_visible()
        _axe(readable)
        assert [u for u in requests if u.startswith("http")] == []
    finally:
        ctx.close()


@WIDTHS
def test_erase_with_a_grace_period(browser, live_server, writer, width):
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    page = ctx.new_page()
    try:
        log_in(page, "WillowWriter")
        page.goto("/account/")
        section = page.locator("section", has=page.get_by_role("heading", name="Close or erase your account"))
        section.get_by_label("Erase my account and everything I wrote").check()
        section.get_by_label("Your password").fill(PASSWORD)
        section.get_by_role("button", name="Close my account").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your account will be erased")
        expect(page.get_by_text("Log in before then")).to_be_visible()
        _axe(page)
        _fits(page)

        # Changed their mind: logging in restores everything.
        log_in(page, "WillowWriter")
        expect(page.get_by_text("Your account is restored")).to_be_visible()
        page.goto(f"/boards/topic/{writer['topic']}")
        expect(page.get_by_text("Willow words about walking at dusk.").first).to_be_visible()

        # Asks again, and this time the grace period runs out.
        page.goto("/account/")
        section.get_by_label("Erase my account and everything I wrote").check()
        section.get_by_label("Your password").fill(PASSWORD)
        section.get_by_role("button", name="Close my account").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your account will be erased")
        db.session.expire_all()
        closure = db.session.scalar(select(AccountClosure).where(AccountClosure.status == "pending"))
        assert erasure.run(closure.id, now=utcnow() + timedelta(days=15))

        page.goto(f"/boards/topic/{writer['topic']}")
        expect(page.get_by_text("Quote removed.")).to_be_visible()
        expect(page.get_by_text("Me too.")).to_be_visible()
        body = page.content()
        assert "Willow" not in body and "WillowWriter" not in body
        _axe(page)
        page.goto("/auth/login")
        page.get_by_label("Your name on Kindred").fill("WillowWriter")
        page.get_by_label("Password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        # The password hash is gone too: the login form says only that nothing matches.
        expect(page.get_by_text("That name and password don't match an account")).to_be_visible()
    finally:
        ctx.close()


@WIDTHS
def test_a_member_from_before_consent_is_asked_at_login(app, browser, live_server, width):
    """Joined before registration asked for health-data consent: asked at
    login, can read but not post until yes; "no" offers closing or erasing."""
    board = make_board("mornings", "Mornings")
    topic = post_topic(make_user("EarlyBird"), board, title="Mornings", body="How do your mornings start?").topic
    make_user("OldFriend", health_consent_at=None)
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(f"/auth/login?next=/boards/topic/{topic.id}")
        page.get_by_label("Your name on Kindred").fill("OldFriend")
        page.get_by_label("Password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/account/consent**")
        expect(page.get_by_role("heading", level=1)).to_have_text("One question before you post")
        expect(page.get_by_role("link", name="privacy notice")).to_have_attribute("href", "/privacy")
        _axe(page)
        _fits(page)
        page.get_by_role("button", name="No, I don't agree").click()
        expect(page.get_by_role("heading", name="You said no")).to_be_visible()
        expect(page.get_by_role("link", name="Close your account")).to_be_visible()
        _axe(page)
        # Reading still works; posting waits for an answer, and the text is kept.
        page.goto(f"/boards/topic/{topic.id}")
        expect(page.get_by_role("complementary", name="A question for you")).to_be_visible()
        page.get_by_label("Your reply").fill("Slowly, with tea.")
        page.get_by_role("button", name="Post reply").click()
        expect(page.locator("main")).to_contain_text("Before you can post")
        expect(page.get_by_label("Your reply")).to_have_value("Slowly, with tea.")
        _axe(page)
        page.get_by_role("link", name="Answer now").click()
        page.get_by_role("button", name="Yes, I agree").click()
        page.wait_for_url(f"**/boards/topic/{topic.id}**")
        expect(page.get_by_role("complementary", name="A question for you")).to_have_count(0)
        page.get_by_label("Your reply").fill("Slowly, with tea.")
        page.get_by_role("button", name="Post reply").click()
        expect(page.locator(".posts")).to_contain_text("Slowly, with tea.")
    finally:
        ctx.close()

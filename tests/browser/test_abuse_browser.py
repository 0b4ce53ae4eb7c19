"""Abuse in real Chromium (issue 18): a threat with no swear word in it is
held and reaches the moderator at high priority with its reason shown; a
reply that quotes hate to push back against it is published."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in
from forum.models import utcnow
from tests.conftest import make_board, make_user, post_topic
from tests.live import start_server


@pytest.fixture(scope="module")
def judge_server(_schema, test_env, tmp_path_factory):
    """A server with the abuse judge switched on (it is off by default)."""
    server = start_server({**test_env, "KINDRED_WARM_UP": "1", "KINDRED_ABUSE_JUDGE": "1"},
                          tmp_path_factory.mktemp("abuse-live"), timeout=120)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def judge_url(judge_server):
    return judge_server.url

THREAT = "Someone should burn down that support group's building with them inside."
COUNTER = ("People who say 'refugees are rats' are spreading hate, and I won't let it slide here. "
           "You're welcome in this group.")


def _reply(page: Page, judge_url: str, topic_id: int, body: str) -> None:
    page.goto(f"{judge_url}/boards/topic/{topic_id}")
    page.get_by_label("Your reply").fill(body)
    page.get_by_role("button", name="Post reply").click()


def test_a_threat_is_held_and_the_moderator_sees_why(app, page: Page, judge_url, browser, csp_errors):
    board = make_board()
    posted = post_topic(make_user("OpenDoor"), board, title="Our group", body="Our group meets on Fridays.")
    make_user("AngryVisitor")
    make_user("AbuseMod", "moderator", resources_read_at=utcnow())
    log_in(page, "AngryVisitor", judge_url)
    _reply(page, judge_url, posted.topic.id, THREAT)
    expect(page.get_by_role("status").filter(has_text="A moderator will review it soon").first).to_be_visible()

    mod = browser.new_context(base_url=judge_url).new_page()
    log_in(mod, "AbuseMod")
    mod.goto("/review/")
    row = mod.locator("[data-queue] li").first
    expect(row).to_contain_text("High", timeout=15_000)
    row.get_by_role("link").click()
    reasons = mod.locator("main")
    expect(reasons).to_contain_text("Threatens someone")
    expect(reasons).to_contain_text("Reads as a threat of violence against someone")
    expect(reasons).to_contain_text("burn down that support group")
    mod.context.close()
    assert csp_errors == []


def test_a_counter_speech_reply_is_published(app, page: Page, judge_url, csp_errors):
    board = make_board()
    posted = post_topic(make_user("NewHere"), board, title="Feeling unwelcome",
                        body="I moved here last year and some days I feel a bit unwelcome.")
    make_user("KindPeer")
    log_in(page, "KindPeer", judge_url)
    _reply(page, judge_url, posted.topic.id, COUNTER)
    expect(page.locator(".post-body").filter(has_text="spreading hate")).to_be_visible()
    expect(page.get_by_text("A moderator will review it soon")).to_have_count(0)
    assert csp_errors == []

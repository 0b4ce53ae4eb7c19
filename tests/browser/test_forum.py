"""The forum in real Chromium: join, post, read, content warnings, held
posts, the help page, accessibility (axe) and CSP cleanliness."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_board, make_user, post_reply, post_topic
from tests.browser.pages import log_in

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _login(page: Page, base_url: str, handle: str) -> None:
    log_in(page, handle, base_url)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_register_start_topic_and_see_it(app, page: Page, base_url, csp_errors):
    make_board("anxiety", "Anxiety")
    page.goto(base_url + "/auth/register")
    page.get_by_label("Choose a name for Kindred").fill("calm_heron")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_label("I am 16 or older").check()
    page.get_by_label("I have read and accept the community guidelines").check()
    page.get_by_label("I agree that Kindred may process what I share about my health").check()
    page.get_by_role("button", name="Join Kindred").click()
    expect(page.get_by_text("Welcome to Kindred, calm_heron")).to_be_visible()
    page.get_by_role("link", name="Anxiety").click()
    page.get_by_role("link", name="Start a new topic").click()
    page.get_by_label("Title").fill("Breathing exercises that help")
    page.get_by_label("Your post").fill("Breathing out **slowly** helps me most mornings.")
    page.get_by_role("button", name="Post topic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Breathing exercises that help")
    expect(page.locator(".post-body strong")).to_have_text("slowly")
    page.get_by_role("link", name="Anxiety").click()
    expect(page.get_by_role("link", name="Breathing exercises that help")).to_be_visible()
    assert csp_errors == []


def test_content_warning_stays_collapsed_until_opened(app, page: Page, base_url, csp_errors):
    board = make_board()
    author = make_user("SteadyRiver")
    posted = post_topic(author, board, title="A hard week", body="Some heavy feelings this week.",
                        content_warning="low mood")
    page.goto(f"{base_url}/boards/topic/{posted.topic.id}")
    body = page.get_by_text("Some heavy feelings this week.")
    expect(page.get_by_text("Content warning:")).to_be_visible()
    expect(body).to_be_hidden()
    page.get_by_text("low mood").click()
    expect(body).to_be_visible()
    assert csp_errors == []


def test_held_post_banner_for_author(app, page: Page, base_url, csp_errors):
    make_board("careful", "Careful", premod_first_n=1)
    make_user("NewcomerNia")
    _login(page, base_url, "NewcomerNia")
    page.goto(base_url + "/boards/careful/new")
    page.get_by_label("Title").fill("Hello from a newcomer")
    page.get_by_label("Your post").fill("Just saying hello.")
    page.get_by_role("button", name="Post topic").click()
    expect(page.get_by_role("status").filter(has_text="A moderator will review it soon").first).to_be_visible()
    assert csp_errors == []


def test_get_help_now_page(app, page: Page, base_url, csp_errors):
    page.goto(base_url + "/")
    page.get_by_role("link", name="Get help now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    page.get_by_label("Show services for").select_option("US")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("988").first).to_be_visible()
    assert csp_errors == []


def test_support_works_with_script_and_key_pages_pass_axe(app, page: Page, base_url, csp_errors):
    from axe_playwright_python.sync_playwright import Axe

    board = make_board("low-mood", "Low mood and depression")
    author = make_user("TeaAndToast")
    posted = post_topic(author, board, title="Getting through the weekends",
                        body="Weekends are the hardest for me. Does anyone else find that?")
    post_reply(make_user("NorthStar"), posted.topic, body="Yes, very much. I plan one small thing each day.",
               content_warning="loneliness")
    make_user("Reader")
    axe = Axe()
    for path in ("/", "/auth/register", "/help", "/boards/", "/boards/low-mood/"):
        page.goto(base_url + path)
        results = axe.run(page)
        assert results.violations_count == 0, f"{path}:\n{results.generate_report()}"
    _login(page, base_url, "Reader")
    page.goto(f"{base_url}/boards/topic/{posted.topic.id}")
    button = page.locator(f"#post-{posted.post.id} .support-button")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_contain_text("1")
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    page.set_viewport_size({"width": 1100, "height": 900})
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "screenshot.png"), full_page=False)
    assert csp_errors == []

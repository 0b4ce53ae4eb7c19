"""Search in real Chromium, desktop and phone width: the header box finds a
post, marks the words, shows a content warning instead of the text, and
the page passes axe."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_board, make_user, post_reply, post_topic


def serious(results) -> list[str]:
    return [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 375])
def test_search_finds_post_and_respects_content_warning(app, page: Page, base_url, csp_errors, width):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": width, "height": 900})
    board = make_board("low-mood", "Low mood")
    posted = post_topic(make_user("TeaAndToast"), board, title="Small things",
                        body="A warm kettle and the allotment got me through today.")
    post_reply(make_user("NorthStar"), posted.topic, body="The allotment sounds lovely, I found it hard this week.",
               content_warning="a rough week")
    page.goto(base_url + "/boards/")
    page.get_by_role("searchbox", name="Search posts").fill("allotment")
    page.get_by_role("search", name="Search the forum").first.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    results = page.locator(".result")
    expect(results).to_have_count(2)
    expect(page.locator(".result-snippet mark").first).to_have_text("allotment")
    expect(page.get_by_text("Content warning: a rough week")).to_be_visible()
    expect(page.get_by_text("I found it hard this week")).to_have_count(0)
    page.get_by_role("link", name="Small things").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Small things")
    page.goto(base_url + "/search/?q=allotment")
    found = Axe().run(page)
    assert serious(found) == [], found.generate_report()
    assert csp_errors == []

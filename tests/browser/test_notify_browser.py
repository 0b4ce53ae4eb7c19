"""Notifications in real Chromium, desktop and phone width: a reply reaches
the topic's author live (count and notice, no reload), the page lists it,
and axe finds nothing serious."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in
from tests.conftest import make_board, make_user, post_topic
from tests.live import start_server


@pytest.fixture(scope="module")
def worker_url(_schema, test_env, tmp_path_factory):
    """A server with its embedded job consumer (as ``make run``): notifications
    are made by the outbox relay, which must run where the sockets are."""
    server = start_server({**test_env, "KINDRED_WARM_UP": "1"}, tmp_path_factory.mktemp("notify-live"),
                          timeout=180, extra_args=("--worker",))
    yield server.url
    server.stop()


def serious(results) -> list[str]:
    return [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 375])
def test_reply_notifies_the_author_live(app, page: Page, browser, worker_url, csp_errors, width):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": width, "height": 900})
    board = make_board("low-mood", "Low mood")
    author = make_user(f"Author{width}")
    posted = post_topic(author, board, title="Getting through Sundays", body="Sundays are the hardest for me.")
    base_url = worker_url
    log_in(page, author.handle, base_url)
    page.goto(f"{base_url}/boards/topic/{posted.topic.id}")
    expect(page.locator("html")).to_have_attribute("data-member-live", "on", timeout=30000)
    expect(page.locator("[data-notify-badge]")).to_be_hidden()
    replier = make_user(f"Replier{width}")
    other = browser.new_page()
    log_in(other, replier.handle, base_url)
    other.goto(f"{base_url}/boards/topic/{posted.topic.id}")
    other.get_by_label("Your reply").fill("Me too. A short walk helps a bit.")
    other.get_by_label("Post anonymously").check()
    other.get_by_role("button", name="Post reply").click()
    other.close()
    expect(page.locator("[data-notify-count]")).to_have_text("1", timeout=90000)
    expect(page.locator("[data-live-notice]")).to_contain_text("New reply in “Getting through Sundays”")
    page.locator("[data-live-notice] a").click()
    expect(page.get_by_text("Me too. A short walk helps a bit.")).to_be_visible()
    page.goto(base_url + "/notifications/")
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_text("Anonymous member replied in “Getting through Sundays”")).to_be_visible()
    found = Axe().run(page)
    assert serious(found) == [], found.generate_report()
    assert csp_errors == []

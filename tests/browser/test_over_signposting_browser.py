"""Issue 17 item 7 in real Chromium, at 1280 and 375 px, through the real
moderation pipeline on the live server: a bare denial and a recovery story
do not get the crisis panel. The member lands on their post with the plain
"Your post is up" line, like any other post. Current low mood still gets
the gentle panel (moderation.signposting.decide reads the context of each
reason; its unit tables are in tests/moderation/test_signposting.py).
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import assert_axe_clean
from tests.browser.test_crisis_panel import DESKTOP, MOBILE, _login, _long_topic, _member, _moderator_online, _reply

DENIAL = "I'm not suicidal, just exhausted."
RECOVERY = ("A year ago I was suicidal and in a very dark place. With therapy and my friends I got through it, "
            "and now I'm doing well. It does get better.")
LOW_MOOD = "I've felt hopeless lately, and I don't really know why."
CASES = [pytest.param(DENIAL, id="denial"), pytest.param(RECOVERY, id="recovery")]


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
@pytest.mark.parametrize("text", CASES)
def test_no_crisis_panel_for_a_denial_or_a_recovery_story(app, page: Page, base_url, viewport, text):
    _moderator_online()
    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, text)
    expect(page.locator(".posts")).to_contain_text(text.split(".")[0])
    assert "#post-" in page.url, page.url
    expect(page.locator("#signposting")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Your post is up")).to_be_visible()
    assert_axe_clean(page)


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_current_low_mood_still_gets_the_gentle_panel(app, page: Page, base_url, viewport):
    _moderator_online()
    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, LOW_MOOD)
    assert page.url.endswith("#signposting"), page.url
    panel = page.locator("#signposting")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Thank you for sharing how you feel")
    expect(panel).not_to_contain_text("danger")

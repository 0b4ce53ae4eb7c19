"""The crisis moment in real Chromium (issue 17): after posting words that
carry signposting, the member lands on the panel, focused and announced,
with words that fit the tier, and helpline cards that work on a phone.

Every check runs on desktop and at 375 px wide.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from forum.extensions import db
from tests.conftest import make_board, make_user, post_reply, post_topic
from tests.browser.pages import log_in

DOCS = Path(__file__).resolve().parents[2] / "docs"
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 667}
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])

IMMINENT = "I am going to end my life tonight. I have decided and I am saying goodbye."
HIGH = "I have been having suicidal thoughts a lot lately and I feel like nobody would miss me."
CONCERN = "I feel really low and hopeless lately, like nothing will get better."
OTHER = "My best friend told me she wants to kill herself and I am scared for her."


def _login(page: Page, base_url: str, handle: str) -> None:
    log_in(page, handle, base_url)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _moderator_online() -> None:
    """A fresh /mod presence row, so the forum is not in out-of-hours mode."""
    from forum.models import Presence

    mod = make_user("ModOnDuty", role="moderator")
    db.session.add(Presence(sid="crisis-ui-mod", user_id=mod.id, namespace="/mod"))
    db.session.commit()


def _long_topic():
    """A topic long enough that the newest reply sits far below the panel."""
    board = make_board("low-mood", "Low mood")
    other = make_user("LongTermLark")
    posted = post_topic(other, board, title="How are we all doing this week?",
                        body="A weekly check-in thread. How has your week been?")
    for i in range(8):
        post_reply(other, posted.topic, body=f"Check-in {i}: a slow week, some walks, some rest.\n\n" * 3)
    return posted.topic


def _reply(page: Page, base_url: str, topic_id: int, body: str) -> None:
    page.goto(f"{base_url}/boards/topic/{topic_id}")
    page.get_by_label("Your reply").fill(body)
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state("load")


def _member(region: str = "UK") -> str:
    make_user("QuietWillow", region=region)
    return "QuietWillow"


def _panel_text(page: Page) -> str:
    return " ".join(page.locator("#signposting").inner_text().split())


def _assert_panel_first(page: Page, viewport: dict) -> None:
    panel = page.locator("#signposting")
    expect(panel).to_be_visible()
    # Focused, so a screen reader starts here and keyboard users tab on from it.
    assert page.evaluate("document.activeElement && document.activeElement.id") == "signposting"
    box = page.evaluate("document.getElementById('signposting').getBoundingClientRect().top")
    assert -2 <= box <= 24, f"the panel's top is {box:.0f} px from the top of a {viewport['width']} px viewport"
    # Announced: the short message saying what happened is a live alert.
    alert = panel.locator("[role=alert]")
    expect(alert).to_have_count(1)
    assert alert.inner_text().strip()


@VIEWPORTS
def test_panel_comes_first_focused_and_announced(app, page: Page, base_url, csp_errors, viewport):
    from axe_playwright_python.sync_playwright import Axe

    _moderator_online()
    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, HIGH)
    assert page.url.endswith("#signposting")
    _assert_panel_first(page, viewport)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    if viewport is DESKTOP:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "crisis-panel.png"), full_page=False)
    else:
        page.screenshot(path=str(DOCS / "crisis-panel-mobile.png"), full_page=False)
    assert csp_errors == []


@VIEWPORTS
def test_panel_comes_first_without_javascript(app, browser: Browser, base_url, viewport):
    topic = _long_topic()
    _moderator_online()
    handle = _member()
    context = browser.new_context(java_script_enabled=False, viewport=viewport)
    try:
        page = context.new_page()
        _login(page, base_url, handle)
        _reply(page, base_url, topic.id, HIGH)
        _assert_panel_first(page, viewport)
    finally:
        context.close()


@VIEWPORTS
def test_new_topic_lands_on_the_panel(app, page: Page, base_url, viewport):
    make_board("low-mood", "Low mood")
    _moderator_online()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    page.goto(base_url + "/boards/low-mood/new")
    page.get_by_label("Title").fill("Finding it hard")
    page.get_by_label("Your post").fill(HIGH)
    page.get_by_role("button", name="Post topic").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("#signposting")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "signposting"


@VIEWPORTS
def test_imminent_words_emergency_first_and_no_waiting(app, page: Page, base_url, csp_errors, viewport):
    from axe_playwright_python.sync_playwright import Axe

    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, IMMINENT)
    _assert_panel_first(page, viewport)
    panel = _panel_text(page)
    assert "alerted" in page.locator("#signposting [role=alert]").inner_text()
    # The emergency number comes before any helpline.
    assert "999" in panel and panel.index("999") < panel.index("Samaritans")
    first_card = page.locator("#signposting .service").first
    expect(first_card.locator("a[href='tel:999']")).to_have_count(1)
    body = page.locator("main").inner_text()
    assert "few hours" not in body
    expect(page.locator("main .notice").filter(has_text="content warning")).to_have_count(0)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert csp_errors == []


@VIEWPORTS
def test_high_words_post_is_up_and_who_to_talk_to(app, page: Page, base_url, viewport):
    _moderator_online()
    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, HIGH)
    alert = page.locator("#signposting [role=alert]").inner_text()
    assert "Your post is up" in alert and "moderator" in alert
    assert "talk to" in _panel_text(page)
    assert "few hours" not in page.locator("main").inner_text()


@VIEWPORTS
def test_concern_words_are_gentle(app, page: Page, base_url, viewport):
    _moderator_online()
    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, CONCERN)
    headline = page.locator("#signposting h2").inner_text()
    lead = page.locator("#signposting [role=alert]").inner_text()
    panel = _panel_text(page)
    # No alarm at a low tier: no danger talk, and words unlike the high tier's.
    for word in ("danger", "emergency", "act on"):
        assert word not in panel.lower(), word
    assert "alone" not in headline  # the high tier's headline
    assert "Your post is up" in lead
    assert re.search(r"\b(ease|better|pass)\b", panel), panel


@VIEWPORTS
def test_words_for_a_helper(app, page: Page, base_url, viewport):
    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, OTHER)
    _assert_panel_first(page, viewport)
    panel = _panel_text(page)
    assert "these feelings" not in panel and "your feelings" not in panel
    assert "someone you care about" in panel
    assert "If they're in danger" in panel


@VIEWPORTS
def test_out_of_hours_banner_is_calm_and_short(app, page: Page, base_url, viewport):
    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, HIGH)
    banner = page.locator(".away-banner")
    expect(banner).to_be_visible()
    height = banner.bounding_box()["height"]
    assert height <= viewport["height"] / 5, f"the away banner is {height:.0f} px tall"
    text = banner.inner_text()
    assert "!" not in text and "moderators are away" in text.lower()
    # The held post's own words stay calm too: no promise of "a few hours".
    assert "few hours" not in page.locator("main").inner_text()
    _assert_panel_first(page, viewport)


@VIEWPORTS
def test_helpline_cards_labelled_and_linked(app, page: Page, base_url, csp_errors, viewport):
    from axe_playwright_python.sync_playwright import Axe
    from moderation import signposting

    page.set_viewport_size(viewport)
    for region in signposting.regions():
        page.goto(f"{base_url}/help?region={region.code}")
        main = page.locator("main")
        text = main.inner_text()
        assert not re.search(r"Text:?\s+Text", text), f"{region.code}: {text}"
        for s in region.services:
            if s.text:
                links = main.locator("a[href^='sms:']").filter(has_text=s.text)
                expect(links).to_have_count(1)
                href = links.get_attribute("href")
                digits = "".join(c for c in s.text.split(" to ")[-1] if c.isdigit())
                assert href.startswith("sms:" + digits), href
                if " to " in s.text:
                    keyword = s.text.split()[1]
                    assert href.endswith("body=" + keyword), href
            if s.phone:
                expect(main.locator(f"a[href='tel:{''.join(c for c in s.phone if c.isdigit())}']")).to_have_count(1)
        # Long addresses wrap: nothing pushes the page wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{region.code}: page is {width} px wide"
        overflowing = page.evaluate(
            "[...document.querySelectorAll('.service a')].filter(a => a.getBoundingClientRect().right > "
            "a.closest('.service').getBoundingClientRect().right + 1).map(a => a.textContent)")
        assert overflowing == [], f"{region.code}: {overflowing}"
        heading = main.locator("h2").filter(has_text=re.compile("[Hh]elplines")).first.inner_text()
        assert "Elsewhere" not in heading, heading
        results = Axe().run(page)
        assert results.violations_count == 0, f"{region.code}: {results.generate_report()}"
    assert csp_errors == []


@VIEWPORTS
def test_panel_cards_have_sms_and_tel_links(app, page: Page, base_url, viewport):
    _moderator_online()
    topic = _long_topic()
    page.set_viewport_size(viewport)
    _login(page, base_url, _member())
    _reply(page, base_url, topic.id, HIGH)
    panel = page.locator("#signposting")
    assert "Text Text" not in panel.inner_text()
    expect(panel.locator("a[href='sms:85258?body=SHOUT']")).to_have_count(1)
    expect(panel.locator("a[href='tel:116123']")).to_have_count(1)


@VIEWPORTS
def test_long_addresses_wrap_inside_the_card(app, page: Page, base_url, viewport):
    """A long web address (example.org, not a helpline) in the real card
    markup and the real stylesheet stays inside its card."""
    from moderation.verdict import Service

    long_web = "https://example.org/" + "supportandinformationforanyone" * 3
    card = app.jinja_env.get_template("macros/signposting.html").module.service_list(
        [Service(name="An example service", phone="0000 000 000", web=long_web, hours="Every day")])
    page.set_viewport_size(viewport)
    page.goto(base_url + "/help")  # same origin, so the stylesheet loads under the CSP
    page.evaluate("html => { document.querySelector('main').innerHTML = html; }", str(card))
    overflowing = page.evaluate(
        "[...document.querySelectorAll('.service a')].filter(a => a.getBoundingClientRect().right > "
        "a.closest('.service').getBoundingClientRect().right + 1).map(a => a.textContent)")
    assert overflowing == []
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

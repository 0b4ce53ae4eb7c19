"""Issue 17, item 10 (presence) and item 11 (counters agree with the cases),
in real Chromium.

A moderator counts as online on any moderator or staff page through the
socket heartbeat, not only while the queue is open; the members' "away"
banner follows that, and moderators never see the banner themselves.
"""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from forum.review import services
from tests.browser.test_review_browser import open_as, people  # noqa: F401 - fixtures
from tests.review.helpers import post, verdict

BANNER = ".away-banner"


def _online_becomes(n: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see the server's commits
        if services.moderators_online() == n:
            return
        time.sleep(0.25)
    raise AssertionError(f"moderators online never became {n} (is {services.moderators_online()})")


@pytest.mark.parametrize("width", [1280, 375])
def test_presence_follows_any_moderator_or_staff_page(people, open_as, browser, base_url, width):  # noqa: F811
    _online_becomes(0)
    member = open_as("PostingMember", "/boards/")
    member.set_viewport_size({"width": width, "height": 800})
    member.reload()
    expect(member.locator(BANNER)).to_be_visible()

    # A moderator never sees the banner, even when nobody else is online.
    mod = open_as("QueueMod", "/boards/")
    mod.set_viewport_size({"width": width, "height": 800})
    expect(mod.locator("main")).to_be_visible()
    expect(mod.locator(BANNER)).to_have_count(0)
    # The resources page is not the queue, and it still counts.
    mod.goto(base_url + "/review/resources")
    _online_becomes(1)
    member.reload()
    expect(member.locator(BANNER)).to_have_count(0)
    mod.context.close()
    _online_becomes(0)

    # A staff member on the audit log counts too.
    staff = open_as("CaseStaff", "/staff/audit")
    staff.set_viewport_size({"width": width, "height": 800})
    expect(staff.locator(BANNER)).to_have_count(0)
    _online_becomes(1)
    member.reload()
    expect(member.locator(BANNER)).to_have_count(0)


def test_escalated_counter_counts_items_with_open_cases(people, open_as, base_url):  # noqa: F811
    member = db.session.scalar(select(User).where(User.handle == "PostingMember"))
    for _ in range(2):
        post(member, verdict("hold", "imminent"))
    mod = open_as("QueueMod", "/review/")
    expect(mod.locator('[data-counter="escalated"]')).to_have_text("2")
    expect(mod.locator('[data-counter="imminent"]')).to_have_text("2")
    expect(mod.locator('[data-counter="pending"]')).to_have_text("0")
    # After the live counters arrive over the socket they still agree.
    expect(mod.locator("[data-live-status]")).to_have_text("Live updates on", timeout=15_000)
    mod.wait_for_timeout(500)
    expect(mod.locator('[data-counter="escalated"]')).to_have_text("2")
    staff = open_as("CaseStaff", "/staff/")
    expect(staff.locator('[data-counter="open_cases"]')).to_have_text("2")
    expect(staff.locator("[data-cases] tr")).to_have_count(2)

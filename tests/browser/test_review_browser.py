"""Review queue in real Chromium: a crisis post appears live in a moderator's
queue; the moderator claims it and escalates; staff acknowledge the case."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.extensions import db
from forum.models import Board, utcnow
from tests.conftest import make_user
from tests.review.live_http import login, new_topic


@pytest.fixture()
def people(app):
    make_user("QueueMod", "moderator", resources_read_at=utcnow())
    make_user("CaseStaff", "staff", resources_read_at=utcnow())
    make_user("PostingMember")
    db.session.add(Board(slug="support", name="Support", description=""))
    db.session.commit()


@pytest.fixture()
def open_as(browser, base_url):
    contexts, csp = [], []

    def _open(handle: str, path: str):
        # Log in over HTTP and hand the session cookie to the browser: the
        # login form itself is covered by the forum's browser tests.
        session = login(base_url, handle)
        ctx = browser.new_context(base_url=base_url)
        contexts.append(ctx)
        ctx.add_cookies([{"name": c.name, "value": c.value, "url": base_url} for c in session.cookies])
        page = ctx.new_page()
        page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(path)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    assert csp == [], csp


def test_crisis_post_live_claim_escalate_acknowledge(people, open_as, base_url):
    mod = open_as("QueueMod", "/review/")
    expect(mod.locator("[data-live-status]")).to_have_text("Live updates on", timeout=15_000)
    staff = open_as("CaseStaff", "/staff/")
    expect(staff.locator("[data-live-status]")).to_have_text("Live updates on", timeout=15_000)

    member = login(base_url, "PostingMember")
    resp = new_topic(member, base_url, "support", "Tonight", "I want to kill myself tonight. I can't keep going.")
    assert resp.status_code == 302

    # Live: the item arrives without a reload, and the counter moves.
    row = mod.locator("[data-queue] li").first
    expect(row).to_contain_text("Imminent risk", timeout=30_000)
    expect(mod.locator('[data-counter="imminent"]')).to_have_text("1")
    # Staff see the automatic case arrive live too.
    expect(staff.locator("[data-cases] tr").first).to_contain_text("imminent", timeout=15_000)

    row.get_by_role("link").click()
    # Crisis content is blurred (collapsed) until the moderator opens it.
    details = mod.locator("details.sensitive").first
    expect(details).not_to_have_attribute("open", "")
    mod.get_by_role("button", name="Claim this item").click()
    expect(mod.locator("[data-claim]")).to_contain_text("QueueMod")
    mod.get_by_label("What staff should know").fill("Says tonight; no reply yet.")
    mod.get_by_role("button", name="Escalate to staff").click()
    expect(mod.locator("[data-status]")).to_have_text("With staff")

    staff.reload()
    staff.locator("[data-cases] a").first.click()
    expect(staff.get_by_label("Notes")).to_have_value("Says tonight; no reply yet.")
    staff.get_by_label("Plan").fill("Mentions tonight")
    staff.get_by_role("button", name="Acknowledge").click()
    expect(staff.locator("[data-case-status]")).to_have_text("Acknowledged")


def test_review_and_staff_pages_pass_axe(people, open_as, base_url):
    from axe_playwright_python.sync_playwright import Axe
    from sqlalchemy import select

    from forum.models import Escalation, User
    from tests.review.helpers import post, review_for, verdict

    member = db.session.scalar(select(User).where(User.handle == "PostingMember"))
    r = review_for(post(member, verdict("hold", "imminent")))
    case_id = db.session.scalar(select(Escalation.id))
    axe = Axe()
    mod = open_as("QueueMod", "/review/")
    for path in ("/review/", f"/review/{r.id}", "/review/resources"):
        mod.goto(base_url + path)
        result = axe.run(mod)
        assert result.violations_count == 0, f"{path}:\n{result.generate_report()}"
    staff = open_as("CaseStaff", "/staff/")
    for path in ("/staff/", f"/staff/cases/{case_id}", "/staff/audit", f"/staff/members/{member.id}/safety-contact"):
        staff.goto(base_url + path)
        result = axe.run(staff)
        assert result.violations_count == 0, f"{path}:\n{result.generate_report()}"
    flagger = open_as("PostingMember", "/account/safety")
    for path in ("/account/safety", "/account/notices"):
        flagger.goto(base_url + path)
        result = axe.run(flagger)
        assert result.violations_count == 0, f"{path}:\n{result.generate_report()}"

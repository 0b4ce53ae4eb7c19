"""Issue 15: during a Redis outage, a crisis case opened on another server
process must still reach an open staff dashboard and moderator queue.

Two real server processes share a private Redis. A staff member has the
staff dashboard and the review queue open in Chromium on process A. Redis
is stopped; a member posts an imminent-risk topic on process B. The case and
the review item are stored, but their live events stay on B. The pages'
periodic sync must show them without a reload, each once.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import Board, Escalation, Review, utcnow
from tests.conftest import make_user
from tests.review.live_http import login, new_topic
from tests.browser.pages import log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Waits are for conditions, with room for a loaded 2-core machine.
WAIT_MS = 60_000
CRISIS = "I want to kill myself tonight. I can't keep going."


def test_cases_opened_on_another_process_during_redis_outage_reach_open_staff_pages(browser, redis_and_servers):
    private, a, b = redis_and_servers
    make_user("SyncStaff", "staff", resources_read_at=utcnow())
    make_user("SyncWriter")
    db.session.add(Board(slug="sync", name="Sync", description=""))
    db.session.commit()

    ctx = browser.new_context(base_url=a.url)
    ctx.set_default_timeout(WAIT_MS)
    try:
        page = ctx.new_page()
        log_in(page, "SyncStaff")
        dashboard = page
        dashboard.goto("/staff/")
        queue = ctx.new_page()
        queue.goto("/review/")
        for p in (dashboard, queue):
            expect(p.locator("[data-live-status]")).to_have_text("Live updates on", timeout=WAIT_MS)

        private.stop()
        writer = login(b.url, "SyncWriter")
        resp = new_topic(writer, b.url, "sync", "Tonight", CRISIS)
        assert resp.status_code == 302, resp.status_code
        db.session.remove()
        case_ids = db.session.scalars(select(Escalation.id)).all()
        item_ids = db.session.scalars(select(Review.id).where(Review.status.in_(("pending", "escalated")))).all()
        assert len(case_ids) == 1 and len(item_ids) == 1, (case_ids, item_ids)

        expect(dashboard.locator(f'[data-cases] [data-case="{case_ids[0]}"]')).to_have_count(1, timeout=WAIT_MS)
        expect(queue.locator(f'[data-queue] [data-item="{item_ids[0]}"]')).to_have_count(1, timeout=WAIT_MS)
        # Later syncs do not add it again.
        dashboard.wait_for_timeout(6_000)
        expect(dashboard.locator("[data-case]")).to_have_count(1)
        expect(queue.locator("[data-item]")).to_have_count(1)
    finally:
        ctx.close()

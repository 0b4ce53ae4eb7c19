"""Missed deadlines: re-alerts, on-call email + webhook, tier raises; with a controlled clock."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from forum.extensions import db
from forum.models import Alert, Escalation, Outbox, utcnow
from forum.models import base as clock
from forum.review import deadlines, services
from tests.review.helpers import post, review_for, verdict


def alerts(**where):
    stmt = select(Alert).order_by(Alert.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(Alert, k) == v)
    return db.session.scalars(stmt).all()


def test_high_item_missed_deadline_realerts_and_raises_tier(users, oncall, monkeypatch):
    smtp, webhook = oncall
    r = review_for(post(users["member"], verdict("publish_flagged", "high")))
    start_priority = r.priority
    now = utcnow()
    assert deadlines.check(now + timedelta(minutes=14))["reviews_overdue"] == 0
    later = now + timedelta(minutes=16)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert deadlines.check(later)["reviews_overdue"] == 1
    db.session.refresh(r)
    assert r.tier_raises == 1 and r.priority > start_priority
    assert services.review_tier(r) == "harm_encouragement"
    assert r.due_at == later + timedelta(minutes=15)
    assert [a.channel for a in alerts(kind="sla_missed")] == ["socket", "email", "webhook"]
    assert len(smtp.messages) == 1 and "missed its deadline" in smtp.messages[0]
    assert "kill" not in smtp.messages[0]  # no member text leaves the platform
    assert webhook.payloads[0]["kind"] == "sla_missed" and webhook.payloads[0]["review_id"] == r.id
    # Not re-alerted again until the new deadline passes.
    assert deadlines.check(later + timedelta(minutes=1))["reviews_overdue"] == 0


def test_claimed_item_is_not_overdue(users, oncall):
    users["moderator"].resources_read_at = utcnow()
    r = review_for(post(users["member"], verdict("publish_flagged", "high")))
    services.claim(r, users["moderator"], r.version)
    assert deadlines.check(utcnow() + timedelta(minutes=9))["reviews_overdue"] == 0


def test_claims_expire(users):
    r = review_for(post(users["member"]))
    services.claim(r, users["moderator"], r.version)
    summary = deadlines.check(utcnow() + timedelta(minutes=11))
    db.session.refresh(r)
    assert summary["claims_expired"] == 1 and r.claimed_by_id is None


def test_unacknowledged_case_realerts_every_interval_until_acknowledged(users, oncall, monkeypatch):
    smtp, webhook = oncall
    post(users["member"], verdict("hold", "imminent"))
    case = db.session.scalar(select(Escalation))
    assert [a.channel for a in alerts(kind="case_opened")] == ["socket", "email", "webhook"]
    t = utcnow()
    for n in (1, 2):
        t = t + timedelta(minutes=6)
        monkeypatch.setattr(clock, "utcnow", lambda t=t: t)
        assert deadlines.check(t)["cases_overdue"] == 1
        db.session.refresh(case)
        assert case.realert_count == n
    assert len(alerts(kind="case_unacknowledged", channel="email")) == 2
    assert len(smtp.messages) == 3 and "NOT acknowledged" in smtp.messages[-1]
    services.update_case(case, "acknowledge", users["staff"], case.version)
    assert deadlines.check(t + timedelta(hours=1))["cases_overdue"] == 0


def test_failed_channel_is_recorded_and_retried(app, users, smtp, monkeypatch):
    from tests.review.servers import WebhookSink

    broken = WebhookSink(status=500)
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, ONCALL_EMAILS=["oncall@example.org"],
                          ONCALL_WEBHOOK_URL=broken.url)
        post(users["member"], verdict("hold", "imminent"))
        row = db.session.scalar(select(Outbox).where(Outbox.kind == "escalation.opened"))
        assert row.processed_at is None and "webhook" in row.last_error and row.attempts == 1
        assert [a.ok for a in alerts(kind="case_opened", channel="webhook")] == [False]
        broken.status = 204
        later = utcnow() + timedelta(minutes=5)
        monkeypatch.setattr(clock, "utcnow", lambda: later)
        from forum import outbox

        assert outbox.relay() == 1
        db.session.refresh(row)
        assert row.processed_at is not None and row.attempts == 2
    finally:
        broken.stop()

"""Retention jobs: each deletes what is past its period, keeps the rest, is
idempotent and audited (counts only), under a frozen clock."""
from __future__ import annotations

import os
from datetime import timedelta

from limits.storage import RedisStorage

from sqlalchemy import select

from forum import audit
from forum.extensions import db
from forum.models import AuditEvent, Escalation, Post, Review, Topic, User, UserSession
from forum.models import base as clock
from forum.review import services as review
from forum.rights import retention
from forum.staff import seal
from tests.review.helpers import post as review_post
from tests.review.helpers import verdict


def _freeze(monkeypatch, at):
    monkeypatch.setattr(clock, "utcnow", lambda: at)
    return at


def _reject(item_post, moderator):
    item = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == item_post.id))
    review.perform(item, "reject", moderator, item.version, "Not for this forum.")
    return item


def test_ended_sessions_go_after_their_period(app, users, monkeypatch):
    now = clock.utcnow()
    old = UserSession(user_id=users["member"].id, token_hash="a" * 64, device="Firefox on Linux",
                      created_at=now - timedelta(days=60), last_seen_at=now - timedelta(days=45),
                      expires_at=now + timedelta(days=1), revoked_at=now - timedelta(days=45), revoked_reason="logout")
    live = UserSession(user_id=users["member"].id, token_hash="b" * 64, device="Safari on iPhone",
                       created_at=now, last_seen_at=now, expires_at=now + timedelta(days=30))
    db.session.add_all([old, live])
    db.session.commit()
    assert retention.sessions(now) == 1
    assert retention.sessions(now) == 0
    assert [s.device for s in db.session.scalars(select(UserSession))] == ["Safari on iPhone"]


def test_held_content_never_published_goes_after_the_decision(app, users, monkeypatch):
    held = review_post(users["member"], verdict("hold", "none", categories=("abuse",), text="Held words, never shown."))
    published = review_post(users["member2"], verdict("publish_flagged", "none", categories=("abuse",),
                                                      text="Shown words, later hidden."))
    held_id, topic_id, published_id = held.id, held.topic_id, published.id
    _reject(held, users["moderator"])
    _reject(published, users["moderator"])
    db.session.commit()
    decided = clock.utcnow()
    _freeze(monkeypatch, decided + timedelta(days=89))
    assert retention.held_content(clock.utcnow()) == 0
    _freeze(monkeypatch, decided + timedelta(days=91))
    assert retention.held_content(clock.utcnow()) == 1
    assert retention.held_content(clock.utcnow()) == 0  # idempotent
    db.session.expire_all()
    assert db.session.get(Post, held_id) is None
    assert db.session.get(Topic, topic_id) is None
    assert db.session.scalar(select(Review).where(Review.target_id == held_id, Review.target_type == "post")) is None
    # Content that was public once stays under the ordinary rules.
    assert db.session.get(Post, published_id) is not None


def test_audit_detail_becomes_a_tombstone(app, users, monkeypatch):
    event = audit.record(users["staff"], "safety_contact.break_glass", target_type="user", target_id=users["member"].id,
                         reason="Case 3: no reply to messages", case=3)
    recent = audit.record(users["staff"], "case.save", target_type="escalation", target_id=3, reason="Recent note")
    db.session.commit()
    event.created_at = clock.utcnow() - timedelta(days=366 * 7)
    db.session.commit()
    now = clock.utcnow()
    assert retention.audit_detail(now) == 1
    assert retention.audit_detail(now) == 0
    db.session.expire_all()
    assert event.reason is None and event.data == {} and event.action == "safety_contact.break_glass"
    assert recent.reason == "Recent note"


def test_resolved_cases_go_after_the_operators_period_but_not_before_follow_up(app, users, monkeypatch):
    app.config["KINDRED_RETAIN_CASES_DAYS"] = 30
    first = review_post(users["member"], verdict("hold", "imminent"))
    second = review_post(users["member2"], verdict("hold", "imminent"))
    cases = db.session.scalars(select(Escalation).order_by(Escalation.id)).all()
    start = clock.utcnow()
    for case, follow_up in zip(cases, (None, start + timedelta(days=60)), strict=True):
        review.update_case(case, "resolve", users["staff"], case.version, outcome="Safe.", follow_up_at=follow_up)
    db.session.commit()
    _freeze(monkeypatch, start + timedelta(days=31))
    assert retention.crisis_cases(clock.utcnow()) == 1
    assert retention.crisis_cases(clock.utcnow()) == 0
    assert [c.target_id for c in db.session.scalars(select(Escalation))] == [second.id]
    _freeze(monkeypatch, start + timedelta(days=61))
    assert retention.crisis_cases(clock.utcnow()) == 1
    assert first and db.session.scalar(select(Escalation)) is None


def test_closed_accounts_lose_their_safety_contact_at_once(app, users):
    seal.save_contact(users["member"], "A friend, 07700 900789", consent=True)
    users["member"].is_deactivated = True
    db.session.commit()
    assert retention.safety_contacts(clock.utcnow()) == 1
    assert retention.safety_contacts(clock.utcnow()) == 0
    db.session.expire_all()
    assert db.session.get(User, users["member"].id).safety_contact_sealed is None


def test_rate_limit_keys_are_capped(app):
    # In-process storage (the default suite): nothing outlives the process.
    assert retention.ratelimit_keys(clock.utcnow()) == 0
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return  # the Redis pass of .ci/run (TEST_REDIS_URL) covers the shared storage below
    storage = RedisStorage(url)
    key = f"{storage.key_prefix}:LIMITER/retention-test/203.0.113.9"
    storage.storage.set(key, 1)
    assert retention.ratelimit_keys(clock.utcnow(), storage) >= 1
    assert 0 < storage.storage.ttl(key) <= app.config["KINDRED_RETAIN_RATELIMIT_DAYS"] * 86_400
    assert retention.ratelimit_keys(clock.utcnow(), storage) == 0
    storage.storage.delete(key)


def test_run_all_is_idempotent_and_audited_with_counts_only(app, users, monkeypatch):
    held = review_post(users["member"], verdict("hold", "none", categories=("abuse",), text="Held words, never shown."))
    _reject(held, users["moderator"])
    db.session.commit()
    _freeze(monkeypatch, clock.utcnow() + timedelta(days=400))
    first = retention.run_all()
    assert first["held_content"] == 1
    assert not any(retention.run_all().values())
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("retention.%"))).all()
    assert rows and all(set(r.data) == {"count"} and r.reason is None for r in rows)

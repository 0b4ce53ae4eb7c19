"""Retention: keep only what is needed, for as long as it is needed.

``run_all()`` runs hourly from the job consumer (forum.jobs.retention_task).
Each step is idempotent (running it again changes nothing), reads the one
app clock (so tests freeze it) and, when it changed something, writes one
audit row with counts only. Periods are settings (config.py, README's table,
docs/privacy.md):

- ended sessions' rows: ``KINDRED_RETAIN_SESSIONS_DAYS`` after they end;
- rate-limit keys (they name an address or account): at most
  ``KINDRED_RETAIN_RATELIMIT_DAYS`` in Redis (memory storage forgets them
  with the process); Kindred stores no IP address anywhere else;
- held content a moderator decided never to publish: ``KINDRED_RETAIN_HELD_DAYS``
  after the decision;
- closed accounts: emptied when the grace period ends (forum.rights.erasure),
  the handle freed after its quarantine, downloads deleted after a day;
- audit detail older than ``KINDRED_RETAIN_AUDIT_YEARS``: reduced to a tombstone;
- resolved crisis cases: ``KINDRED_RETAIN_CASES_DAYS`` after resolution,
  never while a follow-up date is ahead;
- sealed safety contacts of closed accounts: at once.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update

from forum.content import refresh_board_counters, refresh_counters
from forum import audit
from forum.extensions import db, limiter
from forum.models import (AccessRequest, Alert, AuditEvent, ChatMessage, ContentStatus, DebriefRequest, Escalation,
                          Post, PostRevision, PostSupport, Review, ReviewEvent, Topic, User, UserSession)
from forum.models import base as clock
from forum.models import CaseStatus, ReviewStatus
from forum.rights import erasure, export

# Review events after which content was, at some point, public.
_PUBLISHED_EVENTS = ("approve", "restore", "approved", "restored")
# Reasons that mean the content was held before anyone saw it.
_HELD_CODES = ("premoderation", "out_of_hours")


def _audited(step: str, count: int) -> int:
    if count:
        audit.record(None, f"retention.{step}", count=count)
        db.session.commit()
    return count


def _cfg(name: str) -> int:
    return int(current_app.config[name])


def sessions(now: datetime) -> int:
    """Ended logins (revoked or expired) older than the retention period."""
    cutoff = now - timedelta(days=_cfg("KINDRED_RETAIN_SESSIONS_DAYS"))
    result = db.session.execute(delete(UserSession).where(or_(UserSession.revoked_at < cutoff,
                                                              UserSession.expires_at < cutoff)))
    db.session.commit()
    return result.rowcount or 0


def ratelimit_keys(now: datetime, storage: Any = None) -> int:
    """Cap the lifetime of rate-limit keys in Redis (they name an address or account).

    The windows expire keys themselves; this only catches a key left without
    an expiry or with a longer one (a changed limit, an old version).
    """
    storage = storage or limiter.storage
    client = getattr(storage, "storage", None)
    if client is None or not hasattr(client, "scan_iter"):
        return 0  # memory storage: forgotten with the process
    longest = _cfg("KINDRED_RETAIN_RATELIMIT_DAYS") * 86_400
    capped = 0
    for key in client.scan_iter(match=f"{getattr(storage, 'key_prefix', 'LIMITS')}:*", count=500):
        ttl = client.ttl(key)
        if ttl == -1 or ttl > longest:
            client.expire(key, longest)
            capped += 1
    return capped


def _never_published(review: Review, target: Any) -> bool:
    if target is None or target.status != ContentStatus.HIDDEN:
        return False
    if db.session.scalar(select(ReviewEvent.id).where(ReviewEvent.review_id == review.id,
                                                      ReviewEvent.action.in_(_PUBLISHED_EVENTS)).limit(1)):
        return False
    return target.verdict_action == "hold" or any(r.get("code") in _HELD_CODES for r in review.reasons or [])


def held_content(now: datetime) -> int:
    """Content held before anyone saw it, then kept hidden by a moderator: deleted
    ``KINDRED_RETAIN_HELD_DAYS`` after that decision (unless a crisis case keeps it)."""
    cutoff = now - timedelta(days=_cfg("KINDRED_RETAIN_HELD_DAYS"))
    deleted = 0
    for review in db.session.scalars(select(Review).where(Review.status == ReviewStatus.REJECTED,
                                                          Review.resolved_at < cutoff)).all():
        model = {"post": Post, "chat_message": ChatMessage}.get(review.target_type)
        if model is None:
            continue
        target = db.session.get(model, review.target_id)
        if not _never_published(review, target):
            continue
        if (review.target_type, target.id) in {(c.target_type, c.target_id)
                                               for c in erasure.holding_cases(target.author_id, now)}:
            continue
        erasure.drop_reviews(review.target_type, {target.id})
        if model is ChatMessage:
            db.session.execute(update(ChatMessage).where(ChatMessage.reply_to_id == target.id).values(reply_to_id=None))
            db.session.execute(delete(ChatMessage).where(ChatMessage.id == target.id))
        else:
            _delete_post(target)
        deleted += 1
    db.session.commit()
    return deleted


def _delete_post(post: Post) -> None:

    topic = post.topic
    ids = [post.id]
    if post.number == 1:
        ids = list(db.session.scalars(select(Post.id).where(Post.topic_id == topic.id)))
    db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(ids)))
    db.session.execute(delete(PostSupport).where(PostSupport.post_id.in_(ids)))
    db.session.execute(update(Post).where(Post.reply_to_id.in_(ids)).values(reply_to_id=None))
    db.session.execute(delete(Post).where(Post.id.in_(ids)).execution_options(synchronize_session=False))
    db.session.flush()
    if post.number == 1:
        board = topic.board
        db.session.execute(delete(Topic).where(Topic.id == topic.id).execution_options(synchronize_session=False))
        refresh_board_counters(board)
    else:
        refresh_counters(topic)


def audit_detail(now: datetime) -> int:
    """Audit entries older than the period keep action, time and ids only."""
    cutoff = now - timedelta(days=366 * _cfg("KINDRED_RETAIN_AUDIT_YEARS"))
    # JSON has no equality operator on PostgreSQL, so rows with detail are picked here.
    ids = [i for i, reason, data in db.session.execute(
        select(AuditEvent.id, AuditEvent.reason, AuditEvent.data).where(AuditEvent.created_at < cutoff))
        if reason is not None or data]
    for start in range(0, len(ids), 500):
        db.session.execute(update(AuditEvent).where(AuditEvent.id.in_(ids[start:start + 500]))
                           .values(reason=None, data={}).execution_options(synchronize_session=False))
    alerts = db.session.execute(update(Alert).where(Alert.created_at < cutoff, or_(
        Alert.recipient.is_not(None), Alert.detail.is_not(None))).values(recipient=None, detail=None))
    requests = db.session.execute(update(AccessRequest).where(AccessRequest.received_at < cutoff,
                                                              AccessRequest.staff_records.is_not(None))
                                  .values(staff_records=None))
    debriefs = db.session.execute(delete(DebriefRequest).where(DebriefRequest.created_at < cutoff))
    db.session.commit()
    return len(ids) + sum(r.rowcount or 0 for r in (alerts, requests, debriefs))


def crisis_cases(now: datetime) -> int:
    """Resolved cases past the operator's period, never with a follow-up still ahead."""
    cutoff = now - timedelta(days=_cfg("KINDRED_RETAIN_CASES_DAYS"))
    ids = set(db.session.scalars(select(Escalation.id).where(
        Escalation.status == CaseStatus.RESOLVED, Escalation.resolved_at < cutoff,
        or_(Escalation.follow_up_at.is_(None), Escalation.follow_up_at <= now))))
    erasure.drop_cases(ids)
    db.session.commit()
    return len(ids)


def safety_contacts(now: datetime) -> int:
    """Sealed safety contacts of closed accounts go at once (also any closed before this rule)."""
    result = db.session.execute(update(User).where(User.is_deactivated.is_(True),
                                                   User.safety_contact_sealed.is_not(None))
                                .values(safety_contact_sealed=None, safety_contact_consent_at=None))
    db.session.commit()
    return result.rowcount or 0


def run_all(now: datetime | None = None) -> dict[str, int]:
    now = now or clock.utcnow()
    return {
        "closures": erasure.run_due(now),
        "holds_finished": _audited("holds_finished", erasure.finish_holds(now)),
        "handles_released": erasure.release_handles(now),
        "exports_expired": export.expire(now),
        "sessions": _audited("sessions", sessions(now)),
        "ratelimit_keys": _audited("ratelimit_keys", ratelimit_keys(now)),
        "held_content": _audited("held_content", held_content(now)),
        "audit_detail": _audited("audit_detail", audit_detail(now)),
        "crisis_cases": _audited("crisis_cases", crisis_cases(now)),
        "safety_contacts": _audited("safety_contacts", safety_contacts(now)),
    }

"""Moderator wellbeing: the shift counter, debrief requests, resources."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from forum import audit
from forum.after_commit import emit_after_commit
from forum.errors import NotAllowed
from forum.extensions import db
from forum.models import DebriefRequest, Review, ReviewEvent
from forum.models import base as clock
from forum.review.services.common import ACTION_LABELS


def shift_start(actor: Any) -> datetime:
    """When this moderator's shift began, kept on the account so the counter
    survives logging out and in again (and a new device)."""
    if actor.shift_started_at is None:
        actor.shift_started_at = clock.utcnow()
        db.session.commit()
    return actor.shift_started_at


def start_shift(actor: Any) -> None:
    actor.shift_started_at = clock.utcnow()
    db.session.commit()


def crisis_handled_since(actor: Any, since: datetime) -> int:
    """Crisis items this moderator acted on since ``since`` (the shift counter)."""
    return db.session.scalar(
        select(func.count(func.distinct(ReviewEvent.review_id))).join(Review, Review.id == ReviewEvent.review_id)
        .where(ReviewEvent.actor_id == actor.id, ReviewEvent.created_at >= since,
               ReviewEvent.action.in_(list(ACTION_LABELS)), Review.risk.in_(["high", "imminent"]))
    ) or 0


def request_debrief(actor: Any, note: str | None) -> DebriefRequest:
    if not actor.is_moderator:
        raise NotAllowed("Debriefs are for moderators.")
    req = DebriefRequest(user_id=actor.id, note=(note or "").strip()[:2000] or None, created_at=clock.utcnow())
    db.session.add(req)
    db.session.flush()
    audit.record(actor, "debrief.requested", target_type="debrief", target_id=req.id)
    emit_after_commit("debrief", {"id": req.id}, namespace="/staff", to="staff")
    db.session.commit()
    return req


def mark_resources_read(actor: Any) -> None:
    actor.resources_read_at = clock.utcnow()
    audit.record(actor, "resources.read", target_type="user", target_id=actor.id)
    db.session.commit()

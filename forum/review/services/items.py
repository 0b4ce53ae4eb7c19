"""A review item's life: created or reopened with its reasons, its history
rows, and the live events that tell moderators about it (after commit)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import case as sa_case
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from forum.after_commit import call_after_commit, emit_after_commit
from forum.extensions import db, socketio
from forum.models import Alert, CaseStatus, Escalation, ReasonSource, Review, ReviewEvent, ReviewStatus
from forum.models import base as clock
from forum.review.services.common import ACTION_LABELS, CASE_ACTIONS, OPEN_STATUSES, UNSCREENED
from forum.review.services.priority import recompute_priority, review_tier, schedule_check, sla_for
from forum.review.services.targets import get_target
from moderation import Verdict


def counters() -> dict[str, int]:
    """Live queue counters. Uses its own connection: it also runs in
    after-commit hooks, where the session may not issue SQL."""
    with db.engine.connect() as conn:
        # An open item with an unresolved crisis case is with staff, whatever
        # its own status says (imminent items open their case automatically).
        with_staff = Review.id.in_(select(Escalation.review_id).where(Escalation.status != CaseStatus.RESOLVED,
                                                                       Escalation.review_id.is_not(None)))
        shown = sa_case((or_(Review.status == ReviewStatus.ESCALATED, with_staff), ReviewStatus.ESCALATED.value),
                        else_=ReviewStatus.PENDING.value)
        rows = conn.execute(
            select(shown, Review.risk, func.count()).where(Review.status.in_(OPEN_STATUSES))
            .group_by(shown, Review.risk)
        ).all()
        open_cases = conn.execute(
            select(func.count()).select_from(Escalation).where(Escalation.status != CaseStatus.RESOLVED)).scalar()
    out = {"pending": 0, "escalated": 0, "imminent": 0, "high": 0, "open_cases": open_cases or 0}
    for status, risk, n in rows:
        out[status] += n
        if risk in ("imminent", "high"):
            out[risk] += n
    return out


def item_event(review: Review) -> dict[str, Any]:
    """What a live queue row needs. No member text; the author only as the
    queue page names them ("Anonymous member" for anonymous items)."""
    from forum.review import labels

    return {
        "id": review.id,
        "target_type": review.target_type,
        "status": review.status,
        "priority": review.priority,
        "risk": review.risk,
        "tier": review_tier(review),
        "unscreened": any(r["code"] == UNSCREENED for r in review.reasons),
        "reasons": sorted({r["code"] for r in review.reasons}),
        "reason_words": [labels.reason(c) for c in sorted({r["code"] for r in review.reasons})],
        "risk_words": labels.risk(review.risk),
        "tier_words": labels.tier(review_tier(review)),
        "claimed_by": review.claimed_by.handle if review.claimed_by_id and review.claimed_by else None,
        "claimed_until": review.claimed_until.isoformat() if review.claimed_until else None,
        "version": review.version,
        "url": f"/review/{review.id}",
        "author": _author_of(review),
        "created_at": review.created_at.isoformat(),
    }


def _author_of(review: Review) -> str:
    # The same label the queue page shows: "Anonymous member" for anonymous items.
    from forum.web import author_label

    target = get_target(review.target_type, review.target_id)
    return author_label(target) if target is not None else "(deleted)"


def announce(review: Review, *, new: bool = False) -> None:
    db.session.flush()  # version and ids are final for this transaction
    payload = item_event(review)
    payload["new"] = new
    emit_after_commit("item", payload, namespace="/mod", to="mod")
    if new and review.risk == "imminent":
        emit_after_commit("imminent", {"id": review.id, "url": payload["url"]}, namespace="/mod", to="mod")
        db.session.add(Alert(kind="imminent_item", channel="socket", review_id=review.id, recipient="mod",
                             created_at=clock.utcnow()))
    elif new and payload["unscreened"]:
        emit_after_commit("imminent", {"id": review.id, "url": payload["url"], "unscreened": True},
                          namespace="/mod", to="mod")
        db.session.add(Alert(kind="unscreened_item", channel="socket", review_id=review.id, recipient="mod",
                             created_at=clock.utcnow()))
    # Counters are computed once per transaction, at emit time (after the
    # commit, so they include this change), after the item events.
    def send_counters() -> None:
        data = counters()
        socketio.emit("counters", data, namespace="/mod", to="mod")
        socketio.emit("counters", data, namespace="/staff", to="staff")

    call_after_commit(send_counters, late=True, key="review_counters")


# History rows whose actor is the moderator or staff member who acted. Every
# other kind may record a member (a report, or the reopening a report caused),
# and reporters are never shown to moderators, so those show no actor.
MODERATOR_EVENTS = frozenset({*ACTION_LABELS, "claimed", "released", "hidden", "case_opened", "conversation_opened",
                              *(f"case_{a}" for a in CASE_ACTIONS)})


def event_actor(event: ReviewEvent, viewer: Any) -> str | None:
    """Who to name for a history row, as ``viewer`` may see it; None = name no one."""
    if event.actor_id is None:
        return "the system"
    if getattr(viewer, "is_staff", False) or event.action in MODERATOR_EVENTS:
        return event.actor.handle if event.actor else None
    return None


def add_history(review: Review, actor: Any, action: str, note: str | None = None, **data: Any) -> ReviewEvent:
    """A history row on an item (also from other areas, e.g. a conversation opened about it)."""
    event = ReviewEvent(review_id=review.id, actor_id=getattr(actor, "id", None), action=action, note=note,
                        data=data, created_at=clock.utcnow())
    db.session.add(event)
    return event


def pipeline_reasons(verdict: Verdict) -> list[dict[str, Any]]:
    reasons = [{"source": ReasonSource.PIPELINE, "code": r.code, "start": r.start, "end": r.end,
                "excerpt": r.excerpt, "explanation": r.explanation} for r in verdict.reasons]
    covered = {r.code for r in verdict.reasons}
    reasons += [{"source": ReasonSource.PIPELINE, "code": c, "explanation": None}
                for c in sorted(verdict.categories) if c not in covered]
    return reasons


def pipeline_reasons_from_row(target: Any) -> list[dict[str, Any]]:
    stored = target.verdict or {}
    reasons = [{"source": ReasonSource.PIPELINE, **{k: r.get(k) for k in ("code", "start", "end", "excerpt", "explanation")}}
               for r in stored.get("reasons", [])]
    covered = {r["code"] for r in reasons}
    reasons += [{"source": ReasonSource.PIPELINE, "code": c, "explanation": None}
                for c in (target.verdict_categories or []) if c not in covered]
    return reasons


def merge_reasons(existing: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pipeline reasons are replaced (they describe the current text); flags and system reasons accumulate."""
    if any(r["source"] == ReasonSource.PIPELINE for r in new):
        existing = [r for r in existing if r["source"] != ReasonSource.PIPELINE]
    keys = {(r["source"], r["code"]) for r in existing if r["source"] != ReasonSource.PIPELINE}
    merged = list(existing)
    for r in new:
        if r["source"] == ReasonSource.PIPELINE or (r["source"], r["code"]) not in keys:
            merged.append(r)
    return merged


def get_or_create_review(target_type: str, target: Any, board_id: int | None) -> tuple[Review, bool]:
    review = db.session.scalar(select(Review).where(Review.target_type == target_type,
                                                    Review.target_id == target.id))
    if review is not None:
        return review, False
    now = clock.utcnow()
    review = Review(target_type=target_type, target_id=target.id, subject_user_id=target.author_id,
                    board_id=board_id, status=ReviewStatus.PENDING, risk="none", reasons=[], created_at=now,
                    updated_at=now, priority=0, tier_raises=0)
    # A savepoint: two flags racing to create the same item end in one row.
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        review = db.session.scalar(select(Review).where(Review.target_type == target_type,
                                                        Review.target_id == target.id))
        return review, False
    return review, True


def open_or_reopen(review: Review, created: bool, actor: Any, action: str, note: str | None = None) -> None:
    now = clock.utcnow()
    if created or review.status not in OPEN_STATUSES:
        if not created:
            add_history(review, actor, "reopened", note)
        review.status = ReviewStatus.PENDING
        review.resolved_at = None
        review.tier_raises = 0
        recompute_priority(review)
        review.due_at = (review.created_at if created else now) + sla_for(review_tier(review))
        schedule_check(review.due_at)
    review.updated_at = now
    add_history(review, actor, action, note)

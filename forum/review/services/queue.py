"""The queue as moderators read it: order, overdue items, an author's
history (never through anonymity), and the periodic sync of live pages."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as sa_case
from sqlalchemy.orm import selectinload

from forum.extensions import db
from forum.models import CaseStatus, Escalation, Review, Sanction
from forum.models import base as clock
from forum.review.services.claims import claimed_by_other
from forum.review.services.common import GRAPHIC_CATEGORIES, OPEN_STATUSES
from forum.review.services.items import item_event
from forum.review.services.targets import get_target


def queue(*, status: str = "open", board_id: int | None = None, reason: str | None = None,
          limit: int = 200) -> list[Review]:
    """Items sorted by priority (tier first) then age."""
    stmt = select(Review)
    if status == "open":
        stmt = stmt.where(Review.status.in_(OPEN_STATUSES))
    elif status:
        stmt = stmt.where(Review.status == status)
    if board_id:
        stmt = stmt.where(Review.board_id == board_id)
    # The claimer is shown on every row: load them with the page, not one query per row.
    stmt = stmt.options(selectinload(Review.claimed_by))
    # Overdue items (their own deadline, or their crisis case's) come first.
    now = clock.utcnow()
    overdue = or_(Review.due_at <= now, Review.id.in_(
        select(Escalation.review_id).where(Escalation.status == CaseStatus.OPEN, Escalation.due_at <= now)))
    open_now = Review.status.in_(OPEN_STATUSES)
    stmt = stmt.order_by(sa_case((and_(open_now, overdue), 0), else_=1), Review.priority.desc(),
                         Review.created_at.asc())
    items = db.session.scalars(stmt.limit(limit * 3 if reason else limit)).all()
    if reason:
        items = [r for r in items if any(x["code"] == reason for x in r.reasons)][:limit]
    return list(items)


def next_item(current: Review | None, actor: Any) -> Review | None:
    """The item to go to after this one: the first open item in the queue's own
    priority order that is not this one and not claimed by someone else."""
    for item in queue(status="open", limit=50):
        if (current is None or item.id != current.id) and not claimed_by_other(item, actor):
            return item
    return None


def overdue_since(items: list[Review], now: datetime | None = None) -> dict[int, datetime]:
    """Open items past a deadline: their own, or their open crisis case's (the earlier)."""
    now = now or clock.utcnow()
    ids = [r.id for r in items if r.status in OPEN_STATUSES]
    cases = dict(db.session.execute(
        select(Escalation.review_id, func.min(Escalation.due_at))
        .where(Escalation.review_id.in_(ids), Escalation.status == CaseStatus.OPEN, Escalation.due_at <= now)
        .group_by(Escalation.review_id)).all()) if ids else {}
    out: dict[int, datetime] = {}
    for r in items:
        if r.status not in OPEN_STATUSES:
            continue
        times = [t for t in (r.due_at if r.due_at and r.due_at <= now else None, cases.get(r.id)) if t]
        if times:
            out[r.id] = min(times)
    return out


def author_history(review: Review, viewer: Any, *, include_anonymous: bool = False) -> dict[str, Any] | None:
    """Earlier items and sanctions of the author; None when the item itself is anonymous.

    Only staff link an anonymous item to its account, and only through the
    audited reveal (forum.staff.reveal), which alone passes
    ``include_anonymous=True``. Otherwise nothing done on an anonymous item
    (the item, its sanctions and their notes and dates) is listed, or the
    named account's history would show who wrote it.
    """
    target = get_target(review.target_type, review.target_id)
    if target is None or review.subject_user_id is None:
        return None
    if target.is_anonymous and not include_anonymous:
        return None
    earlier = db.session.scalars(
        select(Review).where(Review.subject_user_id == review.subject_user_id, Review.id != review.id)
        .order_by(Review.created_at.desc()).limit(30)).all()
    items = [r for r in earlier if include_anonymous or not _on_anonymous(r)]
    sanctions = db.session.scalars(select(Sanction).where(Sanction.user_id == review.subject_user_id)
                                   .order_by(Sanction.created_at.desc())).all()
    if not include_anonymous:
        sanctions = [s for s in sanctions if s.review_id is None
                     or not _on_anonymous(db.session.get(Review, s.review_id))]
    return {"items": items[:10], "sanctions": list(sanctions)}


def _on_anonymous(review: Review | None) -> bool:
    """Whether a review item is about anonymous content; a vanished target counts as anonymous (fail closed)."""
    if review is None:
        return True
    target = get_target(review.target_type, review.target_id)
    return target is None or bool(target.is_anonymous)


def is_sensitive(review: Review) -> bool:
    """Crisis or graphic: blurred until the moderator chooses to look."""
    codes = {r["code"] for r in review.reasons}
    return review.risk in ("high", "imminent") or bool(codes & GRAPHIC_CATEGORIES) or "methods" in codes


# A live event emitted on one process reaches pages on another only through
# Redis; while Redis is down it is lost and nothing tells the page. The queue
# page and the staff dashboard therefore ask every few seconds for the open
# rows newer than the page that they do not show.
SYNC_ROWS = 50
SYNC_SHOWN = 500


def latest_review_id() -> int:
    return db.session.scalar(select(func.max(Review.id))) or 0


def latest_case_id() -> int:
    return db.session.scalar(select(func.max(Escalation.id))) or 0


def _shown(shown: Any) -> list[int]:
    if not isinstance(shown, list):
        return []
    return [i for i in shown[:SYNC_SHOWN] if isinstance(i, int) and not isinstance(i, bool)]


def missing_open_items(after: int, shown: Any) -> list[dict[str, Any]]:
    """Open items created after the page was drawn that it does not show, as live rows."""
    stmt = select(Review).where(Review.status.in_(OPEN_STATUSES), Review.id > after)
    if ids := _shown(shown):
        stmt = stmt.where(Review.id.not_in(ids))
    rows = db.session.scalars(stmt.options(selectinload(Review.claimed_by)).order_by(Review.id)
                              .limit(SYNC_ROWS)).all()
    return [{**item_event(r), "new": True} for r in rows]


def missing_open_cases(after: int, shown: Any) -> list[dict[str, Any]]:
    """Unresolved cases opened after the dashboard was drawn that it does not show."""
    stmt = select(Escalation).where(Escalation.status != CaseStatus.RESOLVED, Escalation.id > after)
    if ids := _shown(shown):
        stmt = stmt.where(Escalation.id.not_in(ids))
    rows = db.session.scalars(stmt.order_by(Escalation.id).limit(SYNC_ROWS)).all()
    return [{"id": c.id, "status": c.status, "risk": c.risk, "new": True} for c in rows]

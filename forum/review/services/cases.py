"""Crisis cases (escalations): opened from an item, worked by staff."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from forum import audit, outbox
from forum.after_commit import emit_after_commit
from forum.errors import InvalidInput, NotAllowed, StaleItem
from forum.extensions import db
from forum.models import CaseStatus, Escalation, Review
from forum.models import base as clock
from forum.review.services.common import CASE_ACTIONS, CASE_FIELDS
from forum.review.services.items import add_history
from forum.review.services.priority import case_sla, schedule_check
from moderation.verdict import RISK_RANK


def open_case(review: Review, *, risk: str, opened_by: Any = None, notes: str | None = None) -> Escalation:
    """Open a crisis case (or reuse the open one) and queue its alerts durably."""
    case = db.session.scalar(select(Escalation).where(Escalation.review_id == review.id,
                                                      Escalation.status != CaseStatus.RESOLVED))
    if case is not None:
        if notes:
            case.notes = "\n\n".join(filter(None, [case.notes, notes]))
        if RISK_RANK.get(risk, 0) > RISK_RANK.get(case.risk, 0):
            case.risk = risk
        return case
    now = clock.utcnow()
    case = Escalation(review_id=review.id, target_type=review.target_type, target_id=review.target_id,
                      subject_user_id=review.subject_user_id, risk=risk, status=CaseStatus.OPEN,
                      opened_by_id=getattr(opened_by, "id", None), due_at=now + case_sla(risk),
                      notes=notes, created_at=now, realert_count=0)
    db.session.add(case)
    db.session.flush()
    schedule_check(case.due_at)
    # Same transaction as the case: if the process dies after the commit,
    # the relay still finds this row and alerts staff (see forum.outbox).
    outbox.add("escalation.opened", escalation_id=case.id)
    emit_after_commit("case", {"id": case.id, "status": case.status, "risk": case.risk, "new": True},
                      namespace="/staff", to="staff")
    add_history(review, opened_by, "case_opened", notes, escalation_id=case.id)
    return case


def update_case(case: Escalation, action: str, actor: Any, version: int | None, *,
                form: dict[str, str] | None = None, outcome: str | None = None,
                follow_up_at: datetime | None = None) -> Escalation:
    """Staff work a crisis case: acknowledge, start, save the risk form, resolve."""
    if not getattr(actor, "is_staff", False):
        raise NotAllowed("Only staff can work crisis cases.")
    if action not in CASE_ACTIONS:
        raise InvalidInput("Unknown action.")
    if version is None or int(version) != case.version:
        raise StaleItem("Someone else has just updated this case. Here is the latest version.")
    if case.status == CaseStatus.RESOLVED and action != "save":
        raise InvalidInput("This case is already resolved.")
    now = clock.utcnow()
    form = form or {}
    for name in CASE_FIELDS:
        if name in form:
            setattr(case, name, (form[name] or "").strip() or None)
    if action in ("acknowledge", "start") and case.acknowledged_at is None:
        case.acknowledged_at = now
        case.acknowledged_by_id = actor.id
        case.status = CaseStatus.ACKNOWLEDGED
    if action == "start":
        case.status = CaseStatus.IN_PROGRESS
    if action == "resolve":
        if not (outcome or "").strip():
            raise InvalidInput("Please record the outcome before resolving the case.")
        case.outcome = outcome.strip()
        case.follow_up_at = follow_up_at
        case.status = CaseStatus.RESOLVED
        case.resolved_at = now
        if case.acknowledged_at is None:
            case.acknowledged_at, case.acknowledged_by_id = now, actor.id
    audit.record(actor, f"case.{action}", target_type="escalation", target_id=case.id,
                 status=case.status)
    if case.review_id:
        review = db.session.get(Review, case.review_id)
        add_history(review, actor, f"case_{action}", None, escalation_id=case.id)
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleItem("Someone else has just updated this case.") from exc
    emit_after_commit("case", {"id": case.id, "status": case.status, "risk": case.risk, "version": case.version},
                      namespace="/staff", to="staff")
    db.session.commit()
    return case

"""Staff reveal the account behind an anonymous post or chat message.

Anonymous content shows "Anonymous member" on every page, to staff as well.
The account is shown only in the answer to this one audited action: who,
when, which item and why. From an open crisis case about that item the
reveal is one click (the case is the reason); anywhere else staff write a
short reason first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from forum.errors import NotAllowed, InvalidInput, NotFound
from forum import audit
from forum.extensions import db
from forum.models import CaseStatus, Escalation, Review, User
from forum.review import services as review_services

MAX_REASON = 200
MIN_REASON = 5
KINDS = review_services.TARGET_TYPES


@dataclass(frozen=True)
class RevealRequest:
    target_type: str
    target_id: int
    reason: str | None = None
    case_id: int | None = None


@dataclass(frozen=True)
class Revealed:
    member: User
    target: Any
    review: Review | None
    history: dict[str, Any] | None
    case: Escalation | None


def find_target(target_type: str, target_id: int) -> Any:
    """The anonymous item, or NotFound (named items have nothing to reveal)."""
    target = review_services.get_target(target_type, target_id) if target_type in KINDS else None
    if target is None or not target.is_anonymous:
        raise NotFound("There is no anonymous post or message here.")
    return target


def open_case_for(target_type: str, target_id: int, case_id: int | None) -> Escalation | None:
    """The open crisis case ``case_id``, if it is about this very item."""
    if case_id is None:
        return None
    case = db.session.get(Escalation, case_id)
    if case is None or case.status == CaseStatus.RESOLVED or case.target_type != target_type or case.target_id != target_id:
        return None
    return case


def reveal(actor: Any, req: RevealRequest) -> Revealed:
    """Show staff the account behind an anonymous item; the audit row is committed first."""
    if not getattr(actor, "is_staff", False):
        raise NotAllowed("Only staff can see who posted anonymously.")
    target = find_target(req.target_type, req.target_id)
    case = open_case_for(req.target_type, req.target_id, req.case_id)
    reason = (req.reason or "").strip()
    if case is None:
        if len(reason) < MIN_REASON:
            raise InvalidInput("Please write a short reason for seeing who posted this (it goes in the audit log).")
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"Please keep the reason under {MAX_REASON} characters.")
    elif not reason:
        reason = f"Crisis case #{case.id}"
    # The row names the item, never the account: the audit log itself must
    # not link the two for staff who did not reveal.
    audit.record(actor, "anonymity.reveal", target_type=req.target_type, target_id=target.id,
                 reason=reason[:MAX_REASON], case_id=case.id if case else None)
    db.session.commit()
    review = db.session.scalar(select(Review).where(Review.target_type == req.target_type,
                                                    Review.target_id == target.id))
    history = review_services.author_history(review, actor, include_anonymous=True) if review else None
    return Revealed(member=db.session.get(User, target.author_id), target=target, review=review,
                    history=history, case=case)

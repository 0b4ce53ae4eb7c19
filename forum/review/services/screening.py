"""The screening hand-off: content the pipeline (or the second opinion)
says needs a human becomes a review item, inside the caller's transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from forum import outbox
from forum.extensions import db
from forum.links import external_url
from forum.models import ContentStatus, ReasonSource, Review, ReviewStatus
from forum.review.services.cases import open_case
from forum.review.services.common import AUTO_HIDDEN_NOTE, OPEN_STATUSES, REVIEWABLE_TYPES
from forum.review.services.items import add_history, announce, get_or_create_review, merge_reasons, \
    open_or_reopen, pipeline_reasons
from forum.review.services.priority import recompute_priority
from forum.review.services.targets import get_target, set_content_status, target_board_id
from forum.screening import screen_for
from moderation import Verdict
from moderation.verdict import RISK_RANK


def on_screened(target_type: str, target: Any, verdict: Verdict, *, board_id: int | None = None,
                action: str | None = None) -> Review | None:
    """Enqueue a review item if the (effective) action needs a human.

    Opens an escalation for imminent risk and writes outbox rows for alerts.
    Called inside the caller's transaction after the content row is flushed.
    No commit. Returns the review item, if any.
    """
    if target_type not in REVIEWABLE_TYPES:
        raise ValueError(f"unknown target type {target_type!r}")
    action = action or verdict.action
    if board_id is None and target_type == "post":
        board_id = target_board_id(target_type, target)
    existing = db.session.scalar(select(Review).where(Review.target_type == target_type,
                                                      Review.target_id == target.id))
    resubmitted = existing is not None and existing.status == ReviewStatus.REJECTED
    if resubmitted and target.status == ContentStatus.VISIBLE:
        # A moderator hid this; the author's edit goes back to a human, even
        # when the new text screens clean. Fail safe: held until reviewed.
        set_content_status(target_type, target, ContentStatus.HELD)
    needs_human = action in ("publish_flagged", "hold") or verdict.risk == "imminent" or resubmitted
    if not needs_human:
        if action == "publish":
            outbox.add("second_opinion", target_type=target_type, target_id=target.id)
        return None
    reasons = pipeline_reasons(verdict)
    if action == "hold" and verdict.action == "publish":
        reasons.append({"source": ReasonSource.SYSTEM, "code": "premoderation",
                        "explanation": "The board holds a new member's first posts for a moderator."})
    out_of_hours = action == "hold" and verdict.action == "publish_flagged"
    if out_of_hours:
        reasons.append({"source": ReasonSource.SYSTEM, "code": "out_of_hours",
                        "explanation": "Held because no moderator was online."})
    if resubmitted:
        reasons.append({"source": ReasonSource.SYSTEM, "code": "resubmitted",
                        "explanation": "The author revised content a moderator had hidden."})
    review, created = get_or_create_review(target_type, target, board_id)
    db.session.flush()
    review.reasons = merge_reasons(review.reasons, reasons)
    if RISK_RANK.get(verdict.risk, 0) > RISK_RANK.get(review.risk, 0) or created:
        review.risk = verdict.risk
    if board_id is not None:
        review.board_id = board_id
    was_open = review.status in OPEN_STATUSES
    open_or_reopen(review, created, None, "enqueued" if created else "rescreened")
    recompute_priority(review)
    if verdict.risk == "imminent":
        open_case(review, risk="imminent")
    if out_of_hours:
        outbox.add("oncall.notify", kind="out_of_hours_hold", review_id=review.id,
                   subject="Kindred: high-risk post held, no moderator online",
                   body=("A high-risk item was held because no moderator is online.\n"
                         f"{external_url('review.item', review_id=review.id)}\n"))
    announce(review, new=created or not was_open)
    return review


@outbox.handler("second_opinion")
def _second_opinion(payload: dict[str, Any]) -> None:
    run_second_opinion(payload["target_type"], payload["target_id"])


def run_second_opinion(target_type: str, target_id: int) -> None:
    """Job body: re-check published content with the slower model.

    A stricter verdict hides already-published content and queues it for a
    human. Runs in the job consumer (its own transaction).
    """
    target = get_target(target_type, target_id)
    if target is None or target.status != ContentStatus.VISIBLE:
        return
    verdict = Verdict(action=target.verdict_action, risk=target.verdict_risk,
                      categories=frozenset(target.verdict_categories or ()), html=target.body_html,
                      text=target.body_source)
    stricter = screen_for(target, target.body_source, recheck=verdict)
    if stricter is None or not stricter.needs_review:
        return
    set_content_status(target_type, target, ContentStatus.HIDDEN)
    target.moderator_note = AUTO_HIDDEN_NOTE
    review = on_screened(target_type, target, stricter, action="hold")
    if review is not None:
        review.reasons = merge_reasons(review.reasons, [{"source": ReasonSource.SYSTEM, "code": "second_opinion",
                                                          "explanation": "A second check found a concern."}])
        add_history(review, None, "second_opinion_hidden")
    db.session.commit()

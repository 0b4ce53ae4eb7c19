"""Missed deadlines (SLA): re-alert, notify on-call staff, raise a tier.

Run every minute by the job consumer (``forum.jobs.periodic_checks``); tests
call ``check(now=...)`` with a controlled clock.

- A review item still unclaimed at ``due_at``: every moderator online is
  re-alerted (Socket.IO), on-call staff are emailed and webhooked, and the
  item is raised to the next tier with a new, shorter-or-equal deadline.
- A crisis case not acknowledged by staff at ``due_at``: every staff member
  online is re-alerted and on-call staff notified again, every
  ``KINDRED_REALERT_SECONDS``, until someone acknowledges it. Its ``due_at``
  never moves, so the case keeps showing how long it has been overdue.
Each deadline is also scheduled as its own job at its exact time
(``services.schedule_check``): the minute tick alone made alerts up to a minute late.
Each alert is recorded (``Alert`` rows; email/webhook rows are written by
the outbox relay when it delivers).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from forum import outbox
from forum.after_commit import emit_after_commit
from forum.extensions import db
from forum.links import external_url
from forum.models import Alert, CaseStatus, Escalation, Presence, Review
from forum.models import base as clock
from forum.review import services

log = logging.getLogger(__name__)


def check(now: datetime | None = None) -> dict[str, int]:
    now = now or clock.utcnow()
    summary = {"claims_expired": expire_claims(now), "reviews_overdue": 0, "cases_overdue": 0}
    overdue = db.session.scalars(
        select(Review).where(Review.status.in_(services.OPEN_STATUSES), Review.due_at <= now)
        .order_by(Review.priority.desc())).all()
    for review in overdue:
        if review.claimed_by_id and review.claimed_until and review.claimed_until > now:
            continue  # someone has it in hand
        _review_missed(review, now)
        summary["reviews_overdue"] += 1
    cases = db.session.scalars(
        select(Escalation).where(Escalation.status == CaseStatus.OPEN, Escalation.due_at <= now)).all()
    for case in cases:
        if next_case_alert(case) > now:
            continue  # re-alerted recently; the next one is scheduled
        _case_missed(case, now)
        summary["cases_overdue"] += 1
    # Presence rows of processes that died without a disconnect are ignored
    # after the TTL anyway; drop them after a day so the table stays small.
    db.session.execute(delete(Presence).where(Presence.last_seen_at < now - timedelta(days=1)))
    db.session.commit()
    if summary["reviews_overdue"] or summary["cases_overdue"]:
        log.warning("deadlines missed: %s", summary)
    return summary


def expire_claims(now: datetime) -> int:
    expired = db.session.scalars(
        select(Review).where(Review.claimed_until.is_not(None), Review.claimed_until <= now)).all()
    for review in expired:
        review.claimed_by_id = None
        review.claimed_until = None
        review.updated_at = now
        services.add_history(review, None, "claim_expired")
        services.announce(review)
    return len(expired)


def _review_missed(review: Review, now: datetime) -> None:
    old_tier = services.review_tier(review)
    review.tier_raises += 1
    services.recompute_priority(review)
    new_tier = services.review_tier(review)
    review.due_at = now + services.sla_for(new_tier)
    services.schedule_check(review.due_at)
    review.updated_at = now
    services.add_history(review, None, "deadline_missed", None, from_tier=old_tier, to_tier=new_tier)
    db.session.add(Alert(kind="sla_missed", channel="socket", review_id=review.id, recipient="mod",
                         detail=f"{old_tier} -> {new_tier}", created_at=now))
    emit_after_commit("realert", {"id": review.id, "url": f"/review/{review.id}", "tier": new_tier,
                                  "risk": review.risk}, namespace="/mod", to="mod")
    services.announce(review)
    open_case = db.session.scalar(select(Escalation.id).where(Escalation.review_id == review.id,
                                                              Escalation.status != CaseStatus.RESOLVED))
    if open_case is not None:
        return  # staff are already being chased by the case's own deadline; don't double-page
    outbox.add("oncall.notify", kind="sla_missed", review_id=review.id,
               subject=f"Kindred: review item #{review.id} missed its deadline",
               body=(f"A {review.risk}-risk item was not picked up in time and has been raised to the "
                     f"'{new_tier}' tier.\n{external_url('review.item', review_id=review.id)}\n"))


def realert_interval() -> timedelta:
    return timedelta(seconds=current_app.config["KINDRED_REALERT_SECONDS"])


def next_case_alert(case: Escalation) -> datetime:
    """When an open case is next (re-)alerted: its deadline, then every interval."""
    return case.due_at + case.realert_count * realert_interval()


def _case_missed(case: Escalation, now: datetime) -> None:
    case.realert_count += 1
    services.schedule_check(next_case_alert(case))
    db.session.add(Alert(kind="case_unacknowledged", channel="socket", escalation_id=case.id,
                         review_id=case.review_id, recipient="staff",
                         detail=f"re-alert {case.realert_count}", created_at=now))
    emit_after_commit("realert", {"case": case.id, "url": f"/staff/cases/{case.id}", "risk": case.risk,
                                  "count": case.realert_count}, namespace="/staff", to="staff")
    # Staff who are also watching the moderator queue see it there too.
    emit_after_commit("realert", {"case": case.id, "url": f"/staff/cases/{case.id}", "risk": case.risk,
                                  "count": case.realert_count}, namespace="/mod", to="mod")
    outbox.add("oncall.notify", kind="case_unacknowledged", escalation_id=case.id, review_id=case.review_id,
               subject=f"Kindred: crisis case #{case.id} NOT acknowledged (re-alert {case.realert_count})",
               body=(f"A {case.risk}-risk crisis case has not been acknowledged by staff.\n"
                     f"{external_url('staff.case', case_id=case.id)}\n"))

"""Review-queue use cases: screening hand-off, flags, claims, actions, cases.

The forum core and chat call ``effective_action`` and ``on_screened``
inside their own transaction, right after persisting screened content;
``flag`` and ``hide_content`` are also called inside the caller's
transaction. None of those commit. The moderator/staff use cases
(``claim``, ``perform``, ``update_case`` ...) run one transaction each and
commit it, so the change, its history row and its audit row land together.

Every live event is queued with ``emit_after_commit``: a moderator is never
told about an item the database does not (yet) hold.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as sa_case
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from forum.errors import NotAllowed, InvalidInput, StaleItem
from forum import audit, outbox
from forum.after_commit import call_after_commit, emit_after_commit
from forum.content import set_post_status
from forum.extensions import db, socketio
from forum.screening import screen_for
from forum.links import external_url
from forum.models import (
    Alert, ChatMessage, ContentStatus, DebriefRequest, Escalation, Flag, MemberNotice, Post, PostRevision, Presence,
    ReasonSource, ResponseTemplate, Review, ReviewEvent, ReviewStatus, Role, Sanction, User,
)
from forum.models import CaseStatus, FlagStatus
from forum.models import base as clock
from moderation import Verdict
from moderation.verdict import RISK_RANK

# -- domain errors (views map them to HTTP codes) -------------------------------


# -- vocabulary -------------------------------------------------------------------

TARGET_TYPES = ("post", "chat_message")
# What the pipeline can put in the queue: member content, plus private
# messages to the moderation team (not reportable by members, so not above).
REVIEWABLE_TYPES = (*TARGET_TYPES, "support_message")
OPEN_STATUSES = (ReviewStatus.PENDING, ReviewStatus.ESCALATED)
FLAG_REASONS = {
    "worried": "I'm worried about this person",
    "unkind": "Unkind or abusive",
    "methods": "Shares methods or graphic detail",
    "spam": "Spam",
    "personal_details": "Shares personal details",
    "other": "Something else",
}

# Queue order (issue 4): imminent, harm encouragement, high, abuse, concern,
# other flags. Each tier owns a band of 200 so flags can raise an item within
# its tier (at most +190) without ever overtaking a more serious tier.
TIER_BASE = {"imminent": 1000, "harm_encouragement": 800, "high": 600, "abuse": 400, "concern": 200, "other": 0}
TIER_ORDER = ("other", "concern", "abuse", "high", "harm_encouragement", "imminent")
FLAG_BONUS, FLAG_BONUS_MAX = 20, 190
UNSCREENED = "screening_error"
# Flag reasons map onto the tier of the harm they describe.
FLAG_TIER = {"worried": "concern", "unkind": "abuse", "methods": "high", "personal_details": "abuse"}
ABUSE_CATEGORIES = {"toxicity", "severe_toxicity", "abuse", "insult", "threat", "harassment", "hate",
                    "identity_attack", "obscene", "sexual_explicit"}
THREAT_CATEGORIES = {"abuse.threat", "threat"}
# Content a moderator should not be shown unasked (blurred until clicked).
GRAPHIC_CATEGORIES = {"methods", "graphic", "harm_encouragement", "harm.encouragement", "crisis.method_detail",
                      "crisis.means"}

ACTION_LABELS = {
    "approve": "Approve and publish",
    "reject": "Keep hidden",
    "edit": "Edit with a reason",
    "content_warning": "Add a content warning",
    "message": "Message the member",
    "escalate": "Escalate to staff",
    "dismiss_flags": "Dismiss the flags",
    "warn": "Warn",
    "silence": "Silence for a time",
    "suspend": "Suspend (staff)",
    "restore": "Restore",
    "close": "Close the item",
}
STAFF_ONLY_ACTIONS = {"suspend"}
ACTION_PAST = {"approve": "approved", "reject": "hidden", "restore": "restored", "edit": "edited",
               "content_warning": "given a content warning", "dismiss_flags": "cleared of its flags"}
# Actions that would publish, hide or change content the author has deleted.
# A deleted item offers "close" instead.
CONTENT_ACTIONS = ("approve", "reject", "restore", "edit", "content_warning", "dismiss_flags")
SANCTION_ACTIONS = ("warn", "silence", "suspend")
DEFAULT_HIDDEN_NOTE = (
    "A moderator has hidden this post for now. Your words are saved: you can edit it, "
    "and it will be looked at again. If you're struggling, the 'Get help now' link lists people you can talk to."
)
AUTO_HIDDEN_NOTE = (
    "Some members asked us to look at this post, so it's hidden until a moderator has read it. "
    "Your words are saved, and nothing is decided yet."
)


def _now() -> datetime:
    # Read through the module so tests can patch forum.models.base.utcnow.
    return clock.utcnow()


def _cfg(name: str) -> Any:
    return current_app.config[name]


# -- targets ----------------------------------------------------------------------


def _models() -> dict[str, Any]:
    from forum.models import SupportMessage

    return {"post": Post, "chat_message": ChatMessage, "support_message": SupportMessage}


def get_target(target_type: str, target_id: int) -> Post | ChatMessage | None:
    model = _models().get(target_type)
    if model is None:
        return None
    return db.session.get(model, target_id)


def target_board_id(target_type: str, target: Any) -> int | None:
    if target_type == "post":
        return target.topic.board_id
    room = getattr(target, "room", None)
    return getattr(room, "board_id", None)


def target_url(review: Review) -> str | None:
    """Where the content lives, for links shown to its author (posts only)."""
    if review.target_type == "post":
        return f"/boards/post/{review.target_id}"
    return None


def set_content_status(target_type: str, target: Any, status: str) -> None:
    """Change a post's or message's status (no commit).

    Posts go through the forum core's ``set_post_status`` so topic status,
    board counters and the pre-moderation allowance stay right.
    """
    if target_type == "post":
        set_post_status(target, status)
    else:
        target.status = status


# -- tiers, priority, deadlines ---------------------------------------------------


def tier_of(risk: str, categories: list[str] | set[str], flag_codes: list[str] = ()) -> str:
    cats = set(categories)
    if risk == "imminent":
        return "imminent"
    if any("encourag" in c for c in cats):
        return "harm_encouragement"
    tiers = ["other"]
    # Unscreened text sorts with high risk: the pipeline could not rule risk out.
    if risk == "high" or UNSCREENED in cats:
        tiers.append("high")
    if cats & ABUSE_CATEGORIES or any(c.startswith("abuse.") for c in cats):
        tiers.append("abuse")
    if cats & THREAT_CATEGORIES:
        # A threat of violence may be carried out: it is read with the high
        # tier's deadline, not in the queue of insults.
        tiers.append("high")
    if risk == "concern":
        tiers.append("concern")
    tiers += [FLAG_TIER.get(code, "other") for code in flag_codes]
    return max(tiers, key=TIER_ORDER.index)


def _raised(tier: str, raises: int) -> str:
    return TIER_ORDER[min(len(TIER_ORDER) - 1, TIER_ORDER.index(tier) + raises)]


def review_tier(review: Review) -> str:
    cats = [r["code"] for r in review.reasons if r.get("source") == ReasonSource.PIPELINE]
    flags = [r["code"] for r in review.reasons if r.get("source") == ReasonSource.FLAG]
    return _raised(tier_of(review.risk, cats, flags), review.tier_raises)


def recompute_priority(review: Review) -> None:
    flag_count = sum(int(r.get("count", 1)) for r in review.reasons if r.get("source") == ReasonSource.FLAG)
    review.priority = TIER_BASE[review_tier(review)] + min(FLAG_BONUS_MAX, FLAG_BONUS * flag_count)


def sla_for(tier: str) -> timedelta:
    """How long an item may wait before a missed-deadline re-alert."""
    if tier == "imminent":
        return timedelta(seconds=_cfg("KINDRED_SLA_IMMINENT_SECONDS"))
    if tier in ("harm_encouragement", "high"):
        return timedelta(seconds=_cfg("KINDRED_SLA_HIGH_SECONDS"))
    return timedelta(seconds=_cfg("KINDRED_SLA_DEFAULT_SECONDS"))


def case_sla(risk: str) -> timedelta:
    # Every case is a person possibly at risk: staff acknowledge imminent
    # cases within the imminent deadline, and all others within the high one.
    key = "KINDRED_SLA_IMMINENT_SECONDS" if risk == "imminent" else "KINDRED_SLA_HIGH_SECONDS"
    return timedelta(seconds=_cfg(key))


def schedule_check(at: datetime) -> None:
    """Run the deadline check at ``at``, once this transaction commits."""
    def enqueue() -> None:
        from forum import jobs

        jobs.schedule_deadline_check(at)

    call_after_commit(enqueue, late=True)


# -- presence and out-of-hours mode ---------------------------------------------


def moderators_online(now: datetime | None = None) -> int:
    """Moderators (or above) with a fresh /mod or /staff socket (any moderator
    or staff page, or chat while moderating), across all processes."""
    now = now or _now()
    since = now - timedelta(seconds=_cfg("KINDRED_PRESENCE_TTL_SECONDS"))
    ranks = [r for r in Role.ALL if Role.RANK[r] >= Role.RANK[Role.MODERATOR]]
    return db.session.scalar(
        select(func.count(func.distinct(Presence.user_id)))
        .join(User, User.id == Presence.user_id)
        .where(Presence.namespace.in_(("/mod", "/staff")), Presence.last_seen_at >= since,
               User.role.in_(ranks))
    ) or 0


def effective_action(verdict: Verdict, *, kind: str) -> str:
    """The action to apply now, given moderator coverage.

    Out-of-hours mode: ``publish_flagged`` exists so a moderator looks soon
    after publication. With nobody online, a ``high``-risk item would sit
    published and unseen for hours, so it is held instead (and on-call staff
    are notified by ``on_screened``).
    """
    if verdict.action == "publish_flagged" and verdict.risk == "high" and not moderators_online():
        return "hold"
    return verdict.action


def record_presence(sid: str, user_id: int, namespace: str) -> None:
    now = _now()
    row = db.session.get(Presence, sid)
    if row is None:
        db.session.add(Presence(sid=sid, user_id=user_id, namespace=namespace, connected_at=now, last_seen_at=now))
    else:
        row.last_seen_at = now
    db.session.commit()


def drop_presence(sid: str) -> None:
    row = db.session.get(Presence, sid)
    if row is not None:
        db.session.delete(row)
        db.session.commit()


# -- live events ------------------------------------------------------------------


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



def _announce(review: Review, *, new: bool = False) -> None:
    db.session.flush()  # version and ids are final for this transaction
    payload = item_event(review)
    payload["new"] = new
    emit_after_commit("item", payload, namespace="/mod", to="mod")
    if new and review.risk == "imminent":
        emit_after_commit("imminent", {"id": review.id, "url": payload["url"]}, namespace="/mod", to="mod")
        db.session.add(Alert(kind="imminent_item", channel="socket", review_id=review.id, recipient="mod",
                             created_at=_now()))
    elif new and payload["unscreened"]:
        emit_after_commit("imminent", {"id": review.id, "url": payload["url"], "unscreened": True},
                          namespace="/mod", to="mod")
        db.session.add(Alert(kind="unscreened_item", channel="socket", review_id=review.id, recipient="mod",
                             created_at=_now()))
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
                              *(f"case_{a}" for a in ("acknowledge", "start", "save", "resolve"))})


def event_actor(event: ReviewEvent, viewer: Any) -> str | None:
    """Who to name for a history row, as ``viewer`` may see it; None = name no one."""
    if event.actor_id is None:
        return "the system"
    if getattr(viewer, "is_staff", False) or event.action in MODERATOR_EVENTS:
        return event.actor.handle if event.actor else None
    return None


def _history(review: Review, actor: Any, action: str, note: str | None = None, **data: Any) -> ReviewEvent:
    event = ReviewEvent(review_id=review.id, actor_id=getattr(actor, "id", None), action=action, note=note,
                        data=data, created_at=_now())
    db.session.add(event)
    return event


def add_history(review: Review, actor: Any, action: str, note: str | None = None, **data: Any) -> ReviewEvent:
    """A history row on an item from another area (e.g. a conversation opened about it)."""
    return _history(review, actor, action, note, **data)


# -- screening hand-off -------------------------------------------------------------


def _pipeline_reasons(verdict: Verdict) -> list[dict[str, Any]]:
    reasons = [{"source": ReasonSource.PIPELINE, "code": r.code, "start": r.start, "end": r.end,
                "excerpt": r.excerpt, "explanation": r.explanation} for r in verdict.reasons]
    covered = {r.code for r in verdict.reasons}
    reasons += [{"source": ReasonSource.PIPELINE, "code": c, "explanation": None}
                for c in sorted(verdict.categories) if c not in covered]
    return reasons


def _merge_reasons(existing: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pipeline reasons are replaced (they describe the current text); flags and system reasons accumulate."""
    if any(r["source"] == ReasonSource.PIPELINE for r in new):
        existing = [r for r in existing if r["source"] != ReasonSource.PIPELINE]
    keys = {(r["source"], r["code"]) for r in existing if r["source"] != ReasonSource.PIPELINE}
    merged = list(existing)
    for r in new:
        if r["source"] == ReasonSource.PIPELINE or (r["source"], r["code"]) not in keys:
            merged.append(r)
    return merged


def _get_or_create_review(target_type: str, target: Any, board_id: int | None) -> tuple[Review, bool]:
    review = db.session.scalar(select(Review).where(Review.target_type == target_type,
                                                    Review.target_id == target.id))
    if review is not None:
        return review, False
    now = _now()
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


def _open_or_reopen(review: Review, created: bool, actor: Any, action: str, note: str | None = None) -> None:
    now = _now()
    if created or review.status not in OPEN_STATUSES:
        if not created:
            _history(review, actor, "reopened", note)
        review.status = ReviewStatus.PENDING
        review.resolved_at = None
        review.tier_raises = 0
        recompute_priority(review)
        review.due_at = (review.created_at if created else now) + sla_for(review_tier(review))
        schedule_check(review.due_at)
    review.updated_at = now
    _history(review, actor, action, note)


def _open_case(review: Review, *, risk: str, opened_by: Any = None, notes: str | None = None) -> Escalation:
    """Open a crisis case (or reuse the open one) and queue its alerts durably."""
    case = db.session.scalar(select(Escalation).where(Escalation.review_id == review.id,
                                                      Escalation.status != CaseStatus.RESOLVED))
    if case is not None:
        if notes:
            case.notes = "\n\n".join(filter(None, [case.notes, notes]))
        if RISK_RANK.get(risk, 0) > RISK_RANK.get(case.risk, 0):
            case.risk = risk
        return case
    now = _now()
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
    _history(review, opened_by, "case_opened", notes, escalation_id=case.id)
    return case


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
    reasons = _pipeline_reasons(verdict)
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
    review, created = _get_or_create_review(target_type, target, board_id)
    db.session.flush()
    review.reasons = _merge_reasons(review.reasons, reasons)
    if RISK_RANK.get(verdict.risk, 0) > RISK_RANK.get(review.risk, 0) or created:
        review.risk = verdict.risk
    if board_id is not None:
        review.board_id = board_id
    was_open = review.status in OPEN_STATUSES
    _open_or_reopen(review, created, None, "enqueued" if created else "rescreened")
    recompute_priority(review)
    if verdict.risk == "imminent":
        _open_case(review, risk="imminent")
    if out_of_hours:
        outbox.add("oncall.notify", kind="out_of_hours_hold", review_id=review.id,
                   subject="Kindred: high-risk post held, no moderator online",
                   body=("A high-risk item was held because no moderator is online.\n"
                         f"{external_url('review.item', review_id=review.id)}\n"))
    _announce(review, new=created or not was_open)
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
        review.reasons = _merge_reasons(review.reasons, [{"source": ReasonSource.SYSTEM, "code": "second_opinion",
                                                          "explanation": "A second check found a concern."}])
        _history(review, None, "second_opinion_hidden")
    db.session.commit()


# -- member flags -----------------------------------------------------------------


def flag(target_type: str, target: Any, reporter: Any, reason: str, details: str | None = None) -> Review:
    """A member's report. No commit.

    De-duplicated per reporter; each distinct flag raises the item's
    priority; KINDRED_AUTO_HIDE_FLAGS distinct members hide the content
    until a moderator has looked.
    """
    if target_type not in TARGET_TYPES or target is None:
        raise InvalidInput("That can't be reported.")
    if reason not in FLAG_REASONS:
        raise InvalidInput("Please choose a reason.")
    details = (details or "").strip() or None
    if reason == "other" and not details:
        raise InvalidInput("Please tell us a little about what's wrong.")
    if details and len(details) > 1000:
        raise InvalidInput("Please keep the details under 1000 characters.")
    if target.author_id == reporter.id:
        raise InvalidInput("You can't report your own post. You can edit or delete it instead.")
    review, created = _get_or_create_review(target_type, target, target_board_id(target_type, target))
    db.session.flush()
    if db.session.scalar(select(Flag).where(Flag.review_id == review.id, Flag.reporter_id == reporter.id)):
        return review  # one flag per member per item: a repeat adds nothing
    try:
        with db.session.begin_nested():
            db.session.add(Flag(review_id=review.id, reporter_id=reporter.id, reason=reason, details=details,
                                status=FlagStatus.OPEN, created_at=_now()))
    except IntegrityError:
        return review
    if created:
        review.risk = target.verdict_risk or "none"
        review.reasons = _pipeline_reasons_from_row(target)
    open_flags = db.session.execute(
        select(Flag.reason, func.count()).where(Flag.review_id == review.id, Flag.status == FlagStatus.OPEN)
        .group_by(Flag.reason)).all()
    review.reasons = [r for r in review.reasons if r["source"] != ReasonSource.FLAG] + [
        {"source": ReasonSource.FLAG, "code": code, "count": n, "explanation": FLAG_REASONS[code]} for code, n in open_flags]
    was_open = review.status in OPEN_STATUSES
    _open_or_reopen(review, created, reporter, "flagged", note=None)
    # History keeps the reporter for staff; views never show it to the author.
    recompute_priority(review)
    distinct = _established_reporters(review)
    # A named moderator's or staff member's post (a helpline pointer, a
    # warning) is never hidden by member reports: it waits in the queue.
    by_staff = not target.is_anonymous and target.author is not None and target.author.is_moderator
    if distinct >= _cfg("KINDRED_AUTO_HIDE_FLAGS") and by_staff:
        review.reasons = _merge_reasons(review.reasons, [{
            "source": ReasonSource.SYSTEM, "code": "not_auto_hidden",
            "explanation": "Reported by several members; a moderator's or staff member's post is never "
                           "hidden automatically."}])
    elif distinct >= _cfg("KINDRED_AUTO_HIDE_FLAGS") and target.status == ContentStatus.VISIBLE:
        set_content_status(target_type, target, ContentStatus.HIDDEN)
        target.moderator_note = AUTO_HIDDEN_NOTE
        review.reasons = _merge_reasons(review.reasons, [{"source": ReasonSource.SYSTEM, "code": "auto_hidden",
                                                          "explanation": f"{distinct} members flagged it."}])
        _history(review, None, "auto_hidden", data_flags=distinct)
    _announce(review, new=created or not was_open)
    return review


def report(target_type: str, target_id: int, reporter: Any, reason: str, details: str | None = None) -> Review:
    """A member's report, committed; a busy database is retried (forum.dbretry)."""
    from forum.dbretry import retrying

    def write() -> Review:
        review = flag(target_type, get_target(target_type, target_id), reporter, reason, details)
        db.session.commit()
        return review

    return retrying(write)


def _established_reporters(review: Review) -> int:
    """Distinct open reporters whose reports may hide content: moderators and
    staff, and members whose account is old enough and has enough approved
    posts (KINDRED_AUTO_HIDE_MIN_ACCOUNT_DAYS / _MIN_POSTS). Fresh accounts
    cost nothing to make, so three of them must not be able to hide a post."""
    cutoff = _now() - timedelta(days=_cfg("KINDRED_AUTO_HIDE_MIN_ACCOUNT_DAYS"))
    established = (User.role != Role.MEMBER) | (
        (User.created_at <= cutoff) & (User.approved_post_count >= _cfg("KINDRED_AUTO_HIDE_MIN_POSTS")))
    return db.session.scalar(
        select(func.count(func.distinct(Flag.reporter_id))).join(User, User.id == Flag.reporter_id)
        .where(Flag.review_id == review.id, Flag.status == FlagStatus.OPEN, established)) or 0


def _pipeline_reasons_from_row(target: Any) -> list[dict[str, Any]]:
    stored = target.verdict or {}
    reasons = [{"source": ReasonSource.PIPELINE, **{k: r.get(k) for k in ("code", "start", "end", "excerpt", "explanation")}}
               for r in stored.get("reasons", [])]
    covered = {r["code"] for r in reasons}
    reasons += [{"source": ReasonSource.PIPELINE, "code": c, "explanation": None}
                for c in (target.verdict_categories or []) if c not in covered]
    return reasons


def hide_content(target_type: str, target: Any, actor: Any, note: str | None, **audit_data: Any) -> None:
    """Hide a post or chat message (moderator action): the one hide path. No commit.

    The author keeps their text and sees ``note`` (a post gets a kind
    default; a chat message may have none). An audit row and, when an item
    exists, a history row are written.
    """
    set_content_status(target_type, target, ContentStatus.HIDDEN)
    default = DEFAULT_HIDDEN_NOTE if target_type == "post" else None
    target.moderator_note = (note or "").strip()[:500] or default
    review = db.session.scalar(select(Review).where(Review.target_type == target_type,
                                                    Review.target_id == target.id))
    if review is not None:
        _history(review, actor, "hidden", note)
        review.updated_at = _now()
        _announce(review)
    audit.record(actor, "content.hidden", target_type=target_type, target_id=target.id, reason=note, **audit_data)


# -- claims -----------------------------------------------------------------------


def _check_version(review: Review, version: int | None) -> None:
    if version is None or int(version) != review.version:
        raise StaleItem("Someone else has just changed this item. Here is the latest version.")


def _flush_or_stale() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleItem("Someone else has just changed this item. Here is the latest version.") from exc


def claimed_by_other(review: Review, actor: Any, now: datetime | None = None) -> bool:
    now = now or _now()
    return bool(review.claimed_by_id and review.claimed_by_id != actor.id
                and review.claimed_until and review.claimed_until > now)


def claim(review: Review, actor: Any, version: int | None) -> Review:
    """Claim an item for KINDRED_CLAIM_SECONDS so two people don't handle it at once."""
    if not actor.is_moderator:
        raise NotAllowed("Only moderators can claim items.")
    _check_version(review, version)
    now = _now()
    if claimed_by_other(review, actor, now):
        raise StaleItem(f"{review.claimed_by.handle} is already looking at this item.")
    review.claimed_by_id = actor.id
    review.claimed_until = now + timedelta(seconds=_cfg("KINDRED_CLAIM_SECONDS"))
    review.updated_at = now
    _history(review, actor, "claimed")
    _flush_or_stale()
    db.session.refresh(review, ["claimed_by"])
    _announce(review)
    db.session.commit()
    return review


def release(review: Review, actor: Any, version: int | None) -> Review:
    _check_version(review, version)
    if review.claimed_by_id != actor.id and not actor.is_staff:
        raise NotAllowed("You can only release your own claim.")
    review.claimed_by_id = None
    review.claimed_until = None
    review.updated_at = _now()
    _history(review, actor, "released")
    _flush_or_stale()
    _announce(review)
    db.session.commit()
    return review


# -- actions ----------------------------------------------------------------------


def available_actions(review: Review, actor: Any) -> list[str]:
    """The actions ``actor`` may take on ``review`` right now (recomputed on every perform)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_moderator:
        return []
    if claimed_by_other(review, actor) and not actor.is_staff:
        return []
    target = get_target(review.target_type, review.target_id)
    if target is None:
        return []
    acts: list[str] = []
    if target.status == ContentStatus.DELETED:
        if review.status in OPEN_STATUSES:
            acts += ["close", "escalate"]
    elif review.target_type == "support_message":
        # A private message to or from the team: a moderator checks it and can
        # open a case; it is answered in the conversation, not sanctioned here.
        if review.status in OPEN_STATUSES:
            acts += ["approve", "escalate"]
        return acts
    elif review.status in OPEN_STATUSES:
        acts += ["approve", "reject"]
        if review.target_type == "post":
            acts += ["edit", "content_warning"]
        acts.append("escalate")
        if any(r["source"] == ReasonSource.FLAG for r in review.reasons):
            acts.append("dismiss_flags")
    elif target.status == ContentStatus.HIDDEN:
        acts.append("restore")
    acts += ["message", "warn", "silence"]
    if actor.is_staff:
        acts.append("suspend")
    return acts


@dataclass(frozen=True)
class ActionInput:
    """Parsed form input for ``perform`` (views build it; services validate)."""

    action: str
    version: int | None
    note: str | None = None
    author_note: str | None = None
    text: str | None = None
    content_warning: str | None = None
    message: str | None = None
    hours: int | None = None
    days: int | None = None
    risk: str | None = None


def perform(review: Review, action: str, actor: Any, version: int | None, note: str | None = None,
            **params: Any) -> Review:
    """``act`` with the input as keywords (jobs, the CLI and tests); an
    unknown keyword is a TypeError, not silently ignored."""
    return act(review, ActionInput(action=action, version=version, note=note, **params), actor)


def act(review: Review, data: ActionInput, actor: Any) -> Review:
    """Do one moderator/staff action on an item, in one transaction.

    Recomputes the actor's allowed actions, checks the version (StaleItem =
    HTTP 409), writes the change, a history row and an audit row, commits,
    and emits the live event after the commit.
    """
    action, version = data.action, data.version
    if action not in ACTION_LABELS:
        raise InvalidInput("Unknown action.")
    if not getattr(actor, "is_moderator", False):
        raise NotAllowed("Only moderators can do that.")
    # Version before availability: a moderator acting on an item someone
    # else just resolved is told "changed since you loaded it" (409).
    _check_version(review, version)
    target = get_target(review.target_type, review.target_id)
    if action in CONTENT_ACTIONS and (target is None or target.status == ContentStatus.DELETED):
        what = "post" if review.target_type == "post" else "message"
        raise StaleItem(f"The author has deleted this {what}, so it can't be {ACTION_PAST[action]}. "
                        "You can close the item instead.")
    allowed = available_actions(review, actor)
    if action not in allowed:
        if action in STAFF_ONLY_ACTIONS and not getattr(actor, "is_staff", False):
            raise NotAllowed("Only staff can do that.")
        if claimed_by_other(review, actor):
            raise StaleItem(f"{review.claimed_by.handle} is handling this item.")
        raise NotAllowed("That action isn't available for this item.")
    note = (data.note or "").strip() or None
    now = _now()
    done = _ACTIONS[action](review, target, actor, note, now, data) or {}
    if review.first_reviewed_at is None:
        review.first_reviewed_at = now
    review.updated_at = now
    _history(review, actor, action, note, **done)
    audit.record(actor, f"review.{action}", target_type=review.target_type, target_id=review.target_id,
                 reason=note, review_id=review.id, **done)
    _flush_or_stale()
    _announce(review)
    db.session.commit()
    return review


def _resolve(review: Review, status: str, now: datetime) -> None:
    review.status = status
    review.resolved_at = now
    review.claimed_by_id = None
    review.claimed_until = None


def _set_flags(review: Review, status: str) -> int:
    flags = db.session.scalars(select(Flag).where(Flag.review_id == review.id, Flag.status == FlagStatus.OPEN)).all()
    for f in flags:
        f.status = status
    return len(flags)


def _do_approve(review, target, actor, note, now, data: ActionInput):
    held_team_message = review.target_type == "support_message" and target.from_team \
        and target.status == ContentStatus.HELD
    was_held = target.status == ContentStatus.HELD
    set_content_status(review.target_type, target, ContentStatus.VISIBLE)
    if review.target_type == "post" and was_held:
        from forum.notify import services as notify

        notify.on_decision(target, "approved")
    if held_team_message:
        from forum.conversations import services as conversations

        conversations.after_approve(target)
    target.moderator_note = None
    dismissed = _set_flags(review, FlagStatus.DISMISSED)
    _resolve(review, ReviewStatus.APPROVED, now)
    return {"flags_dismissed": dismissed}


def _do_reject(review, target, actor, note, now, data: ActionInput):
    author_note = (data.author_note or "").strip() or DEFAULT_HIDDEN_NOTE
    set_content_status(review.target_type, target, ContentStatus.HIDDEN)
    target.moderator_note = author_note
    agreed = _set_flags(review, FlagStatus.AGREED)
    _resolve(review, ReviewStatus.REJECTED, now)
    _notice(target.author_id, "hidden", author_note, review, actor, link=target_url(review))
    if review.target_type == "post":
        from forum.notify import services as notify

        notify.on_decision(target, "kept_hidden", author_note)
    return {"flags_agreed": agreed}


def _do_restore(review, target, actor, note, now, data: ActionInput):
    set_content_status(review.target_type, target, ContentStatus.VISIBLE)
    target.moderator_note = None
    _resolve(review, ReviewStatus.APPROVED, now)
    return {}


def _do_close(review, target, actor, note, now, data: ActionInput):
    # The author deleted the content: nothing to publish or hide, only the
    # queue entry to settle. The content's own status is left alone.
    closed = _set_flags(review, FlagStatus.CLOSED)
    _resolve(review, ReviewStatus.CLOSED, now)
    return {"flags_closed": closed}


def _do_edit(review, target, actor, note, now, data: ActionInput):
    text = (data.text or "").strip()
    if not note:
        raise InvalidInput("Please give a reason for the edit; the author will see it.")
    if not text:
        raise InvalidInput("The edited text can't be empty.")
    verdict = screen_for(target, text, kind="edit")
    if verdict.action == "block":
        raise InvalidInput(verdict.error or "That text can't be published.")
    db.session.add(PostRevision(post_id=target.id, number=target.revision_count + 1,
                                body_source=target.body_source, body_html=target.body_html,
                                content_warning=target.content_warning, editor_id=actor.id, reason=note,
                                verdict=target.verdict, created_at=now))
    target.revision_count += 1
    target.body_source = verdict.text or text
    target.apply_verdict(verdict)
    target.edited_at = now
    review.reasons = _merge_reasons(review.reasons, _pipeline_reasons(verdict))
    return {"new_risk": verdict.risk, "new_action": verdict.action}


def _do_content_warning(review, target, actor, note, now, data: ActionInput):
    warning = (data.content_warning or "").strip()
    if not warning or len(warning) > 200:
        raise InvalidInput("Please write a short content warning (up to 200 characters).")
    target.content_warning = warning
    return {"content_warning": warning}


def _do_message(review, target, actor, note, now, data: ActionInput):
    body = (data.message or "").strip()
    if not body:
        raise InvalidInput("Please write the message (you can start from a template).")
    if len(body) > 4000:
        raise InvalidInput("Please keep the message under 4000 characters.")
    _notice(target.author_id, "message", body, review, actor, link=target_url(review))
    return {}


def _do_escalate(review, target, actor, note, now, data: ActionInput):
    risk = data.risk or ("imminent" if review.risk == "imminent" else "high")
    if risk not in ("concern", "high", "imminent"):
        raise InvalidInput("Please choose a risk level.")
    case = _open_case(review, risk=risk, opened_by=actor, notes=note)
    review.status = ReviewStatus.ESCALATED
    return {"escalation_id": case.id, "risk": risk}


def _do_dismiss_flags(review, target, actor, note, now, data: ActionInput):
    dismissed = _set_flags(review, FlagStatus.DISMISSED)
    review.reasons = [r for r in review.reasons if r["source"] != ReasonSource.FLAG and r["code"] != "auto_hidden"]
    if target.status == ContentStatus.HIDDEN and target.moderator_note == AUTO_HIDDEN_NOTE \
            and target.verdict_action in ("publish", "publish_flagged"):
        set_content_status(review.target_type, target, ContentStatus.VISIBLE)
        target.moderator_note = None
    if not any(r["source"] == ReasonSource.PIPELINE for r in review.reasons) and target.status == ContentStatus.VISIBLE:
        _resolve(review, ReviewStatus.IGNORED, now)
    recompute_priority(review)
    return {"flags_dismissed": dismissed}


def _sanction(kind, review, target, actor, note, now, data: ActionInput):
    if not note:
        raise InvalidInput("Please give a reason; the member will see it.")
    member = db.session.get(User, target.author_id)
    until = None
    if kind == "silence":
        hours = _bounded_int(data.hours, 1, 24 * 30, "Silence for between 1 hour and 30 days.")
        until = now + timedelta(hours=hours)
        member.silenced_until = max(filter(None, [member.silenced_until, until]))
    elif kind == "suspend":
        days = _bounded_int(data.days, 1, 365, "Suspend for between 1 and 365 days.")
        until = now + timedelta(days=days)
        member.suspended_until = max(filter(None, [member.suspended_until, until]))
        # A suspended account's open sessions and sockets end with the sanction.
        from forum.auth import sessions

        sessions.end_all(member, "suspended")
    db.session.add(Sanction(user_id=member.id, kind=kind, reason=note, until=until, review_id=review.id,
                            created_by_id=actor.id, created_at=now))
    words = {"warn": "This is a warning from the moderation team",
             "silence": "You can't post for a while", "suspend": "Your account is suspended for a while"}
    when = f" (until {until:%d %b %Y %H:%M} UTC)" if until else ""
    _notice(member.id, "sanction", f"{words[kind]}{when}. Reason: {note}", review, actor)
    # On anonymous content the audit row names the item, not the account:
    # the audit log must not link the two without a reveal.
    who = {"target_type": review.target_type, "target_id": review.target_id} if target.is_anonymous \
        else {"target_type": "user", "target_id": member.id}
    audit.record(actor, f"sanction.{kind}", **who, reason=note, until=until.isoformat() if until else None)
    return {"sanction": kind, "until": until.isoformat() if until else None}


def _bounded_int(value: Any, low: int, high: int, message: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(message) from None
    if not low <= n <= high:
        raise InvalidInput(message)
    return n


_ACTIONS = {
    "approve": _do_approve, "reject": _do_reject, "restore": _do_restore, "edit": _do_edit, "close": _do_close,
    "content_warning": _do_content_warning, "message": _do_message, "escalate": _do_escalate,
    "dismiss_flags": _do_dismiss_flags,
    "warn": lambda *a: _sanction("warn", *a), "silence": lambda *a: _sanction("silence", *a),
    "suspend": lambda *a: _sanction("suspend", *a),
}


def _notice(user_id: int, kind: str, body: str, review: Review | None, actor: Any, link: str | None = None) -> None:
    db.session.add(MemberNotice(user_id=user_id, kind=kind, body=body, link=link,
                                review_id=review.id if review else None,
                                created_by_id=getattr(actor, "id", None), created_at=_now()))


# -- escalation cases (staff) -----------------------------------------------------

CASE_ACTIONS = ("acknowledge", "start", "save", "resolve")
CASE_FIELDS = ("risk_plan", "risk_means", "risk_timeframe", "protective_factors", "notes")


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
    now = _now()
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
        _history(review, actor, f"case_{action}", None, escalation_id=case.id)
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleItem("Someone else has just updated this case.") from exc
    emit_after_commit("case", {"id": case.id, "status": case.status, "risk": case.risk, "version": case.version},
                      namespace="/staff", to="staff")
    db.session.commit()
    return case


# -- queue, history, wellbeing ----------------------------------------------------


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
    now = _now()
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


def shift_start(actor: Any) -> datetime:
    """When this moderator's shift began, kept on the account so the counter
    survives logging out and in again (and a new device)."""
    if actor.shift_started_at is None:
        actor.shift_started_at = _now()
        db.session.commit()
    return actor.shift_started_at


def start_shift(actor: Any) -> None:
    actor.shift_started_at = _now()
    db.session.commit()


def overdue_since(items: list[Review], now: datetime | None = None) -> dict[int, datetime]:
    """Open items past a deadline: their own, or their open crisis case's (the earlier)."""
    now = now or _now()
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


def targets_of(items: list[Review]) -> dict[int, Post | ChatMessage | None]:
    """Each item's content (with its author), one query per content type."""
    wanted: dict[str, list[int]] = {}
    for review in items:
        wanted.setdefault(review.target_type, []).append(review.target_id)
    found: dict[tuple[str, int], Any] = {}
    for target_type, ids in wanted.items():
        model = _models().get(target_type)
        if model is None:
            continue
        for row in db.session.scalars(select(model).where(model.id.in_(ids))).unique():
            found[(target_type, row.id)] = row
    return {review.id: found.get((review.target_type, review.target_id)) for review in items}


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
    req = DebriefRequest(user_id=actor.id, note=(note or "").strip()[:2000] or None, created_at=_now())
    db.session.add(req)
    db.session.flush()
    audit.record(actor, "debrief.requested", target_type="debrief", target_id=req.id)
    emit_after_commit("debrief", {"id": req.id}, namespace="/staff", to="staff")
    db.session.commit()
    return req


def mark_resources_read(actor: Any) -> None:
    actor.resources_read_at = _now()
    audit.record(actor, "resources.read", target_type="user", target_id=actor.id)
    db.session.commit()


TEMPLATES_FILE = Path(__file__).parent / "data" / "templates.json"


def response_templates() -> list[ResponseTemplate]:
    """The editable templates, seeded from the data file the first time."""
    rows = db.session.scalars(select(ResponseTemplate).order_by(ResponseTemplate.id)).all()
    if rows:
        return list(rows)
    for item in json.loads(TEMPLATES_FILE.read_text(encoding="utf-8")):
        db.session.add(ResponseTemplate(key=item["key"], title=item["title"], body=item["body"]))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return list(db.session.scalars(select(ResponseTemplate).order_by(ResponseTemplate.id)).all())


def save_template(template: ResponseTemplate, actor: Any, title: str, body: str) -> None:
    if not actor.is_moderator:
        raise NotAllowed("Only moderators can edit templates.")
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body or len(title) > 120 or len(body) > 4000:
        raise InvalidInput("A template needs a title (up to 120 characters) and a message.")
    template.title, template.body, template.updated_by_id = title, body, actor.id
    audit.record(actor, "template.updated", target_type="template", target_id=template.id)
    db.session.commit()


# -- periodic sync of the live pages --------------------------------------------------
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

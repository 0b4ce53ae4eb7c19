"""Moderator and staff actions on an item (Discourse's ``perform``), and the
one path that hides a post or chat message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from forum import audit
from forum.errors import InvalidInput, NotAllowed, StaleItem
from forum.extensions import db
from forum.models import ContentStatus, Flag, FlagStatus, MemberNotice, PostRevision, ReasonSource, Review, \
    ReviewStatus, Sanction, User
from forum.models import base as clock
from forum.review.services.cases import open_case
from forum.review.services.claims import check_version, claimed_by_other, flush_or_stale
from forum.review.services.common import ACTION_LABELS, ACTION_PAST, AUTO_HIDDEN_NOTE, CONTENT_ACTIONS, \
    DEFAULT_HIDDEN_NOTE, OPEN_STATUSES, STAFF_ONLY_ACTIONS
from forum.review.services.items import add_history, announce, merge_reasons, pipeline_reasons
from forum.review.services.priority import recompute_priority
from forum.review.services.targets import get_target, set_content_status, target_url
from forum.screening import screen_for

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
    check_version(review, version)
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
    now = clock.utcnow()
    done = _ACTIONS[action](review, target, actor, note, now, data) or {}
    if review.first_reviewed_at is None:
        review.first_reviewed_at = now
    review.updated_at = now
    add_history(review, actor, action, note, **done)
    audit.record(actor, f"review.{action}", target_type=review.target_type, target_id=review.target_id,
                 reason=note, review_id=review.id, **done)
    flush_or_stale()
    announce(review)
    db.session.commit()
    return review


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
        add_history(review, actor, "hidden", note)
        review.updated_at = clock.utcnow()
        announce(review)
    audit.record(actor, "content.hidden", target_type=target_type, target_id=target.id, reason=note, **audit_data)


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
    review.reasons = merge_reasons(review.reasons, pipeline_reasons(verdict))
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
    case = open_case(review, risk=risk, opened_by=actor, notes=note)
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
                                created_by_id=getattr(actor, "id", None), created_at=clock.utcnow()))

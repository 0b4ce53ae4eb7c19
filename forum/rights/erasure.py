"""Closing and erasing accounts: a grace period, then one job, with
safeguarding holds.

A member chooses "close, keep my posts" or "erase". Nothing changes for
``KINDRED_CLOSURE_GRACE_DAYS`` except that every session ends: logging in
again in that time cancels the request and restores everything. Then the
outbox row written with the request (available at the end of the grace
period) runs ``run()``:

- either way the account row is emptied (handle shown as "Former member",
  no email, settings, password hash, safety contact, sessions, notices,
  sanctions); its old handle stays reserved for
  ``KINDRED_HANDLE_QUARANTINE_DAYS`` so nobody can take it to pose as the
  member, then ``release_handles()`` frees it;
- "erase" also deletes what the member wrote (posts, titles, revisions,
  chat messages, reactions, reports), the review items and resolved cases
  about it, and rewrites other members' quotes of it to "Quote removed".
  Posts are stored as safe HTML rendered at write time, so the quote is
  rewritten in the stored source, HTML and verdict, never at read time.

Safeguarding hold: a crisis case about the member that is open, or
resolved with a follow-up date still ahead, keeps that case and the content
it is about until the case is resolved and its follow-up passes
(``finish_holds()``); everything else goes at once. The audit keeps only a
tombstone: which account asked, what, and when.
"""
from __future__ import annotations

import html
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from forum.content import refresh_board_counters, refresh_counters
from forum import audit, outbox
from forum.auth import sessions
from forum.auth.passwords import verify_password
from forum.errors import FieldErrors
from forum.extensions import db
from forum.models import (AccountClosure, Alert, AuditEvent, ChatMessage, ChatMute, ChatRoom, ChatSupport,
                          ClosureKind, ClosureStatus, ContentStatus, DataExport, DebriefRequest, Escalation,
                          Flag, MemberIgnore, MemberNotice, Notification, Post, PostRevision, PostSupport, Presence,
                          Review, ReviewEvent, Sanction, SupportConversation, Topic, TopicFollow, User, UserSession)
from forum.models import base as clock
from forum.models import CaseStatus
from forum.rights import hooks

FORMER_LABEL = "Former member"
REMOVED_TITLE = "Removed topic"
REMOVED_SOURCE = "> Quote removed."
REMOVED_HTML = "<blockquote>\n<p><em>Quote removed.</em></p>\n</blockquote>\n"
# A password hash no password matches (argon2 refuses it as malformed).
UNUSABLE_PASSWORD = "!closed"
CONTENT_TYPES = ("post", "chat_message", "topic")


# -- the member's request and its cancellation ----------------------------------------------------

def pending_for(user: User) -> AccountClosure | None:
    return db.session.scalar(select(AccountClosure).where(AccountClosure.user_id == user.id,
                                                          AccountClosure.status == ClosureStatus.PENDING))


def request_closure(user: User, kind: str, password: str) -> AccountClosure:
    """Start the grace period: end every session and schedule the closure job."""
    errors: dict[str, list[str]] = {}
    if kind not in ClosureKind.ALL:
        errors["kind"] = ["Please choose whether to keep your posts or erase them."]
    if not verify_password(user.password_hash, password or ""):
        errors["password"] = ["That isn't your password."]
    if errors:
        raise FieldErrors(errors)
    now = clock.utcnow()
    if (old := pending_for(user)) is not None:
        old.status = ClosureStatus.CANCELLED
    closure = AccountClosure(user_id=user.id, kind=kind, status=ClosureStatus.PENDING, requested_at=now,
                             due_at=now + timedelta(days=current_app.config["KINDRED_CLOSURE_GRACE_DAYS"]))
    db.session.add(closure)
    db.session.flush()
    audit.record(user, "account.closure_requested", target_type="user", target_id=user.id, kind=kind,
                 due_at=closure.due_at.isoformat())
    # The relay leaves the row until it is due; the retention pass is a safety net.
    outbox.add("rights.closure_due", closure_id=closure.id).available_at = closure.due_at
    sessions.end_all(user, "account_closed")
    db.session.commit()
    return closure


def cancel_on_login(user: User) -> AccountClosure | None:
    """Logging in during the grace period restores the account (no commit)."""
    closure = pending_for(user)
    if closure is not None:
        closure.status = ClosureStatus.CANCELLED
        audit.record(user, "account.closure_cancelled", target_type="user", target_id=user.id)
    return closure


# -- holds --------------------------------------------------------------------------------------------

def holding_cases(user_id: int, now: datetime) -> list[Escalation]:
    """Crisis cases about the member that keep their content: open, or with a follow-up ahead."""
    return list(db.session.scalars(select(Escalation).where(
        Escalation.subject_user_id == user_id,
        or_(Escalation.status != CaseStatus.RESOLVED, Escalation.follow_up_at > now)).order_by(Escalation.id)))


def hold_end(cases: list[Escalation]) -> datetime | None:
    """When the hold ends: the last follow-up date, or None while a case is still open."""
    if not cases or any(c.status != CaseStatus.RESOLVED for c in cases):
        return None
    return max(c.follow_up_at for c in cases if c.follow_up_at is not None)


def _held_targets(cases: list[Escalation]) -> set[tuple[str, int]]:
    return {(c.target_type, c.target_id) for c in cases}


# -- the job ------------------------------------------------------------------------------------------

def run(closure_id: int, now: datetime | None = None) -> bool:
    """Carry out a closure whose grace period is over; False if there is nothing to do.

    Idempotent: a cancelled or finished closure, or one not yet due, is left alone.
    """
    now = now or clock.utcnow()
    closure = db.session.get(AccountClosure, closure_id, with_for_update=True)
    if closure is None or closure.status != ClosureStatus.PENDING or closure.due_at > now:
        db.session.rollback()
        return False
    user = closure.user
    erase = closure.kind == ClosureKind.ERASE
    cases = holding_cases(user.id, now) if erase else []
    held = _held_targets(cases)
    old_handle = user.handle
    # Other areas first: their rows (private conversations) point at the
    # review items and cases that the erasure below deletes.
    for remove in hooks.REMOVERS:
        remove(user, erase, held)
    if erase:
        _erase_written(user, old_handle, held)
    else:
        _relabel_quotes(old_handle)
    _empty_account(user)
    closure.completed_at = now
    closure.handle_release_at = now + timedelta(days=current_app.config["KINDRED_HANDLE_QUARANTINE_DAYS"])
    closure.status = ClosureStatus.HELD if cases else ClosureStatus.DONE
    closure.hold_until = hold_end(cases)
    audit.record(None, "account.erased" if erase else "account.closed", target_type="user", target_id=user.id,
                 held_cases=len(cases))
    db.session.commit()
    return True


def run_due(now: datetime | None = None) -> int:
    """Every pending closure past its grace period (the safety net for the outbox row)."""
    now = now or clock.utcnow()
    ids = db.session.scalars(select(AccountClosure.id).where(AccountClosure.status == ClosureStatus.PENDING,
                                                             AccountClosure.due_at <= now)).all()
    return sum(run(i, now) for i in ids)


def finish_holds(now: datetime | None = None) -> int:
    """Complete erasures whose safeguarding hold has ended (idempotent)."""
    now = now or clock.utcnow()
    finished = 0
    for closure in db.session.scalars(select(AccountClosure).where(AccountClosure.status == ClosureStatus.HELD)).all():
        cases = holding_cases(closure.user_id, now)
        if cases:
            end = hold_end(cases)
            if closure.hold_until != end:
                closure.hold_until = end
                db.session.commit()
            continue
        for remove in hooks.REMOVERS:
            remove(closure.user, True, set())
        # The handle is gone by now: only replies to the held posts are found.
        _erase_written(closure.user, None, set())
        closure.status = ClosureStatus.DONE
        closure.hold_until = None
        audit.record(None, "account.erasure_completed", target_type="user", target_id=closure.user_id)
        db.session.commit()
        finished += 1
    return finished


def release_handles(now: datetime | None = None) -> int:
    """Free the handles of closed accounts whose quarantine is over (idempotent)."""
    now = now or clock.utcnow()
    released = 0
    for closure in db.session.scalars(select(AccountClosure).where(
            AccountClosure.status.in_((ClosureStatus.DONE, ClosureStatus.HELD)),
            AccountClosure.handle_release_at <= now, AccountClosure.handle_released_at.is_(None))).all():
        user = closure.user
        user.handle_key = f"~former-{user.id}"
        user.handle_skeleton = None
        closure.handle_released_at = now
        audit.record(None, "account.handle_released", target_type="user", target_id=user.id)
        released += 1
    db.session.commit()
    return released


# -- what goes either way -----------------------------------------------------------------------------

def _empty_account(user: User) -> None:
    uid = user.id
    user.handle = FORMER_LABEL
    user.email = None
    user.region = None
    user.password_hash = UNUSABLE_PASSWORD
    user.safety_contact_sealed = None
    user.safety_contact_consent_at = None
    user.health_consent_at = None
    user.health_consent_declined_at = None
    user.age_confirmed_at = None
    user.guidelines_accepted_at = None
    user.last_seen_at = None
    user.silenced_until = None
    user.suspended_until = None
    user.resources_read_at = None
    user.shift_started_at = None
    user.is_deactivated = True
    for model, column in ((UserSession, UserSession.user_id), (MemberNotice, MemberNotice.user_id),
                          (Sanction, Sanction.user_id), (ChatMute, ChatMute.user_id),
                          (Presence, Presence.user_id), (DebriefRequest, DebriefRequest.user_id),
                          (Notification, Notification.user_id), (TopicFollow, TopicFollow.user_id),
                          (MemberIgnore, MemberIgnore.user_id), (MemberIgnore, MemberIgnore.ignored_id)):
        db.session.execute(delete(model).where(column == uid))
    remove_exports(uid)
    # What the audit said about the account (break-glass reasons, sanctions,
    # reveals) goes; the rows stay as tombstones: action, time, ids.
    _tombstone_audit(or_(AuditEvent.actor_id == uid, (AuditEvent.target_type == "user") & (AuditEvent.target_id == uid)),
                     keep=("account.closure_requested",))


def remove_exports(user_id: int) -> None:
    for export in db.session.scalars(select(DataExport).where(DataExport.user_id == user_id)).all():
        if export.filename:
            (export_dir() / export.filename).unlink(missing_ok=True)
        db.session.delete(export)


def export_dir() -> Path:
    from config import private_dir

    return private_dir(Path(current_app.config["INSTANCE_DIR"]) / "exports")


def _tombstone_audit(condition: Any, keep: tuple[str, ...] = ()) -> None:
    stmt = update(AuditEvent).where(condition).values(reason=None, data={})
    if keep:
        stmt = stmt.where(AuditEvent.action.not_in(keep))
    db.session.execute(stmt.execution_options(synchronize_session=False))


# -- close: relabel others' quotes --------------------------------------------------------------------

def _attribution(label: str) -> tuple[str, str]:
    return f"{label} wrote:", f"<p>{html.escape(label, quote=False)} wrote:</p>"


def _quoting(label: str | None, extra_ids: set[int] | None = None) -> list[Post]:
    """Posts that quote ``label`` by name, or reply to one of ``extra_ids``."""
    conds = []
    if label:
        conds.append(Post.body_source.contains(f"{label} wrote:", autoescape=True))
    if extra_ids:
        conds.append(Post.reply_to_id.in_(extra_ids))
    return list(db.session.scalars(select(Post).where(or_(*conds)))) if conds else []


def _relabel_quotes(handle: str) -> None:
    src_old, html_old = _attribution(handle)
    src_new, html_new = _attribution(FORMER_LABEL)
    for post in _quoting(handle):
        for row in (post, *_revisions(post.id)):
            row.body_source = row.body_source.replace(src_old, src_new)
            row.body_html = row.body_html.replace(html_old, html_new)
            row.verdict = _replace_in(row.verdict, {src_old: src_new, html_old: html_new, handle: FORMER_LABEL})


def _revisions(post_id: int) -> list[PostRevision]:
    return list(db.session.scalars(select(PostRevision).where(PostRevision.post_id == post_id)))


def _replace_in(value: Any, replacements: dict[str, str]) -> Any:
    """``value`` (a verdict's JSON) with every string's fragments replaced."""
    if isinstance(value, str):
        for old, new in replacements.items():
            if old:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: _replace_in(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_in(v, replacements) for v in value]
    return value


# -- erase: quotes ------------------------------------------------------------------------------------

def _remove_quote_source(text: str, label: str | None, force_first: bool) -> tuple[str, list[str]]:
    """Replace the quote attributed to ``label`` (or, with ``force_first``
    and no attributed quote, the first quote) in Markdown source; returns
    the new text and the quoted lines that were removed."""
    lines = text.split("\n")
    out: list[str] = []
    removed: list[str] = []
    attribution = f"{label} wrote:" if label else None
    force_first = force_first and not (attribution and any(ln.strip() == attribution for ln in lines))

    def take_quote(i: int) -> int:
        while i < len(lines) and lines[i].lstrip().startswith(">"):
            removed.append(lines[i].lstrip()[1:].strip())
            i += 1
        out.append(REMOVED_SOURCE)
        return i

    i = 0
    while i < len(lines):
        line = lines[i]
        if attribution and line.strip() == attribution and i + 1 < len(lines) and lines[i + 1].lstrip().startswith(">"):
            out.append(f"{FORMER_LABEL} wrote:")
            i = take_quote(i + 1)
        elif force_first and line.lstrip().startswith(">") and line.strip() != REMOVED_SOURCE:
            i = take_quote(i)
            force_first = False
        else:
            out.append(line)
            i += 1
    return "\n".join(out), [r for r in removed if len(r) >= 3]


def _blockquote_end(text: str, start: int) -> int:
    """Index just past the ``</blockquote>`` closing the one opening at ``start``."""
    depth, pos = 0, start
    while True:
        nxt_open = text.find("<blockquote>", pos)
        nxt_close = text.find("</blockquote>", pos)
        if nxt_close < 0:
            return len(text)
        if 0 <= nxt_open < nxt_close:
            depth += 1
            pos = nxt_open + len("<blockquote>")
        else:
            depth -= 1
            pos = nxt_close + len("</blockquote>")
            if depth == 0:
                return pos + (1 if text[pos:pos + 1] == "\n" else 0)


def _remove_quote_html(text: str, label: str | None, force_first: bool) -> str:
    """The stored HTML with the same quote replaced (see ``_remove_quote_source``)."""
    former = _attribution(FORMER_LABEL)[1] + "\n" + REMOVED_HTML
    if label:
        attribution = _attribution(label)[1]
        pos = 0
        while (at := text.find(attribution, pos)) >= 0:
            q = text.find("<blockquote>", at)
            if q < 0:
                break
            text = text[:at] + former + text[_blockquote_end(text, q):]
            pos = at + len(former)
            force_first = False
    if force_first:
        q = text.find("<blockquote>")
        if q >= 0 and not text.startswith(REMOVED_HTML, q):
            text = text[:q] + REMOVED_HTML + text[_blockquote_end(text, q):]
    return text


def _remove_quotes(label: str | None, erased_ids: set[int], author_id: int) -> None:
    for post in _quoting(label, erased_ids):
        if post.author_id == author_id:
            continue
        force = post.reply_to_id in erased_ids
        for row in (post, *_revisions(post.id)):
            row.body_source, removed = _remove_quote_source(row.body_source, label, force)
            row.body_html = _remove_quote_html(row.body_html, label, force)
            fragments = {frag: "(removed)" for frag in removed}
            if label:
                fragments[label] = FORMER_LABEL
            row.verdict = _replace_in(row.verdict, fragments)
            if isinstance(row.verdict, dict):
                row.verdict = {**row.verdict, "text": row.body_source, "html": row.body_html}


# -- erase: what the member wrote ---------------------------------------------------------------------

def drop_reviews(target_type: str, ids: set[int]) -> None:
    """Review items and resolved cases about erased content, with their history."""
    if not ids:
        return
    review_ids = set(db.session.scalars(select(Review.id).where(Review.target_type == target_type,
                                                                Review.target_id.in_(ids))))
    case_ids = set(db.session.scalars(select(Escalation.id).where(
        or_((Escalation.target_type == target_type) & Escalation.target_id.in_(ids),
            Escalation.review_id.in_(review_ids) if review_ids else False))))
    drop_cases(case_ids)
    if review_ids:
        db.session.execute(update(SupportConversation).where(SupportConversation.review_id.in_(review_ids))
                           .values(review_id=None))
        db.session.execute(delete(ReviewEvent).where(ReviewEvent.review_id.in_(review_ids)))
        db.session.execute(delete(Flag).where(Flag.review_id.in_(review_ids)))
        db.session.execute(delete(Alert).where(Alert.review_id.in_(review_ids)))
        db.session.execute(update(Sanction).where(Sanction.review_id.in_(review_ids)).values(review_id=None))
        db.session.execute(update(MemberNotice).where(MemberNotice.review_id.in_(review_ids)).values(review_id=None))
        db.session.execute(delete(Review).where(Review.id.in_(review_ids)))
    _tombstone_audit((AuditEvent.target_type == target_type) & AuditEvent.target_id.in_(ids))


def drop_cases(case_ids: set[int]) -> None:
    if not case_ids:
        return
    db.session.execute(delete(Alert).where(Alert.escalation_id.in_(case_ids)))
    db.session.execute(update(SupportConversation).where(SupportConversation.escalation_id.in_(case_ids))
                       .values(escalation_id=None))
    _tombstone_audit((AuditEvent.target_type == "escalation") & AuditEvent.target_id.in_(case_ids))
    db.session.execute(delete(Escalation).where(Escalation.id.in_(case_ids)).execution_options(
        synchronize_session=False))


def _erase_written(user: User, label: str | None, held: set[tuple[str, int]]) -> None:

    uid = user.id
    db.session.flush()
    # -- posts and topics
    posts = [p for p in db.session.scalars(select(Post).where(Post.author_id == uid))
             if ("post", p.id) not in held and (p.body_source or p.status != ContentStatus.DELETED or p.verdict)]
    erased = {p.id for p in posts}
    _remove_quotes(label, erased, uid)
    drop_reviews("post", erased)
    if erased:
        # Others were told about these posts; the notices go with them.
        db.session.execute(delete(Notification).where(Notification.post_id.in_(erased)))
        db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(erased)))
        db.session.execute(delete(PostSupport).where(PostSupport.post_id.in_(erased)))
    topics = {p.topic_id for p in posts}
    for topic in db.session.scalars(select(Topic).where(Topic.id.in_(topics))).all() if topics else []:
        others = db.session.scalar(select(func.count(Post.id)).where(
            Post.topic_id == topic.id, or_(Post.author_id != uid, Post.id.not_in(erased)))) or 0
        if others == 0:
            # Nobody else wrote here: the whole topic goes.
            db.session.execute(update(Post).where(Post.topic_id == topic.id).values(reply_to_id=None))
            db.session.execute(delete(Post).where(Post.topic_id == topic.id))
            board = topic.board
            db.session.delete(topic)
            db.session.flush()
            refresh_board_counters(board)
            continue
        opener_kept = ("post", db.session.scalar(select(Post.id).where(Post.topic_id == topic.id, Post.number == 1))) in held
        if topic.author_id == uid and not opener_kept:
            topic.title = REMOVED_TITLE
            topic.title_verdict = {}
            topic.is_anonymous = False
    for post in posts:
        if db.session.get(Post, post.id) is None:
            continue
        # Others' replies keep their place in the thread, so the row stays as an
        # empty, deleted stub with no text, verdict or warning of the member's.
        post.body_source = ""
        post.body_html = ""
        post.verdict = {}
        post.verdict_categories = []
        post.verdict_risk = "none"
        post.content_warning = None
        post.moderator_note = None
        post.is_anonymous = False
        post.submission_key = None
        post.edit_key = None
        post.support_count = 0
        post.deleted_at = post.deleted_at or clock.utcnow()
        post.status = ContentStatus.DELETED
    for topic_id in topics:
        if (topic := db.session.get(Topic, topic_id)) is not None:
            refresh_counters(topic)
    _tombstone_audit((AuditEvent.target_type == "topic") & AuditEvent.target_id.in_(topics)) if topics else None
    # -- chat messages
    messages = set(db.session.scalars(select(ChatMessage.id).where(ChatMessage.author_id == uid)))
    messages -= {i for kind, i in held if kind == "chat_message"}
    if messages:
        drop_reviews("chat_message", messages)
        db.session.execute(delete(ChatSupport).where(ChatSupport.message_id.in_(messages)))
        db.session.execute(update(ChatMessage).where(ChatMessage.reply_to_id.in_(messages)).values(reply_to_id=None))
        db.session.execute(update(ChatRoom).where(ChatRoom.pinned_message_id.in_(messages))
                           .values(pinned_message_id=None))
        db.session.execute(delete(ChatMessage).where(ChatMessage.id.in_(messages)).execution_options(
            synchronize_session=False))
    # -- reactions and reports the member made
    for model, target_model, key in ((PostSupport, Post, "post_id"), (ChatSupport, ChatMessage, "message_id")):
        targets = db.session.scalars(select(getattr(model, key)).where(model.user_id == uid)).all()
        if targets:
            db.session.execute(update(target_model).where(target_model.id.in_(targets))
                               .values(support_count=func.greatest(target_model.support_count - 1, 0)
                                       if db.engine.dialect.name == "postgresql"
                                       else func.max(target_model.support_count - 1, 0)))
            db.session.execute(delete(model).where(model.user_id == uid))
    db.session.execute(delete(Flag).where(Flag.reporter_id == uid))
    # -- review items about the account itself, and cases no hold keeps
    drop_reviews("user", {uid})
    held_cases = {c.id for c in holding_cases(uid, clock.utcnow())} if held else set()
    free_cases = set(db.session.scalars(select(Escalation.id).where(Escalation.subject_user_id == uid))) - held_cases
    drop_cases(free_cases)
    db.session.expire_all()


# -- what staff and the member see ----------------------------------------------------------------------

def status_for_member(user: User) -> AccountClosure | None:
    """The member's pending request, for the account page."""
    return pending_for(user)


def queue(now: datetime | None = None) -> list[dict[str, Any]]:
    """The erasure queue: pending and held requests, soonest first."""
    now = now or clock.utcnow()
    rows = db.session.scalars(select(AccountClosure).where(
        AccountClosure.status.in_((ClosureStatus.PENDING, ClosureStatus.HELD)))
        .order_by(AccountClosure.due_at)).all()
    out = []
    for c in rows:
        cases = holding_cases(c.user_id, now) if c.kind == ClosureKind.ERASE else []
        out.append({"closure": c, "cases": cases, "hold_end": hold_end(cases) if cases else None})
    return out


@outbox.handler("rights.closure_due")
def _closure_due(payload: dict[str, Any]) -> None:
    run(payload["closure_id"])

"""Private support conversations: one member and the moderation team.

The small API other areas build on:
- ``open_from_review`` / ``open_from_case``: a moderator or staff member opens
  (or returns to) the conversation about an item or a case.
- ``start_by_member``: "Talk to a moderator".
- ``send``: a message from either side, screened like any other text.
- ``join``, ``close``, ``mark_read``.
- ``of_member`` / ``export_for_member``: a member's own conversations, in the
  member's view (the data-export issue uses this).
- ``MEMBER_NOTIFIERS``: called after commit for every message the member may
  now read; a notifications area can add its own callable here.

Anonymity follows the item: a conversation about an anonymous post shows the
team "Anonymous member" and nothing that leads to the account (no id, no
handle, no audit row naming it). Staff see the account only through the
existing audited reveal on the item.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from forum import audit, outbox
from forum.after_commit import call_after_commit
from forum.extensions import db, socketio
from forum.models import ContentStatus, Escalation, Review, SupportConversation, SupportMessage, SupportParticipant
from forum.models import User
from forum.models import base as clock
from forum.models import CaseStatus, ConversationStatus
from forum.review import services as review_services
from forum.errors import DomainError, InvalidInput, NotAllowed, NotFound
from forum.web import ANONYMOUS_LABEL

TEAM_LABEL = "Moderation team"
# The member's live notice and email say only this: never the message itself.
NOTICE_TEXT = "The moderation team has written to you."


@dataclass(frozen=True)
class Sent:
    message: SupportMessage
    conversation: SupportConversation
    signposting: dict[str, Any] | None


# -- who may see what -------------------------------------------------------------


def is_team(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_moderator)


def get_for_member(conversation_id: int, member: Any) -> SupportConversation:
    conv = db.session.get(SupportConversation, conversation_id)
    if conv is None or not getattr(member, "is_authenticated", False) or conv.member_id != member.id:
        raise NotFound("There is no conversation here.")
    return conv


def get_for_team(conversation_id: int, viewer: Any) -> SupportConversation:
    if not is_team(viewer):
        raise NotAllowed("Only the moderation team can see this.")
    conv = db.session.get(SupportConversation, conversation_id)
    if conv is None:
        raise NotFound("There is no conversation here.")
    return conv


def member_label(conv: SupportConversation) -> str:
    """How the team sees the member: the item's anonymity rule, for every role."""
    return ANONYMOUS_LABEL if conv.is_anonymous else conv.member.handle


def author_for_team(msg: SupportMessage) -> str:
    if msg.from_team:
        return msg.author.handle
    return ANONYMOUS_LABEL if msg.is_anonymous else msg.author.handle


def author_for_member(msg: SupportMessage) -> str:
    # Members never learn which moderator wrote (as with moderator notes).
    return TEAM_LABEL if msg.from_team else "You"


def messages(conv: SupportConversation, *, for_member: bool) -> list[SupportMessage]:
    """The messages a side may read, oldest first. The member does not see a
    team message that screening held back for a second moderator."""
    rows = db.session.scalars(select(SupportMessage).where(SupportMessage.conversation_id == conv.id)
                              .order_by(SupportMessage.id)).all()
    if for_member:
        rows = [m for m in rows if not m.from_team or m.status == ContentStatus.VISIBLE]
    return [m for m in rows if m.status != ContentStatus.DELETED]


def participants(conv: SupportConversation) -> list[SupportParticipant]:
    return list(db.session.scalars(select(SupportParticipant).where(SupportParticipant.conversation_id == conv.id)
                                   .order_by(SupportParticipant.joined_at)).all())


# -- opening ----------------------------------------------------------------------


def _add_participant(conv: SupportConversation, user: Any) -> bool:
    if db.session.get(SupportParticipant, (conv.id, user.id)) is not None:
        return False
    db.session.add(SupportParticipant(conversation_id=conv.id, user_id=user.id, joined_at=clock.utcnow()))
    return True


def _audit(actor: Any, action: str, conv: SupportConversation, **data: Any) -> None:
    # Names the conversation and the item, never the member's account: an
    # anonymous conversation must not be linked to it in the audit log either.
    audit.record(actor, f"conversation.{action}", target_type="support_conversation", target_id=conv.id,
                 review_id=conv.review_id, case_id=conv.escalation_id, **data)


def _open(actor: Any, review: Review | None, case: Escalation | None) -> SupportConversation:
    if not is_team(actor):
        raise NotAllowed("Only moderators and staff can open a private conversation.")
    item = review
    if item is None:
        raise InvalidInput("A conversation needs a review item or a crisis case to start from.")
    target = review_services.get_target(item.target_type, item.target_id)
    member_id = item.subject_user_id or getattr(target, "author_id", None)
    if member_id is None:
        raise InvalidInput("There is no member to talk to: the content has gone.")
    if isinstance(target, SupportMessage):
        # From a message inside a conversation: go back to that conversation.
        return target.conversation
    anonymous = bool(target is not None and target.is_anonymous)
    # One open conversation per item: a second moderator returns to it.
    query = select(SupportConversation).where(SupportConversation.status == ConversationStatus.OPEN,
                                              SupportConversation.member_id == member_id)
    if case is not None:
        query = query.where(or_(SupportConversation.escalation_id == case.id,
                                SupportConversation.review_id == item.id))
    else:
        query = query.where(SupportConversation.review_id == item.id)
    existing = db.session.scalar(query.order_by(SupportConversation.id))
    if existing is not None:
        if case is not None and existing.escalation_id is None:
            existing.escalation_id = case.id
        _add_participant(existing, actor)
        db.session.commit()
        return existing
    if case is None:
        case = db.session.scalar(select(Escalation).where(Escalation.review_id == item.id,
                                                          Escalation.status != CaseStatus.RESOLVED))
    now = clock.utcnow()
    conv = SupportConversation(member_id=member_id, is_anonymous=anonymous, review_id=item.id,
                               escalation_id=case.id if case else None, opened_by_id=actor.id, status=ConversationStatus.OPEN,
                               created_at=now)
    db.session.add(conv)
    db.session.flush()
    _add_participant(conv, actor)
    review_services.add_history(item, actor, "conversation_opened", conversation_id=conv.id)
    _audit(actor, "opened", conv)
    db.session.commit()
    return conv


def open_from_review(actor: Any, review: Review) -> SupportConversation:
    return _open(actor, review, None)


def open_from_chat_message(actor: Any, message_id: int) -> SupportConversation:
    """From a chat crisis alert: the conversation with the message's writer,
    linked to the message's review item (and case) when there is one."""
    from forum.models import ChatMessage

    if not is_team(actor):
        raise NotAllowed("Only moderators and staff can open a private conversation.")
    msg = db.session.get(ChatMessage, message_id)
    if msg is None:
        raise NotFound("That message is no longer available.")
    review = db.session.scalar(select(Review).where(Review.target_type == "chat_message",
                                                    Review.target_id == msg.id))
    if review is not None:
        return _open(actor, review, None)
    existing = db.session.scalar(select(SupportConversation).where(
        SupportConversation.status == ConversationStatus.OPEN, SupportConversation.member_id == msg.author_id,
        SupportConversation.review_id.is_(None), SupportConversation.is_anonymous == msg.is_anonymous,
        SupportConversation.opened_by_id.is_not(None)).order_by(SupportConversation.id.desc()))
    if existing is not None:
        _add_participant(existing, actor)
        db.session.commit()
        return existing
    conv = SupportConversation(member_id=msg.author_id, is_anonymous=msg.is_anonymous, opened_by_id=actor.id,
                               status=ConversationStatus.OPEN, created_at=clock.utcnow())
    db.session.add(conv)
    db.session.flush()
    _add_participant(conv, actor)
    _audit(actor, "opened", conv, chat_message_id=msg.id)
    db.session.commit()
    return conv


def open_from_case(actor: Any, case: Escalation) -> SupportConversation:
    if not getattr(actor, "is_staff", False):
        raise NotAllowed("Only staff can work crisis cases.")
    review = db.session.get(Review, case.review_id) if case.review_id else None
    return _open(actor, review, case)


def for_case(case: Escalation) -> SupportConversation | None:
    """The conversation shown in a case page's slot (the newest linked one)."""
    clauses = [SupportConversation.escalation_id == case.id]
    if case.review_id:
        clauses.append(SupportConversation.review_id == case.review_id)
    return db.session.scalar(select(SupportConversation).where(or_(*clauses))
                             .order_by(SupportConversation.id.desc()))


def for_review(review: Review) -> SupportConversation | None:
    return db.session.scalar(select(SupportConversation).where(SupportConversation.review_id == review.id)
                             .order_by(SupportConversation.id.desc()))


# -- messages ---------------------------------------------------------------------


def _check_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Please write a message.")
    limit = current_app.config["KINDRED_MAX_POST_CHARS"]
    if len(text) > limit:
        raise InvalidInput(f"Your message is {len(text):,} characters long; the limit is {limit:,}. "
                           "Please shorten it. Your text is kept below.")
    return text


def _screen(text: str, region: str | None):
    # kind="post", no board profile: a private message is read like a post
    # (same rules, same crisis tiers, same fail-safe verdict if screening breaks).
    from forum.screening import screen_for

    return screen_for(None, text, kind="post", region=region)


def _already_sent(conv: SupportConversation, author: Any, key: str | None) -> SupportMessage | None:
    if not key:
        return None
    return db.session.scalar(select(SupportMessage).where(SupportMessage.conversation_id == conv.id,
                                                          SupportMessage.author_id == author.id,
                                                          SupportMessage.submission_key == key))


def _team_is_crisis_only(verdict: Any) -> bool:
    """A team message that only trips the crisis rules is the team asking about
    safety ("are you thinking of ending your life?"), not a person at risk."""
    cats = set(verdict.categories)
    return bool(cats) and all(c.startswith("crisis") or c == "self_harm" for c in cats)


def send(conv: SupportConversation, author: Any, text: str | None, *, submission_key: str | None = None,
         region: str | None = None, screen: Callable[..., Any] | None = None) -> Sent:
    """One message from the member or the team, screened, stored, and (after
    the commit) announced to the other side."""
    team = is_team(author) and conv.member_id != author.id
    if not team and conv.member_id != getattr(author, "id", None):
        raise NotFound("There is no conversation here.")
    if conv.status != ConversationStatus.OPEN:
        raise InvalidInput("This conversation is closed. You can start a new one.")
    text = _check_text(text)
    if (done := _already_sent(conv, author, submission_key)) is not None:
        return Sent(done, conv, (done.verdict or {}).get("signposting") if not team else None)
    member = conv.member
    verdict = (screen or _screen)(text, region or member.region)
    if verdict.action == "block":
        raise InvalidInput("This message can't be sent as written: "
                           + "; ".join(r.explanation for r in verdict.reasons if r.explanation)[:300]
                           + ". Your text is kept below.")
    now = clock.utcnow()
    if team:
        action = verdict.action
        if action == "hold" and _team_is_crisis_only(verdict):
            action = "publish"
        status = ContentStatus.HELD if action == "hold" else ContentStatus.VISIBLE
    else:
        # The team is the audience and reads everything; "held" marks a message
        # that is also in the review queue.
        action = review_services.effective_action(verdict, kind="post")
        status = ContentStatus.VISIBLE if action in ("publish", "publish_flagged") else ContentStatus.HELD
    msg = SupportMessage(conversation_id=conv.id, author_id=author.id, from_team=team,
                         is_anonymous=conv.is_anonymous and not team, body_source=verdict.text or text,
                         status=status, created_at=now, submission_key=submission_key or None)
    msg.apply_verdict(verdict)
    db.session.add(msg)
    db.session.flush()
    conv.last_message_at = now
    if team:
        if status == ContentStatus.VISIBLE:  # a held message is not news to the member yet
            conv.last_team_message_at = now
        conv.team_read_at = now
        _add_participant(conv, author)
        if status == ContentStatus.HELD:
            review_services.on_screened("support_message", msg, verdict, action="hold")
        _audit(author, "message", conv, message_id=msg.id, held=status == ContentStatus.HELD)
    else:
        conv.last_member_message_at = now
        conv.member_read_at = now
        # The normal pipeline: a review item when a human should look, a crisis
        # case (and its alerts) for imminent risk, exactly as for a post.
        review_services.on_screened("support_message", msg, verdict, action=action)
        # No actor: the audit row must not carry the account of an anonymous member.
        _audit(None, "message", conv, message_id=msg.id, by="member", risk=verdict.risk)
    _announce(conv, msg)
    db.session.commit()
    signposting = None if team else (msg.verdict or {}).get("signposting")
    return Sent(msg, conv, signposting)


def start_by_member(member: Any, text: str | None, *, anonymous: bool = False,
                    submission_key: str | None = None, screen: Callable[..., Any] | None = None) -> Sent:
    """"Talk to a moderator": the member opens a conversation with a first message."""
    if not getattr(member, "is_authenticated", False):
        raise NotAllowed("Please log in first.")
    text = _check_text(text)
    if submission_key:
        done = db.session.scalar(select(SupportMessage).where(SupportMessage.author_id == member.id,
                                                              SupportMessage.submission_key == submission_key))
        if done is not None:
            return Sent(done, done.conversation, (done.verdict or {}).get("signposting"))
    now = clock.utcnow()
    conv = SupportConversation(member_id=member.id, is_anonymous=bool(anonymous), status=ConversationStatus.OPEN, created_at=now)
    db.session.add(conv)
    db.session.flush()
    _audit(None, "started", conv, by="member")
    return send(conv, member, text, submission_key=submission_key, screen=screen)


def join(conv: SupportConversation, actor: Any) -> bool:
    if not is_team(actor):
        raise NotAllowed("Only the moderation team can join.")
    added = _add_participant(conv, actor)
    if added:
        _audit(actor, "joined", conv)
        db.session.commit()
    return added


def close(conv: SupportConversation, actor: Any) -> None:
    if not (is_team(actor) or conv.member_id == getattr(actor, "id", None)):
        raise NotFound("There is no conversation here.")
    if conv.status == ConversationStatus.CLOSED:
        return
    conv.status = ConversationStatus.CLOSED
    conv.closed_at = clock.utcnow()
    _audit(actor if is_team(actor) else None, "closed", conv, by="team" if is_team(actor) else "member")
    db.session.commit()


def mark_read(conv: SupportConversation, viewer: Any) -> None:
    now = clock.utcnow()
    if conv.member_id == viewer.id:
        conv.member_read_at = now
    elif is_team(viewer):
        conv.team_read_at = now
    else:
        return
    db.session.commit()


# -- lists and counts -------------------------------------------------------------


def _member_unread_clause():
    return (SupportConversation.last_team_message_at.is_not(None)) & (
        SupportConversation.member_read_at.is_(None)
        | (SupportConversation.last_team_message_at > SupportConversation.member_read_at))


def unread_for_member(member: Any) -> int:
    if not getattr(member, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count()).select_from(SupportConversation).where(
        SupportConversation.member_id == member.id, _member_unread_clause())) or 0


def member_unread(conv: SupportConversation) -> bool:
    return conv.last_team_message_at is not None and (
        conv.member_read_at is None or conv.last_team_message_at > conv.member_read_at)


def team_unread(conv: SupportConversation) -> bool:
    return conv.last_member_message_at is not None and (
        conv.team_read_at is None or conv.last_member_message_at > conv.team_read_at)


def waiting_for_team() -> int:
    """Open conversations whose member has written since the team last read."""
    return db.session.scalar(select(func.count()).select_from(SupportConversation).where(
        SupportConversation.status == ConversationStatus.OPEN, SupportConversation.last_member_message_at.is_not(None),
        SupportConversation.team_read_at.is_(None)
        | (SupportConversation.last_member_message_at > SupportConversation.team_read_at))) or 0


def of_member(member: Any) -> list[SupportConversation]:
    return list(db.session.scalars(select(SupportConversation).where(SupportConversation.member_id == member.id)
                                   .order_by(SupportConversation.last_message_at.desc().nulls_last(),
                                             SupportConversation.id.desc())).all())


def team_list(status: str = "open") -> list[SupportConversation]:
    query = select(SupportConversation)
    if status in (ConversationStatus.OPEN, ConversationStatus.CLOSED):
        query = query.where(SupportConversation.status == status)
    return list(db.session.scalars(query.order_by(SupportConversation.last_message_at.desc().nulls_last(),
                                                  SupportConversation.id.desc()).limit(200)).all())


def export_for_member(member: Any) -> list[dict[str, Any]]:
    """A member's conversations as the member sees them (for a data export)."""
    out = []
    for conv in of_member(member):
        out.append({
            "id": conv.id, "status": conv.status, "started_at": conv.created_at.isoformat(),
            "started_by": "you" if conv.opened_by_id is None else "the moderation team",
            "anonymous": conv.is_anonymous,
            "messages": [{"from": author_for_member(m), "at": m.created_at.isoformat(), "text": m.body_source}
                         for m in messages(conv, for_member=True)],
        })
    return out


# -- telling the other side -------------------------------------------------------


def _notify_member_live(conv: SupportConversation, msg: SupportMessage) -> None:
    # Built now (the session can't query after the commit), sent after it.
    db.session.flush()
    payload = {"url": f"/conversations/{conv.id}", "text": NOTICE_TEXT, "unread": unread_for_member(conv.member)}
    room = member_room(conv.member_id)
    call_after_commit(lambda: socketio.emit("conversation", payload, namespace="/me", to=room))


def _notify_member_email(conv: SupportConversation, msg: SupportMessage) -> None:
    # Runs in the same transaction (an outbox row), so the email survives a crash.
    member = conv.member
    if member.email and member.email_team_messages:
        outbox.add("conversation.email", user_id=member.id, conversation_id=conv.id)


# Called for each team message the member can now read. Live notices run
# after the commit; the email is an outbox row written before it.
MEMBER_NOTIFIERS: list[Callable[[SupportConversation, SupportMessage], None]] = []


def member_room(user_id: int) -> str:
    return f"member:{user_id}"


def _announce(conv: SupportConversation, msg: SupportMessage) -> None:
    if msg.from_team:
        if msg.status != ContentStatus.VISIBLE:
            return
        _notify_member_email(conv, msg)
        for notify in MEMBER_NOTIFIERS:
            notify(conv, msg)
        _notify_member_live(conv, msg)
        return
    # The team hears that someone wrote, never what (nor, for anonymous ones, who).
    payload = {"id": conv.id, "url": f"/conversations/team/{conv.id}", "member": member_label(conv),
               "waiting": waiting_for_team()}
    call_after_commit(lambda: socketio.emit("conversation", payload, namespace="/mod", to="mod"))


def deliver_email(user_id: int, conversation_id: int) -> None:
    """Outbox job: tell the member by email that the team wrote. No content, no
    moderator name; the member opted in on their account page."""
    from forum.links import external_url

    member = db.session.get(User, user_id)
    if member is None or not member.email or not member.email_team_messages:
        return
    body = (f"{NOTICE_TEXT}\n\nYou can read it and reply after logging in:\n"
            f"{external_url('conversations.view', conversation_id=conversation_id)}\n\n"
            "You get this email because you asked for it on your account page.\n")
    outbox.send_email("Kindred: a message from the moderation team", body, [member.email])


def after_approve(msg: SupportMessage) -> None:
    """A held team message a second moderator approved now reaches the member."""
    conv = msg.conversation
    conv.last_team_message_at = clock.utcnow()
    _announce(conv, msg)

"""Chat use cases: one function per action, one transaction each.

Inputs are frozen dataclasses; failures raise ``ChatError`` carrying a code
the client can act on and a calm message for the member. Live events are
queued with ``emit_after_commit`` so nothing is announced that the
database does not hold, and a message is always persisted before it is
broadcast.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from forum import audit, reactions
from forum.chat import payloads, policy
from forum.chat.cache import RoomView
from forum.chat.cache import views as room_views
from forum.after_commit import emit_after_commit
from forum.extensions import db
from forum.screening import screen_for
from forum.models import Board, ChatMessage, ChatMute, ChatRoom, ChatSupport, ContentStatus, User, utcnow
from forum.review import services as review
from forum.review.sockets import ROOMS as MOD_ROOMS
from moderation.patterns import compile_linear, register_globals

log = logging.getLogger(__name__)

NAMESPACE = "/chat"
MOD_NAMESPACE = "/mod"
MODERATORS_ROOM = "moderators"
HISTORY_PAGE = 50
MAX_HISTORY_PAGE = 200
# How many shown ids a reconnecting client may ask about (chat.js sends its newest).
MAX_SHOWN_IDS = 500
MAX_MUTE_MINUTES = 7 * 24 * 60
MAX_SLOW_MODE_SECONDS = 600
_CLIENT_ID = compile_linear(r"^[A-Za-z0-9_-]{8,64}$")
RESERVED_SLUGS = frozenset({"rooms"})  # /chat/rooms/new
_SLUG = compile_linear(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ChatError(Exception):
    """A refused chat action. ``code`` is for the client, ``message`` for the member."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, "message": self.message, **self.extra}


# Refused at once because the process's writer has a backlog (forum.chat.writer);
# the client keeps the text and the client id, and sends again.
BUSY = ("busy", "The room is very busy right now. Your text is kept; please send it again in a moment.")


def room_key(room_id: int) -> str:
    return f"room:{room_id}"


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


# -- rooms ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoomInput:
    name: str
    slug: str
    description: str = ""
    guidelines: str = ""
    board_id: int | None = None
    access: str = "members"
    min_approved_posts: int = 0
    schedule: dict[str, Any] = field(default_factory=dict)


def _require(user: Any, check: Callable[[Any], bool], what: str) -> None:
    if not getattr(user, "is_authenticated", False) or not check(user):
        raise ChatError("forbidden", f"Only {what} can do that.")


def _validate_room(data: RoomInput, room_id: int | None) -> None:
    errors = {}
    if not data.name.strip():
        errors["name"] = "Give the room a name."
    if not _SLUG.match(data.slug or ""):
        errors["slug"] = "Use lower-case letters, numbers and single hyphens."
    elif data.slug in RESERVED_SLUGS:
        errors["slug"] = "That address is used by Kindred itself; choose another."
    elif db.session.scalar(select(ChatRoom.id).where(ChatRoom.slug == data.slug, ChatRoom.id != (room_id or 0))):
        errors["slug"] = "Another room already uses this address."
    if data.access not in policy.ACCESS_LEVELS:
        errors["access"] = "Choose open, members only or restricted."
    if data.min_approved_posts < 0:
        errors["min_approved_posts"] = "Use zero or more."
    if data.board_id is not None and db.session.get(Board, data.board_id) is None:
        errors["board_id"] = "That board does not exist."
    if errors:
        raise ChatError("invalid", "Please check the form.", fields=errors)


def create_room(actor: User, data: RoomInput) -> ChatRoom:
    _require(actor, lambda u: u.is_staff, "staff")
    _validate_room(data, None)
    room = ChatRoom(created_by_id=actor.id)
    _apply_room(room, data)
    db.session.add(room)
    db.session.flush()
    audit.record(actor, "chat.room_create", target_type="chat_room", target_id=room.id, slug=room.slug)
    db.session.commit()
    return room


def update_room(actor: User, room_id: int, data: RoomInput) -> ChatRoom:
    _require(actor, lambda u: u.is_staff, "staff")
    room = _room(room_id)
    _validate_room(data, room.id)
    _apply_room(room, data)
    audit.record(actor, "chat.room_update", target_type="chat_room", target_id=room.id, slug=room.slug)
    _announce_state(room)
    db.session.commit()
    return room


def _apply_room(room: ChatRoom, data: RoomInput) -> None:
    room.name = data.name.strip()
    room.slug = data.slug
    room.description = data.description.strip()
    room.guidelines = data.guidelines.strip()
    room.board_id = data.board_id
    room.access = data.access
    room.min_approved_posts = data.min_approved_posts if data.access == "restricted" else 0
    room.schedule = data.schedule


def _room(room_id: int) -> ChatRoom:
    room = db.session.get(ChatRoom, room_id) if isinstance(room_id, int) else None
    if room is None:
        raise ChatError("no_room", "That room no longer exists.")
    return room


def room_by_slug(slug: str) -> ChatRoom | None:
    return db.session.scalar(select(ChatRoom).where(ChatRoom.slug == slug))


def list_rooms() -> list[ChatRoom]:
    return list(db.session.scalars(select(ChatRoom).order_by(ChatRoom.name)))


def room_state(room: ChatRoom, now: datetime | None = None) -> dict[str, Any]:
    pinned = db.session.get(ChatMessage, room.pinned_message_id) if room.pinned_message_id else None
    return payloads.room_state(room, open_now=policy.is_open(room, now or utcnow()), pinned=pinned)


def _announce_state(room: ChatRoom) -> None:
    db.session.flush()
    emit_after_commit("room_state", room_state(room), namespace=NAMESPACE, to=room_key(room.id))


# -- entering and reading -------------------------------------------------------------------

def enter_room(viewer: Any, room_id: int) -> ChatRoom:
    """Check that ``viewer`` may read the room (raises ChatError otherwise)."""
    room = _room(room_id)
    reason = policy.read_denial(room, viewer)
    if reason:
        raise ChatError("forbidden", reason)
    return room


def _readable_by(query: Any, viewer: Any) -> Any:
    """Visible messages, and the viewer's own held or hidden ones."""
    viewer_id = viewer.id if getattr(viewer, "is_authenticated", False) else None
    if viewer_id is None:
        return query.where(ChatMessage.status == ContentStatus.VISIBLE)
    return query.where((ChatMessage.status == ContentStatus.VISIBLE)
                       | ((ChatMessage.author_id == viewer_id) & (ChatMessage.status != ContentStatus.DELETED)))


def history(room: ChatRoom, viewer: Any, *, before: int | None = None, after: int | None = None,
            limit: int = HISTORY_PAGE) -> dict[str, Any]:
    """A page of messages by id: the last ``limit`` before ``before``, or the
    first ``limit`` after ``after`` (catch-up after a reconnect).

    Others see visible messages only; the author also sees their own held
    or hidden ones, so nothing they wrote silently vanishes.
    """
    limit = max(1, min(int(limit), MAX_HISTORY_PAGE))
    query = _readable_by(select(ChatMessage).where(ChatMessage.room_id == room.id), viewer)
    if after is not None:
        rows = db.session.scalars(query.where(ChatMessage.id > after).order_by(ChatMessage.id).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
    else:
        if before is not None:
            query = query.where(ChatMessage.id < before)
        rows = db.session.scalars(query.order_by(ChatMessage.id.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = list(reversed(rows[:limit]))
    return {"messages": [payloads.message(m, viewer=viewer) for m in rows], "more": more}


SYNC_IDS = 500


def readable_ids(room: ChatRoom, viewer: Any, after: int) -> dict[str, Any]:
    """The ids ``viewer`` may read after ``after`` (the periodic sync): ids
    only, so a client can see which it lacks (a broadcast lost between
    processes) and fetch just those."""
    ids = list(db.session.scalars(_readable_by(
        select(ChatMessage.id).where(ChatMessage.room_id == room.id, ChatMessage.id > after), viewer)
        .order_by(ChatMessage.id).limit(SYNC_IDS + 1)))
    return {"ids": ids[:SYNC_IDS], "more": len(ids) > SYNC_IDS}


def no_longer_readable(room: ChatRoom, viewer: Any, shown: list[int]) -> list[int]:
    """Of the ids a reconnecting client shows, those ``viewer`` may not read
    now (hidden while it was away), so it drops them.

    The answer is worked out from what the viewer may read alone, never
    from other messages' status: a held or hidden message the client was
    never shown is indistinguishable from an id in another room.
    """
    if not shown:
        return []
    readable = set(db.session.scalars(_readable_by(
        select(ChatMessage.id).where(ChatMessage.room_id == room.id, ChatMessage.id.in_(set(shown))), viewer)))
    return [i for i in dict.fromkeys(shown) if i not in readable]


# -- sending ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SendMessage:
    room_id: int
    client_id: str
    text: str
    anonymous: bool = False
    reply_to_id: int | None = None
    region: str | None = None


@dataclass(frozen=True)
class SendResult:
    message: ChatMessage
    duplicate: bool
    card: dict[str, Any] | None
    # The author's ack, built before the commit expired the row: reading
    # it back afterwards would cost one more query per message.
    author: Any = None
    author_ack: dict[str, Any] | None = None

    def ack(self, viewer: Any) -> dict[str, Any]:
        if self.author_ack is not None and viewer is self.author:
            return self.author_ack
        return _ack(self.message, viewer, self.duplicate, self.card)


def _ack(msg: ChatMessage, viewer: Any, duplicate: bool, card: dict[str, Any] | None) -> dict[str, Any]:
    return {"ok": True, "duplicate": duplicate, "message": payloads.message(msg, viewer=viewer),
            "held": msg.status == ContentStatus.HELD, "card": card}


@dataclass(frozen=True)
class PreparedSend:
    """A message that passed every check and was screened, ready to store.

    Everything in it is plain data (no ORM object), so the event's thread
    can prepare it and the room's writer (``forum.chat.writer``) can store
    it in its own session.
    """

    author_id: int
    cmd: SendMessage
    room: RoomView
    reply_to_id: int | None
    verdict: Any
    action: str
    now: datetime

    @property
    def visible(self) -> bool:
        return self.action in ("publish", "publish_flagged")


def send_message(author: User, cmd: SendMessage, *, screen: Callable[..., Any] | None = None,
                 now: datetime | None = None) -> SendResult:
    """Screen, persist and (after commit) broadcast one message, in this session.

    Idempotent on (author, client_id): a resend after a lost ack returns the
    stored message and broadcasts nothing again. The socket event goes
    through ``submit_message`` instead, which stores messages in batches.
    """
    prepared = prepare_send(author, cmd, screen=screen, now=now)
    if isinstance(prepared, SendResult):
        return prepared
    result = store_sends([prepared], author_of=lambda _id: author)[0]
    if isinstance(result, BaseException):
        raise result
    return result


def submit_message(author: User, cmd: SendMessage, writer: Any) -> dict[str, Any]:
    """The socket event's send: check and screen here, store through the
    process's writer (one transaction and one broadcast frame per batch),
    and return the author's ack."""
    with writer.preparing():
        if writer.busy:
            raise ChatError(*BUSY)
        prepared = prepare_send(author, cmd)
    if isinstance(prepared, SendResult):
        return prepared.ack(author)
    # End this event's read transaction (if it opened one) before waiting:
    # with hundreds of members sending at once, waiting events must not hold
    # the pool's connections that the writer needs.
    if db.session.registry.has():
        db.session.rollback()
    return writer.submit(prepared)


def prepare_send(author: User, cmd: SendMessage, *, screen: Callable[..., Any] | None = None,
                 now: datetime | None = None) -> PreparedSend | SendResult:
    """Every check, then screening: a ``PreparedSend`` to store, or the
    stored message when this is a resend of one (``SendResult``, duplicate).

    Nothing here writes; a refusal raises ``ChatError``. The message is
    screened here, before it is stored and before anyone else can see it.
    """
    now = now or utcnow()
    if not isinstance(cmd.client_id, str) or not _CLIENT_ID.match(cmd.client_id):
        raise ChatError("bad_request", "This message could not be sent. Please reload the page; your text is kept.")
    # The common case is a first send, so idempotency is enforced by the
    # unique (author, client_id) key at insert time rather than a lookup per
    # message; the lookup happens only when a send is refused or collides,
    # so a resend of a stored message is acknowledged even if the room has
    # since been locked or the member throttled.
    try:
        room, reply_to = _check_send(author, cmd, now)
    except ChatError:
        existing = _existing(author, cmd.client_id)
        if existing is not None:
            return SendResult(existing, True, payloads.signposting_card(existing.verdict))
        raise
    verdict = screen_for(room, cmd.text, kind="chat", region=cmd.region, screen=screen)
    if verdict.action == "block":
        raise ChatError("blocked", verdict.error or "This message can't be sent as written. Your text is kept.")
    action = review.effective_action(verdict, kind="chat")
    return PreparedSend(author_id=author.id, cmd=cmd, room=room, reply_to_id=reply_to, verdict=verdict,
                        action=action, now=now)


def store_sends(batch: list[PreparedSend], *, author_of: Callable[[int], User]) -> list[SendResult | BaseException]:
    """Store prepared messages in one transaction, then broadcast them.

    One result per message, in order: a ``SendResult`` (``duplicate`` when a
    resend of a stored message raced its original), or the exception that
    refused it. If the batch cannot be stored as a whole (a resend collided
    on the unique key, or one message made the review queue fail), each
    message is stored again on its own, so one bad message never costs the
    others theirs. ``author_of`` gives the author as an object of this
    session.
    """
    try:
        return _store(batch, author_of)
    except IntegrityError:
        db.session.rollback()
        if len(batch) == 1:
            # A resend of a stored message (or a concurrent resend that won the race).
            author = author_of(batch[0].author_id)
            existing = _existing(author, batch[0].cmd.client_id)
            if existing is None:
                raise
            card = payloads.signposting_card(existing.verdict)
            return [SendResult(existing, True, card, author, _ack(existing, author, True, card))]
    except Exception:  # noqa: BLE001
        db.session.rollback()
        if len(batch) == 1:
            raise
        log.exception("chat batch of %d failed; storing its messages one by one", len(batch))
    results: list[SendResult | BaseException] = []
    for prepared in batch:
        try:
            results.extend(store_sends([prepared], author_of=author_of))
        except Exception as exc:  # noqa: BLE001 - reported to that message's sender only
            db.session.rollback()
            if not isinstance(exc, ChatError):
                log.exception("chat message could not be stored")
            results.append(exc)
    return results


def _store(batch: list[PreparedSend], author_of: Callable[[int], User]) -> list[SendResult]:
    msgs = []
    authors = {author_id: author_of(author_id) for author_id in {p.author_id for p in batch}}
    for p in batch:
        author = authors[p.author_id]
        msg = ChatMessage(room_id=p.room.id, author_id=p.author_id, client_id=p.cmd.client_id,
                          reply_to_id=p.reply_to_id, is_anonymous=bool(p.cmd.anonymous),
                          body_source=p.verdict.text or p.cmd.text,
                          status=ContentStatus.VISIBLE if p.visible else ContentStatus.HELD, created_at=p.now)
        msg.author = author
        msg.apply_verdict(p.verdict)
        db.session.add(msg)
        msgs.append(msg)
    db.session.flush()  # a resend's duplicate key fails here, before anything else is written
    results = []
    # The review queue's lookups need not flush the outbox rows added for
    # the messages before them (each looks up its own message's item): they
    # go in one INSERT at the commit.
    with db.session.no_autoflush:
        for p, msg in zip(batch, msgs):
            review.on_screened("chat_message", msg, p.verdict, board_id=p.room.board_id, action=p.action)
            card = payloads.signposting_card(msg.verdict)
            results.append(SendResult(msg, False, card, msg.author, _ack(msg, msg.author, False, card)))
    _queue_broadcasts(batch, msgs)
    db.session.commit()
    return results


def _existing(author: User, client_id: str) -> ChatMessage | None:
    return db.session.scalar(select(ChatMessage).where(ChatMessage.author_id == author.id,
                                                       ChatMessage.client_id == client_id))


def _check_send(author: User, cmd: SendMessage, now: datetime) -> tuple[RoomView, int | None]:
    """Every reason to refuse a message, before any screening or writing.

    The room, its board's profile and its mutes come from a view at most a
    second old (``forum.chat.cache``), refreshed at once by changes made in
    this process.
    """
    room = room_views().get(cmd.room_id) if isinstance(cmd.room_id, int) else None
    if room is None:
        raise ChatError("no_room", "That room no longer exists.")
    denial = policy.write_denial(room, author, now, anonymous=bool(cmd.anonymous))
    if denial:
        raise ChatError(*denial)
    text = cmd.text if isinstance(cmd.text, str) else ""
    if not text.strip():
        raise ChatError("empty", "Write something before sending.")
    limit = current_app.config["KINDRED_MAX_CHAT_CHARS"]
    if len(text) > limit:
        raise ChatError("too_long", f"That message is {len(text):,} characters; the limit is {limit:,}. "
                                    "Please shorten it or split it into two.", limit=limit)
    # Anonymous writing is held to members' rules whoever writes: a mute or
    # slow mode that let some anonymous messages through would mark them as staff's.
    if cmd.anonymous or not policy.is_moderator(author):
        _check_mute_and_pace(room, author, now)
    if not current_app.extensions["kindred_chat"].rate.hit(author.id):
        raise ChatError("throttled", "You're sending messages faster than the room allows. "
                                     "Please wait a few seconds, then send again.")
    return room, _reply_target(room, cmd.reply_to_id)


def _check_mute_and_pace(room: RoomView, author: User, now: datetime) -> None:
    mute_until = room.muted_until(author.id, now)
    if mute_until is not None:
        raise ChatError("muted", "A moderator has paused your messages in this room until "
                                 f"{mute_until:%H:%M} UTC. You can still read.", until=mute_until.isoformat())
    if room.slow_mode_seconds > 0:
        last = db.session.scalar(select(func.max(ChatMessage.created_at)).where(
            ChatMessage.room_id == room.id, ChatMessage.author_id == author.id))
        if last is not None:
            wait = room.slow_mode_seconds - (now - last).total_seconds()
            if wait > 0:
                raise ChatError("slow_mode", f"Slow mode is on: one message every {room.slow_mode_seconds} seconds. "
                                             f"You can send again in {int(wait) + 1} seconds.", wait=int(wait) + 1)


def _reply_target(room: RoomView, reply_to_id: Any) -> int | None:
    if reply_to_id in (None, ""):
        return None
    target = db.session.get(ChatMessage, reply_to_id) if isinstance(reply_to_id, int) else None
    if target is None or target.room_id != room.id or target.status != ContentStatus.VISIBLE:
        raise ChatError("bad_reply", "The message you were replying to is no longer available.")
    return target.id


def _queue_broadcasts(batch: list[PreparedSend], msgs: list[ChatMessage]) -> None:
    """After the commit: one event per room for the batch's visible messages
    (``message`` for one, ``messages`` with the list, in id order, for
    several: one frame to each member instead of one per message), and a
    crisis alert per message for moderators."""
    by_room: dict[int, list[ChatMessage]] = {}
    for p, msg in zip(batch, msgs):
        if p.visible:
            by_room.setdefault(p.room.id, []).append(msg)
    for room_id, visible in by_room.items():
        visible.sort(key=lambda m: m.id)
        if len(visible) == 1:
            emit_after_commit("message", payloads.message(visible[0]), namespace=NAMESPACE, to=room_key(room_id))
        else:
            emit_after_commit("messages", {"room": room_id, "messages": [payloads.message(m) for m in visible]},
                              namespace=NAMESPACE, to=room_key(room_id))
    for p, msg in zip(batch, msgs):
        if msg.verdict_risk != "none":
            # Crisis of any tier: moderators watching chat and the review queue
            # see it live, with the room and message, whether it was held or not.
            alert = payloads.moderator_alert(p.room, msg)
            emit_after_commit("chat_alert", alert, namespace=NAMESPACE, to=MODERATORS_ROOM)
            # The review queue's /mod namespace puts moderators in its own room.
            emit_after_commit("chat_alert", alert, namespace=MOD_NAMESPACE, to=MOD_ROOMS[MOD_NAMESPACE][0])


# -- support reaction -----------------------------------------------------------------------

def toggle_support(user: User, message_id: int) -> dict[str, Any]:
    msg = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
    if msg is None or msg.status != ContentStatus.VISIBLE:
        raise ChatError("no_message", "That message is no longer available.")
    room = _room(msg.room_id)
    reason = policy.read_denial(room, user)
    if reason or not getattr(user, "is_authenticated", False):
        raise ChatError("forbidden", reason or "Please log in to send support.")
    if msg.author_id == user.id:
        raise ChatError("own_message", "You can't send support to your own message.")
    supported = reactions.toggle_support(msg, ChatSupport, "message_id", user.id)
    data = {"id": msg.id, "room": msg.room_id, "support": msg.support_count}
    emit_after_commit("support", data, namespace=NAMESPACE, to=room_key(msg.room_id))
    db.session.commit()
    return {"ok": True, "supported": supported, **data}


# -- moderator controls (each audited, in the same transaction) ---------------------------------

def _moderator(actor: Any) -> None:
    _require(actor, lambda u: u.is_moderator, "moderators")


def hide_message(actor: User, message_id: int, note: str | None = None) -> ChatMessage:
    _moderator(actor)
    msg = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
    if msg is None:
        raise ChatError("no_message", "That message no longer exists.")
    if msg.status != ContentStatus.HIDDEN:
        review.hide_content("chat_message", msg, actor, note, room_id=msg.room_id)
        room = _room(msg.room_id)
        if room.pinned_message_id == msg.id:
            room.pinned_message_id = None
            _announce_state(room)
        db.session.commit()
    return msg


def mute_member(actor: User, message_id: int, minutes: int, reason: str | None = None,
                now: datetime | None = None) -> ChatMute:
    """Mute the author of a message in its room.

    Moderators act on a message rather than a name, so they can mute the
    writer of an anonymous message without ever learning who it is. An
    anonymous message is muted whoever wrote it, so the answer never tells
    a moderator the writer's role; a moderator or staff member muted that
    way is held to the mute only when writing anonymously (``_check_send``).
    """
    _moderator(actor)
    now = now or utcnow()
    msg = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
    if msg is None:
        raise ChatError("no_message", "That message no longer exists.")
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MUTE_MINUTES:
        raise ChatError("invalid", f"Choose between 1 minute and {MAX_MUTE_MINUTES // 1440} days.")
    target = db.session.get(User, msg.author_id)
    if target.is_moderator and not msg.is_anonymous:
        raise ChatError("forbidden", "Moderators can't be muted in chat; raise it with staff instead.")
    mute = ChatMute(room_id=msg.room_id, user_id=target.id, until=now + timedelta(minutes=minutes),
                    reason=(reason or "").strip()[:500] or None, created_by_id=actor.id, created_at=now)
    db.session.add(mute)
    db.session.flush()
    audit.record(actor, "chat.mute", target_type="chat_message", target_id=msg.id, reason=reason,
                 room_id=msg.room_id, minutes=minutes, mute_id=mute.id)
    emit_after_commit("notice", {"code": "muted", "room": msg.room_id, "until": mute.until.isoformat(),
                                 "message": f"A moderator has paused your messages in this room for {minutes} "
                                            "minutes. You can still read."},
                      namespace=NAMESPACE, to=user_key(target.id))
    db.session.commit()
    return mute


def set_slow_mode(actor: User, room_id: int, seconds: int) -> ChatRoom:
    _moderator(actor)
    if not isinstance(seconds, int) or not 0 <= seconds <= MAX_SLOW_MODE_SECONDS:
        raise ChatError("invalid", f"Slow mode is between 0 (off) and {MAX_SLOW_MODE_SECONDS} seconds.")
    room = _room(room_id)
    room.slow_mode_seconds = seconds
    audit.record(actor, "chat.slow_mode", target_type="chat_room", target_id=room.id, seconds=seconds)
    _announce_state(room)
    db.session.commit()
    return room


def set_locked(actor: User, room_id: int, locked: bool, reason: str | None = None) -> ChatRoom:
    _moderator(actor)
    room = _room(room_id)
    room.is_locked = bool(locked)
    audit.record(actor, "chat.lock" if locked else "chat.unlock", target_type="chat_room", target_id=room.id,
                 reason=reason)
    _announce_state(room)
    db.session.commit()
    return room


def pin_message(actor: User, room_id: int, message_id: int | None) -> ChatRoom:
    """Pin a visible message (e.g. the guidelines or helplines), or unpin with None."""
    _moderator(actor)
    room = _room(room_id)
    if message_id is not None:
        msg = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
        if msg is None or msg.room_id != room.id or msg.status != ContentStatus.VISIBLE:
            raise ChatError("no_message", "Only a visible message in this room can be pinned.")
    room.pinned_message_id = message_id
    audit.record(actor, "chat.pin" if message_id else "chat.unpin", target_type="chat_room", target_id=room.id,
                 message_id=message_id)
    _announce_state(room)
    db.session.commit()
    return room


# -- demo data ---------------------------------------------------------------------------------

DEMO_ROOMS = (
    RoomInput(
        name="Evening check-in", slug="evening-check-in",
        description="A gentle space to say how today went. Everyone is welcome to listen.",
        guidelines="Be kind. Share only what you're comfortable sharing. No names, places or contact "
                   "details. If you're in danger right now, use Get help now at the top of the page.",
        access="open"),
    RoomInput(
        name="Anxiety support", slug="anxiety-support",
        description="Talk through anxious moments with people who understand.",
        guidelines="Describe feelings, not methods. Support, don't advise on medication. "
                   "Moderators are volunteers and may be away.",
        access="members",
        schedule={"tz": "Europe/London", "windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "08:00",
                                                         "end": "23:00"}]}),
    RoomInput(
        name="Long-term members' lounge", slug="members-lounge",
        description="A quieter room for members who have been around the boards for a while.",
        guidelines="Be kind, stay on topic, and remember new members were new once too.",
        access="restricted", min_approved_posts=5),
)


def seed_demo_rooms(staff_user: User) -> list[ChatRoom]:
    """Create the demo rooms (skipping any whose slug exists). For ``seed-demo``."""
    made = []
    for data in DEMO_ROOMS:
        if room_by_slug(data.slug) is None:
            made.append(create_room(staff_user, data))
    return made


register_globals(__name__, globals())

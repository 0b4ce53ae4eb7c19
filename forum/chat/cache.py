"""What the send path needs to know about a room, read once a second.

Every chat message used to read its room row, its board's moderation
profile and the sender's mutes: three queries out of seven, for facts that
change only when staff or a moderator act. A ``RoomView`` holds them for
``TTL_SECONDS``. Any change to a room, a mute or a board made through the
ORM in this process (services, staff pages, the review queue, tests)
drops the affected views once its transaction commits, so in one process
a lock, slow mode or mute applies to the very next message. Another
process (several servers sharing Redis) sees the change within
``TTL_SECONDS``.

Mutes are kept as "latest end per member" and compared with the send
time, so a mute that runs out while the view is cached stops applying
on time.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.models import Board, ChatMute, ChatRoom

TTL_SECONDS = 1.0
_PENDING = "kindred_chat_cache_dirty"


@dataclass(frozen=True)
class RoomView:
    """A read-only copy of a room row, enough for ``policy`` and payloads."""

    id: int
    slug: str
    name: str
    access: str
    min_approved_posts: int
    schedule: dict[str, Any]
    is_locked: bool
    slow_mode_seconds: int
    board_id: int | None
    profile: str | None  # the linked board's moderation profile
    mutes: dict[int, datetime] = field(default_factory=dict)  # user id -> latest mute end

    def muted_until(self, user_id: int, now: datetime) -> datetime | None:
        until = self.mutes.get(user_id)
        return until if until is not None and until > now else None


class RoomViews:
    """Per-app cache of ``RoomView`` by room id (thread-safe)."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._views: dict[int, tuple[float, RoomView]] = {}
        self._lock = threading.Lock()
        # Bumped by every drop: a view loaded before a change committed is
        # not stored after it (the load may have read the old row).
        self._generation = 0

    def get(self, room_id: int) -> RoomView | None:
        """The room's view, loading it if absent or older than the TTL; None
        if the room does not exist."""
        hit = self._views.get(room_id)
        if hit is not None and time.monotonic() < hit[0]:
            return hit[1]
        generation = self._generation
        view = _load(room_id)
        if view is not None:
            with self._lock:
                if generation == self._generation:
                    self._views[room_id] = (time.monotonic() + self.ttl, view)
        return view

    def drop(self, room_ids: set[int] | None) -> None:
        """Forget some rooms (None: all of them)."""
        with self._lock:
            self._generation += 1
            if room_ids is None:
                self._views.clear()
            else:
                for room_id in room_ids:
                    self._views.pop(room_id, None)


def _load(room_id: int) -> RoomView | None:
    room = db.session.get(ChatRoom, room_id)
    if room is None:
        return None
    profile = None
    if room.board_id is not None:
        profile = db.session.scalar(select(Board.policy_profile).where(Board.id == room.board_id))
    mutes = dict(db.session.execute(
        select(ChatMute.user_id, func.max(ChatMute.until)).where(ChatMute.room_id == room_id)
        .group_by(ChatMute.user_id)).all())
    return RoomView(id=room.id, slug=room.slug, name=room.name, access=room.access,
                    min_approved_posts=room.min_approved_posts, schedule=dict(room.schedule or {}),
                    is_locked=room.is_locked, slow_mode_seconds=room.slow_mode_seconds,
                    board_id=room.board_id, profile=profile, mutes=mutes)


def views() -> RoomViews:
    return current_app.extensions["kindred_chat"].rooms


# -- invalidation: any ORM change to a room, a mute or a board ------------------------------------

@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    rooms: set[int] = set()
    every_room = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ChatRoom):
            rooms.add(obj.id)
        elif isinstance(obj, ChatMute):
            rooms.add(obj.room_id)
        elif isinstance(obj, Board):
            every_room = True  # a profile may have changed: rare, so forget every room
    if every_room:
        session.info[_PENDING] = None
    elif rooms and session.info.get(_PENDING, set()) is not None:
        session.info[_PENDING] = session.info.get(_PENDING, set()) | rooms


@event.listens_for(Session, "after_commit")
def _drop_changed(session: Session) -> None:
    if _PENDING not in session.info:
        return
    dirty = session.info.pop(_PENDING)
    chat = current_app.extensions.get("kindred_chat") if current_app else None
    if chat is not None:
        chat.rooms.drop(dirty)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_PENDING, None)

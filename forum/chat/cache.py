"""What chat events need to know about a room and a member, read once a second.

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

``UserViews`` does the same for the member behind a socket: every event
used to load the user row again (Flask-Login's loader, a query and an ORM
load, about a sixth of the server's time per message). The row's columns
are kept for ``USER_TTL_SECONDS`` and attached to the event's session
without a query; a change to the user (role, silence, suspension) made in
this process applies at once, one made by another process within that
time.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from forum.extensions import db
from forum.models import Board, ChatMute, ChatRoom, User

TTL_SECONDS = 1.0
# A member typically sends every few seconds, so their row is kept longer
# than a room's, or it would have expired before their next message.
USER_TTL_SECONDS = 5.0
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


class UserViews:
    """Per-app cache of user rows (column values) by id (thread-safe)."""

    def __init__(self, ttl: float = USER_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._rows: dict[int, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._columns = [attr.key for attr in inspect(User).column_attrs]
        self._manager = inspect(User).class_manager

    def attach(self, user_id: int) -> User | None:
        """The user as a persistent object of the current session: from the
        cached row without a query, or loaded (and cached) if absent or old."""
        user = self._cached(user_id)
        if user is not None:
            return db.session.merge(user, load=False)
        return self._load(user_id)

    def get(self, user_id: int) -> User | None:
        """The user for reading: from the cached row, a detached ``User`` with
        every column loaded and no session at all (an event that only reads
        the member, like a send, then never opens a database session); or,
        if absent or old, loaded (and cached) in the current session.

        Attributes read the same either way. Anything that writes the user,
        or relates a new row to it through the ORM, must use ``attach``.
        """
        return self._cached(user_id) or self._load(user_id)

    def _cached(self, user_id: int) -> User | None:
        hit = self._rows.get(user_id)
        if hit is None or time.monotonic() >= hit[0]:
            return None
        # As the ORM's loader builds an object from a row (the values go in as
        # loaded, not as changes): a quarter of the cost of User(**row).
        user = self._manager.new_instance()
        user.__dict__.update(hit[1])
        make_transient_to_detached(user)
        return user

    def _load(self, user_id: int) -> User | None:
        generation = self._generation
        user = db.session.get(User, user_id)
        if user is not None:
            row = {key: getattr(user, key) for key in self._columns}
            with self._lock:
                if generation == self._generation:
                    self._rows[user_id] = (time.monotonic() + self.ttl, row)
        return user

    def drop(self, user_ids: set[int]) -> None:
        with self._lock:
            self._generation += 1
            for user_id in user_ids:
                self._rows.pop(user_id, None)


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
    users: set[int] = set()
    every_room = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ChatRoom):
            rooms.add(obj.id)
        elif isinstance(obj, ChatMute):
            rooms.add(obj.room_id)
        elif isinstance(obj, User):
            users.add(obj.id)
        elif isinstance(obj, Board):
            every_room = True  # a profile may have changed: rare, so forget every room
    pending = session.info.get(_PENDING)
    if not (rooms or users or every_room):
        return
    if pending is None:
        pending = session.info[_PENDING] = {"rooms": set(), "users": set()}
    if every_room or pending["rooms"] is None:
        pending["rooms"] = None
    else:
        pending["rooms"] |= rooms
    pending["users"] |= users


@event.listens_for(Session, "after_commit")
def _drop_changed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    chat = current_app.extensions.get("kindred_chat") if current_app else None
    if chat is not None:
        if pending["rooms"] is None or pending["rooms"]:
            chat.rooms.drop(pending["rooms"])
        if pending["users"]:
            chat.users.drop(pending["users"])


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_PENDING, None)

"""Live chat rooms and their messages."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import Privacy, ScreenedContentMixin, UTCDateTime, utcnow
from forum.models.user import User


class ChatRoom(db.Model):
    __tablename__ = "chat_rooms"
    __privacy__ = Privacy(
        holds='which staff member created a room',
        why='to run the rooms',
        keep='while the room exists')

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    guidelines: Mapped[str] = mapped_column(Text, default="", nullable=False)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"))
    access: Mapped[str] = mapped_column(String(16), default="members", nullable=False)  # open|members|restricted
    min_approved_posts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # {"tz": "Europe/London", "windows": [{"days": [0..6], "start": "19:00", "end": "21:00"}]} or {}
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    pinned_message_id: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ChatMessage(ScreenedContentMixin, db.Model):
    __tablename__ = "chat_messages"
    __privacy__ = Privacy(
        holds='what a member wrote in chat (often health data), its author, the screening verdict',
        why='to show the chat history and keep it safe',
        keep='until the author erases their account; held messages never published: KINDRED_RETAIN_HELD_DAYS days after the decision')

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("chat_rooms.id"), nullable=False, index=True)
    # Client-generated id: a resend with the same id is acknowledged, not stored twice.
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("chat_messages.id"))

    author: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("author_id", "client_id", name="uq_chat_messages_author_client"),)


class ChatMute(db.Model):
    __tablename__ = "chat_mutes"
    __privacy__ = Privacy(
        holds='that a member was muted in a room, why and by whom',
        why='to enforce the mute',
        keep='deleted when the account closes')

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("chat_rooms.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ChatSupport(db.Model):
    __tablename__ = "chat_supports"
    __privacy__ = Privacy(
        holds='which member supported which chat message',
        why='to count support once per member',
        keep="as long as the message; deleted when the member erases their account")

    message_id: Mapped[int] = mapped_column(ForeignKey("chat_messages.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

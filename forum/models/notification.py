"""In-app notifications: one member's own list of things that happened to them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import Privacy, UTCDateTime, utcnow


class NotificationKind:
    REPLY = "reply"            # a reply to your topic or to your post
    QUOTE = "quote"            # your post quoted
    MENTION = "mention"        # @your-handle
    SUPPORT = "support"        # support reactions, one row per post, counted
    APPROVED = "approved"      # your held post published by a moderator
    KEPT_HIDDEN = "kept_hidden"  # your post kept hidden, with the moderator's note
    CONVERSATION = "conversation"  # the team wrote in your private conversation
    NEW_TOPIC = "new_topic"    # a new topic in a board you watch
    ALL = (REPLY, QUOTE, MENTION, SUPPORT, APPROVED, KEPT_HIDDEN, CONVERSATION, NEW_TOPIC)


class Notification(db.Model):
    """Owned by its recipient alone: no row names who caused it (the post is
    enough, and shows "Anonymous member" where it was written anonymously).
    Deleted with the account or the post it is about."""

    __tablename__ = "notifications"
    __privacy__ = Privacy(
        holds="which posts and conversations a member was told about, and whether they read them",
        why="to tell a member that someone answered them",
        keep="deleted when the account closes or the post is erased")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="CASCADE"), index=True)
    # Support reactions counted on one row ("3 people sent support").
    count: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # The moderator's note to the author, for a post kept hidden (plain text).
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # At-least-once delivery and a post published again never notify twice.
        UniqueConstraint("user_id", "kind", "post_id", name="uq_notifications_user_kind_post"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )


class EmailMode:
    OFF = "off"              # the default: no email at all
    IMMEDIATE = "immediate"  # one email per reply, quote or mention, soon after it
    DAILY = "daily"          # one summary a day, only if something is unread
    ALL = (OFF, IMMEDIATE, DAILY)


class NotificationSettings(db.Model):
    """A member's notification choices. No row means the defaults: no email,
    and starting or replying to a topic watches it."""

    __tablename__ = "notification_settings"
    __privacy__ = Privacy(holds="whether a member wants notification emails, and how often",
                          why="to email a member only as they asked",
                          keep="deleted when the account closes")

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(16), default=EmailMode.OFF, nullable=False, index=True)
    watch_own_topics: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # The digest covers notifications made after this moment (then moves it on).
    digest_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

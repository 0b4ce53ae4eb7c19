"""Private support conversations between one member and the moderation team."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import ContentStatus, Privacy, ScreenedContentMixin, UTCDateTime, utcnow
from forum.models.user import User


class ConversationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SupportConversation(db.Model):
    """A private thread: one member on one side, the moderation team on the other.

    Linked to the review item or crisis case it was opened from (if any).
    ``is_anonymous`` follows that item: a conversation about an anonymous post
    shows the team "Anonymous member", never the account, like the post does.
    """

    __tablename__ = "support_conversations"
    __privacy__ = Privacy(
        holds="that a member has a private conversation with the moderation team, what it is about (a review item or crisis case), and when",
        why="to support a member privately, often when they may be at risk (vital interests)",
        keep="until the member closes or erases their account; kept while a safeguarding hold keeps its case")

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    # None when the member started it ("Talk to a moderator").
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.OPEN, nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Unread markers for the two sides: the member's badge and the team's list.
    last_team_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_member_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    member_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    team_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    member: Mapped[User] = relationship(foreign_keys=[member_id])

    __mapper_args__ = {"version_id_col": version}


class SupportParticipant(db.Model):
    """A moderator or staff member who opened or joined a conversation."""

    __tablename__ = "support_participants"
    __privacy__ = Privacy(
        holds="which moderator or staff member took part in a conversation",
        why="accountability: the member sees only \"Moderation team\"",
        keep="as long as the conversation")

    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()


class SupportMessage(ScreenedContentMixin, db.Model):
    """One message, screened like any other member text (stored source + safe HTML).

    ``from_team`` marks the moderation team's side; the member never sees
    which moderator wrote, only "Moderation team".
    """

    __tablename__ = "support_messages"
    __privacy__ = Privacy(
        holds="what the member and the team wrote privately (often health data), with the screening verdict",
        why="to support the member and keep them safe",
        keep="as long as the conversation")

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id"), nullable=False,
                                                 index=True)
    from_team: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # A resubmitted form (double click, refresh) stores the message once.
    submission_key: Mapped[str | None] = mapped_column(String(64))

    conversation: Mapped[SupportConversation] = relationship()
    author: Mapped[User] = relationship(lazy="joined")

    # The review area treats every screened item alike; a private message has no
    # content warning of its own.
    content_warning = None

    def visible_to(self, user: Any) -> bool:
        """Only the member and the moderation team ever read a private conversation."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if user.is_moderator:
            return True
        if self.conversation.member_id != user.id:
            return False
        return self.status == ContentStatus.VISIBLE or (self.author_id == user.id and self.status != ContentStatus.DELETED)

"""Following and ignoring: a member's own choices about topics and people."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import Privacy, UTCDateTime, utcnow


class TopicLevel:
    WATCHING = "watching"  # told of every new post
    NORMAL = "normal"      # told only of replies, quotes and mentions (the default)
    MUTED = "muted"        # told nothing, and the topic is left out of board lists
    ALL = (WATCHING, NORMAL, MUTED)


class TopicFollow(db.Model):
    __tablename__ = "topic_follows"
    __privacy__ = Privacy(holds="which topics a member watches or muted",
                          why="to notify a member as they asked, and hide what they muted",
                          keep="deleted when the account closes")

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class MemberIgnore(db.Model):
    """One member ignoring another. The ignored member is never told."""

    __tablename__ = "member_ignores"
    __privacy__ = Privacy(holds="which members a member chose to ignore",
                          why="to collapse their posts and stop their notifications, without telling them",
                          keep="deleted when either account closes")

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ignored_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

"""Following and ignoring: a member's own choices about topics and people."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import Privacy, UTCDateTime, utcnow


class TopicLevel:
    """A topic's level for one member; a board's level is the default for its topics."""
    WATCHING = "watching"  # told of every new post (for a board: every new topic too)
    TRACKING = "tracking"  # not told, but the board list counts the unread posts
    NORMAL = "normal"      # told only of replies, quotes and mentions (the default)
    MUTED = "muted"        # told nothing, and the topic is left out of board lists
    ALL = (WATCHING, TRACKING, NORMAL, MUTED)


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


class BoardFollow(db.Model):
    """A member's level for a whole board: the default for each of its topics
    (a level set on the topic itself wins)."""

    __tablename__ = "board_follows"
    __privacy__ = Privacy(holds="which boards a member watches, tracks or muted",
                          why="to notify a member as they asked, and hide what they muted",
                          keep="deleted when the account closes")

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True, index=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class TopicRead(db.Model):
    """How far a member has read a topic they watch or track (for unread counts)."""

    __tablename__ = "topic_reads"
    __privacy__ = Privacy(holds="how far a member has read the topics they watch or track",
                          why="to show how many posts are new to them",
                          keep="deleted when the account closes")

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_read_number: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

"""Boards, topics, posts and their history."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import ContentStatus, Privacy, ScreenedContentMixin, UTCDateTime, utcnow
from forum.models.user import User


class Board(db.Model):
    __tablename__ = "boards"
    __privacy__ = Privacy(
        holds='none (board names and settings)',
        why='to organise the forum',
        keep='while the board exists')

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Hold a member's first N posts for a moderator (0 = off).
    premod_first_n: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Name of a moderation policy profile overriding the default (e.g. "strict").
    policy_profile: Mapped[str | None] = mapped_column(String(32))
    # Denormalised counters of visible content, maintained by the services.
    topic_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    post_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Topic(db.Model):
    __tablename__ = "topics"
    __privacy__ = Privacy(
        holds='the title a member wrote and its author (even when anonymous)',
        why='to show the conversation (consent: health data members choose to share)',
        keep="while the topic exists; erased with its author's account; held-and-rejected openers KINDRED_RETAIN_HELD_DAYS days after the decision")

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"), nullable=False, index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    is_anonymous: Mapped[bool] = mapped_column(default=False, nullable=False)
    # Titles are plain text: Jinja escapes them on output; the verdict is kept.
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    title_verdict: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    # A topic is visible when its opening post is; mirrors that post's status.
    status: Mapped[str] = mapped_column(String(16), default=ContentStatus.HELD, nullable=False, index=True)
    reply_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    board: Mapped[Board] = relationship(lazy="joined")
    author: Mapped[User] = relationship(lazy="joined")


class Post(ScreenedContentMixin, db.Model):
    __tablename__ = "posts"
    __privacy__ = Privacy(
        holds='what a member wrote (often health data), its author (even when anonymous) and the screening verdict',
        why='to show the conversation and to keep it safe (consent for health data; vital interests for crisis action)',
        keep='until the author deletes it or erases their account; held posts never published: KINDRED_RETAIN_HELD_DAYS days after the decision')

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), nullable=False, index=True)
    # 1 for the opening post, then 2, 3, ... in order of writing.
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    content_warning: Mapped[str | None] = mapped_column(String(200))
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # One-time keys of the form that created the post and of its latest edit:
    # a resubmitted form returns this post instead of storing a duplicate.
    submission_key: Mapped[str | None] = mapped_column(String(64))
    edit_key: Mapped[str | None] = mapped_column(String(64))

    topic: Mapped[Topic] = relationship()
    author: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("topic_id", "number", name="uq_posts_topic_number"),
                      UniqueConstraint("author_id", "submission_key", name="uq_posts_author_submission_key"))


class PostRevision(db.Model):
    """The text of a post before each edit (append-only)."""

    __tablename__ = "post_revisions"
    __privacy__ = Privacy(
        holds='earlier text of an edited post and who edited it',
        why='so moderators can see what a post said before an edit',
        keep='as long as the post; deleted with it')

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    body_source: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    content_warning: Mapped[str | None] = mapped_column(String(200))
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    editor: Mapped[User] = relationship()


class PostSupport(db.Model):
    """The single "support" reaction: one per member per post."""

    __tablename__ = "post_supports"
    __privacy__ = Privacy(
        holds='which member sent a support reaction to which post',
        why='to count support once per member',
        keep="as long as the post; deleted when the member erases their account")

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

"""Shared column helpers and the vocabulary of statuses."""
from __future__ import annotations

from datetime import UTC, datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Aware UTC now. The single clock the app reads, so tests can patch it."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Privacy:
    """What personal data a table holds, why, and how long it is kept.

    Every model carries one as ``__privacy__``, so the staff inventory page
    and docs/privacy.md are generated from the models and cannot drift.
    ``keep`` may name a setting (``KINDRED_RETAIN_...``): the page shows its
    configured value.
    """

    holds: str
    why: str
    keep: str


class UTCDateTime(TypeDecorator):
    """Store UTC; always hand back aware datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use forum.models.base.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class ContentStatus(StrEnum):
    """A post's or chat message's status; only VISIBLE is shown to others."""

    VISIBLE = "visible"
    HELD = "held"
    HIDDEN = "hidden"
    DELETED = "deleted"


class Role:
    MEMBER = "member"
    MODERATOR = "moderator"
    STAFF = "staff"
    ADMIN = "admin"
    ALL = (MEMBER, MODERATOR, STAFF, ADMIN)
    RANK = {MEMBER: 0, MODERATOR: 1, STAFF: 2, ADMIN: 3}


class ScreenedContentMixin:
    """Columns every piece of screened member text carries (posts, chat).

    The source Markdown and the sanitised HTML are both stored at write
    time: templates only ever output ``body_html``, never render on read.
    The verdict is stored beside the content so a moderator can always see
    why the pipeline decided what it did.
    """

    body_source: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=ContentStatus.HELD, nullable=False, index=True)
    verdict_action: Mapped[str] = mapped_column(String(24), nullable=False)
    verdict_risk: Mapped[str] = mapped_column(String(16), default="none", nullable=False)
    verdict_categories: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    # The full Verdict.to_dict(): reasons with spans, scores, engine versions.
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    # Shown kindly to the author when a moderator hides or rejects the content.
    moderator_note: Mapped[str | None] = mapped_column(Text)
    support_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @declared_attr
    def author_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr signature
        return mapped_column(ForeignKey("users.id"), nullable=False, index=True)

    def apply_verdict(self, verdict: Any) -> None:
        """Copy a moderation Verdict onto the row (no commit)."""
        self.body_html = verdict.html
        self.verdict_action = verdict.action
        self.verdict_risk = verdict.risk
        self.verdict_categories = sorted(verdict.categories)
        self.verdict = verdict.to_dict()

    def visible_to(self, user: Any) -> bool:
        """Whether ``user`` (may be anonymous) may read this content.

        Held/hidden content is seen by its author and by moderators only.
        """
        if self.status == ContentStatus.VISIBLE:
            return True
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if self.status == ContentStatus.DELETED:
            return user.is_moderator
        return user.id == self.author_id or user.is_moderator

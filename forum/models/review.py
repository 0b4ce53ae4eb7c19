"""The review queue, member flags, escalations, sanctions, audit and outbox."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import Privacy, UTCDateTime, utcnow
from forum.models.user import User


class ReviewStatus(StrEnum):
    """Where a review item stands. Open: pending or escalated."""

    PENDING = "pending"
    ESCALATED = "escalated"
    APPROVED = "approved"
    REJECTED = "rejected"
    IGNORED = "ignored"
    CLOSED = "closed"


class FlagStatus(StrEnum):
    OPEN = "open"
    AGREED = "agreed"
    DISMISSED = "dismissed"
    CLOSED = "closed"


class CaseStatus(StrEnum):
    """A crisis case's way from open to resolved."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class DebriefStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class ReasonSource(StrEnum):
    """Who gave a review item's reason: the screening pipeline, a member's
    flag, or the system (pre-moderation, out of hours, second opinion...)."""

    PIPELINE = "pipeline"
    FLAG = "flag"
    SYSTEM = "system"


class Review(db.Model):
    """One reviewable item per target (Discourse's "reviewable").

    A second flag or a re-screen adds reasons to the existing row (unique
    key on the target) rather than creating a duplicate queue entry.
    """

    __tablename__ = "reviews"
    __privacy__ = Privacy(
        holds="which member's content is under review, and the reasons",
        why='to moderate content and keep members safe',
        keep='as long as the content; erased with it (except under a safeguarding hold)')

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(24), nullable=False)  # post | chat_message | user
    target_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # The member whose content this is (for history and sanctions).
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.PENDING, nullable=False, index=True)
    # Higher sorts first. See forum.review.services for the scale.
    priority: Mapped[int] = mapped_column(Integer, default=0, nullable=False, index=True)
    risk: Mapped[str] = mapped_column(String(16), default="none", nullable=False)
    # [{"source": "pipeline"|"flag", "code": ..., "explanation": ..., ...}]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Times a missed deadline raised this item a tier (and re-alerted).
    tier_raises: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    first_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    __table_args__ = (UniqueConstraint("target_type", "target_id", name="uq_reviews_target"),)
    __mapper_args__ = {"version_id_col": version}


class ReviewEvent(db.Model):
    """Append-only history of a review item: who did what, when, and why."""

    __tablename__ = "review_events"
    __privacy__ = Privacy(
        holds="moderators' actions and notes on a review item",
        why='accountability for moderation decisions',
        keep='as long as the review item')

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None = the system
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    actor: Mapped[User | None] = relationship()


class Flag(db.Model):
    """A member's report. The reporter is never shown to the reported member."""

    __tablename__ = "flags"
    __privacy__ = Privacy(
        holds='who reported what, the reason and their words',
        why='to moderate reported content; the reporter is never shown to the member',
        keep="as long as the review item; a reporter who erases their account takes their reports with them")

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), nullable=False, index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reason: Mapped[str] = mapped_column(String(24), nullable=False)
    details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=FlagStatus.OPEN, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    # Staff only see who reported (the template checks the role).
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])

    __table_args__ = (UniqueConstraint("review_id", "reporter_id", name="uq_flags_review_reporter"),)


class Escalation(db.Model):
    """A crisis case for staff, with its risk form and outcome."""

    __tablename__ = "escalations"
    __privacy__ = Privacy(
        holds='a crisis case about a member: staff risk assessment, notes, outcome, follow-up',
        why='vital interests: to act when a member may be at risk',
        keep='open or under follow-up: kept, even through an erasure (safeguarding hold); resolved: KINDRED_RETAIN_CASES_DAYS days')

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(24), nullable=False)
    target_id: Mapped[int] = mapped_column(Integer, nullable=False)
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    risk: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN, nullable=False, index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None = automatic
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    realert_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    risk_plan: Mapped[str | None] = mapped_column(Text)
    risk_means: Mapped[str | None] = mapped_column(Text)
    risk_timeframe: Mapped[str | None] = mapped_column(Text)
    protective_factors: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}


class Sanction(db.Model):
    """Warn, silence or suspend; the penalty history of a member."""

    __tablename__ = "sanctions"
    __privacy__ = Privacy(
        holds='warnings, silences and suspensions of a member, why and by whom',
        why='to enforce the community guidelines',
        keep='deleted when the account closes')

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # warn | silence | suspend
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Alert(db.Model):
    """Every alert and re-alert sent to moderators or staff, on any channel."""

    __tablename__ = "alerts"
    __privacy__ = Privacy(
        holds='which staff address an alert was sent to',
        why='to prove crisis alerts went out on time',
        keep='KINDRED_RETAIN_AUDIT_YEARS years after the request')

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # e.g. new_item, sla_missed
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # socket | email | webhook
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    recipient: Mapped[str | None] = mapped_column(String(254))
    ok: Mapped[bool] = mapped_column(default=True, nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class AuditEvent(db.Model):
    """Append-only audit of moderator, staff and admin actions."""

    __tablename__ = "audit_events"
    __privacy__ = Privacy(
        holds='who did what to whom (moderators, staff, the system), with reasons and details',
        why='accountability, and to show a regulator what was done',
        keep='detail: KINDRED_RETAIN_AUDIT_YEARS years, then a tombstone (action and time only)')

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(48), nullable=False, index=True)
    target_type: Mapped[str | None] = mapped_column(String(24))
    target_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    actor: Mapped[User | None] = relationship()


class Outbox(db.Model):
    """Work that must happen after a commit (transactional outbox).

    Rows are written in the same transaction as the change that needs them,
    so an escalation committed just before a crash is still delivered: the
    relay picks unprocessed rows up on the next run.
    """

    __tablename__ = "outbox"
    __privacy__ = Privacy(
        holds="pending emails' addresses and job details",
        why='to deliver email and alerts after a commit',
        keep='addresses are emptied once delivered')

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)


class MemberNotice(db.Model):
    """A private, kind message from the moderation team to one member.

    Shown on the member's notices page and counted in the header badge. It
    never names the moderator who sent it, nor anyone who reported the post.
    """

    __tablename__ = "member_notices"
    __privacy__ = Privacy(
        holds='private messages from moderators to a member',
        why='to tell a member kindly about moderation of their content',
        keep='deleted when the account closes')

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(24), default="message", nullable=False)  # message | hidden | warning | sanction
    body: Mapped[str] = mapped_column(Text, nullable=False)  # plain text, escaped on output
    link: Mapped[str | None] = mapped_column(String(200))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ResponseTemplate(db.Model):
    """Supportive message templates (following #chatsafe) moderators start from.

    Seeded from forum/review/data/templates.json; moderators and staff
    can edit them in the app, so wording improves without a deploy.
    """

    __tablename__ = "response_templates"
    __privacy__ = Privacy(
        holds='which staff member last edited a template',
        why='to maintain supportive wording',
        keep='while the template exists')

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(48), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class DebriefRequest(db.Model):
    """A moderator asking staff for a debrief after difficult content."""

    __tablename__ = "debrief_requests"
    __privacy__ = Privacy(
        holds="a moderator's request for a debrief and their note",
        why='moderator wellbeing',
        keep='KINDRED_RETAIN_AUDIT_YEARS years')

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DebriefStatus.OPEN, nullable=False)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Presence(db.Model):
    """A live Socket.IO connection of a moderator or staff member.

    Kept in the database (not process memory) so every web process and the
    job consumer agree on whether any moderator is online (out-of-hours mode).
    Rows are refreshed by a client heartbeat; stale rows count as offline.
    """

    __tablename__ = "presence"
    __privacy__ = Privacy(
        holds='which moderator or staff member is connected now',
        why='to know whether anyone is online for out-of-hours alerts',
        keep='until the connection ends; rows unseen for a day are removed by the deadline check')

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    namespace: Mapped[str] = mapped_column(String(16), nullable=False)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

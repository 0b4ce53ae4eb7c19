"""Members' data rights: account closure and erasure, data downloads, and
staff-handled subject-access requests (issue 20)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import Privacy, UTCDateTime, utcnow
from forum.models.user import User


class ClosureKind:
    CLOSE = "close"   # keep the posts, shown as "Former member"
    ERASE = "erase"   # delete what the member wrote
    ALL = (CLOSE, ERASE)


class ClosureStatus(StrEnum):
    PENDING = "pending"      # in the grace period: logging in cancels it
    CANCELLED = "cancelled"  # the member logged in again
    HELD = "held"            # done, except content a safeguarding hold keeps
    DONE = "done"


class AccountClosure(db.Model):
    """A member's request to close or erase their account.

    The row outlives the account on purpose: it is the tombstone the audit
    keeps (who asked, what, when), with no content and no handle.
    """

    __tablename__ = "account_closures"
    __privacy__ = Privacy(
        holds="which account asked to be closed or erased, and when",
        why="to carry out the request after the grace period and to show it was done",
        keep="for good, as a tombstone with no content (the account row it points to is emptied)")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=ClosureStatus.PENDING, nullable=False, index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # End of the grace period: the closure job runs at this time.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the old handle may be registered again (close and erase alike).
    handle_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    handle_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while a safeguarding hold keeps crisis cases and their content;
    # None with status "held" means "until the open case is resolved".
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ExportStatus(StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class DataExport(db.Model):
    """A "download my data" ZIP, built by a job and kept for a day."""

    __tablename__ = "data_exports"
    __privacy__ = Privacy(
        holds="a copy of everything the member wrote and their settings (the ZIP file on disk)",
        why="so the member can download their data",
        keep="KINDRED_EXPORT_HOURS hours, then the file and the row are deleted")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    # sha256 of the download token: a copy of the database gives no working link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.BUILDING, nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    filename: Mapped[str | None] = mapped_column(String(128))


class AccessRequest(db.Model):
    """A subject-access request handled by staff ("what do you hold about me?")."""

    __tablename__ = "access_requests"
    __privacy__ = Privacy(
        holds="which member asked for their data, when, the staff-held records added after review, and the reply date",
        why="to answer the request within the legal deadline and show that it was answered",
        keep="KINDRED_RETAIN_AUDIT_YEARS years, then reduced to a tombstone like the audit log")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # Staff-held records (notes, risk assessments) a staff member reviewed for
    # third-party data and decided to disclose; plain text, escaped on output.
    staff_records: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

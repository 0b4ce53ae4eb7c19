"""Accounts. Pseudonymous by design: a handle and a password, nothing more."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import Privacy, Role, UTCDateTime, utcnow


def _default_skeleton(context) -> str:
    from forum.auth.handles import skeleton

    return skeleton(context.get_current_parameters()["handle"])


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __privacy__ = Privacy(
        holds='handle, optional email, password hash, region, sign-up and consent times, sealed safety contact',
        why='to run the account (contract); health-data consent time as proof of explicit consent',
        keep="until the member closes or erases the account (KINDRED_CLOSURE_GRACE_DAYS days' grace); the handle stays reserved KINDRED_HANDLE_QUARANTINE_DAYS days")

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(32), nullable=False)
    # Case-folded copy with a unique index: "Sam" and "sam" are one handle.
    handle_key: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    # What the handle looks like (Unicode TR39 skeleton, forum.auth.handles):
    # unique, so no two accounts can look alike even when sign-ups race.
    # Filled on insert; NULL only for old look-alikes found by the migration.
    handle_skeleton: Mapped[str | None] = mapped_column(String(64), unique=True, default=_default_skeleton)
    # Optional, used only for password resets. Never shown to moderators.
    email: Mapped[str | None] = mapped_column(String(254))
    # The member's choice: an email (never with the message in it) when the
    # moderation team writes to them in a private conversation.
    email_team_messages: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER, nullable=False, index=True)
    region: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    age_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guidelines_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Explicit consent to process health information (UK/EU GDPR art. 9(2)(a)),
    # given at registration (or, for members who joined before it was asked,
    # at their next login); its time is the record of consent.
    health_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the member last said no: they may read and reach helplines, not
    # post, and are offered closing or erasing the account.
    health_consent_declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Posts a moderator approved or that published without a hold; drives
    # board pre-moderation ("first N posts are held") and restricted rooms.
    approved_post_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_deactivated: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Optional safety contact, sealed with Fernet. Only staff may open it,
    # through an audited break-glass action.
    safety_contact_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The member's own consent to keep the contact, recorded with it.
    safety_contact_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderators confirm they have read the resources page at onboarding.
    resources_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A moderator's current shift (the crisis-items counter and break prompt).
    shift_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login's id for this login ("<user id>:<token>"), set when the
    # session starts or is loaded (forum.auth.sessions); never the bare id.
    _login_id = None
    # This request's session row, and whether to record last-seen / rotate
    # the remember-me token after the view (forum.auth.sessions).
    _session_row_id = None
    _session_touch = False
    _session_rotate = False

    def get_id(self) -> str:
        if self._login_id is None:
            raise RuntimeError("log users in through forum.auth.sessions.begin(), which names the session")
        return self._login_id

    # -- roles ---------------------------------------------------------------
    def has_role(self, role: str) -> bool:
        """At least ``role`` in the member < moderator < staff < admin ladder."""
        return Role.RANK[self.role] >= Role.RANK[role]

    @property
    def is_moderator(self) -> bool:
        return self.has_role(Role.MODERATOR)

    @property
    def is_staff(self) -> bool:
        return self.has_role(Role.STAFF)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    # -- state ---------------------------------------------------------------
    def is_suspended(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.suspended_until is not None and self.suspended_until > now

    def is_silenced(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.is_suspended(now) or (self.silenced_until is not None and self.silenced_until > now)

    @property
    def needs_health_consent(self) -> bool:
        """No consent to health data on record (joined before it was asked):
        may read, may not post until they answer (forum.rights.consent)."""
        return self.health_consent_at is None

    @property
    def is_active(self) -> bool:  # Flask-Login: suspended members cannot log in
        return not self.is_deactivated and not self.is_suspended()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.handle!r} {self.role}>"


class UserSession(db.Model):
    """One login on one device. Flask-Login's user id is ``"<user id>:<token>"``
    (its alternative id), so revoking this row ends the session cookie and
    the remember-me cookie that carry it, wherever they were copied to."""

    __tablename__ = "user_sessions"
    __privacy__ = Privacy(
        holds='each login: a device label (no IP address), times',
        why='to keep members logged in and let them end sessions',
        keep='KINDRED_RETAIN_SESSIONS_DAYS days after the session ends')

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    # sha256 of the token: a copy of the database does not give working cookies.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # "Firefox on Android": a label from the user agent; no IP is kept.
    device: Mapped[str] = mapped_column(String(64), nullable=False)
    remember: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id} {self.device!r}>"

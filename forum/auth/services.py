"""Account use cases: register, authenticate, change password, roles.

One function per use case, one transaction each. Inputs are frozen
dataclasses; failures raise ``FieldErrors`` carrying member-facing
reasons keyed by form field, so views only translate them to form errors.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forum.errors import FieldErrors
from forum import audit, outbox
from forum.links import external_url
from forum.outbox import send_email
from forum.auth import sessions
from forum.auth import handles
from forum.auth.passwords import hash_password, verify_password
from forum.extensions import db
from forum.models import Role, User, utcnow
from moderation.patterns import compile_linear, register_globals

log = logging.getLogger(__name__)

HANDLE_MIN, HANDLE_MAX = 3, 32
# A reset link works for an hour, and only once: it carries a fingerprint of
# the password hash, so it dies as soon as the password changes.
RESET_MAX_AGE_SECONDS = 3600
PASSWORD_MIN = 10
# Letters (any script), digits, space and a little punctuation. "@" and "+"
# are allowed so that an email-like handle gets the *warning* below (a
# member may genuinely want "sky+sea") rather than a confusing refusal.
HANDLE_RE = compile_linear(r"^[\w][\w .'@+-]*[\w]$")

_EMAIL_RE = compile_linear(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_DIGITS = 7
# "Firstname Lastname": two capitalised words joined by a space, dot,
# underscore or hyphen. Deliberately narrow: a warning, never a block.
_FULL_NAME_RE = compile_linear(r"^[A-Z][a-z']+[ ._-][A-Z][a-z'-]+$")
# A dummy hash so an unknown handle costs the same time as a wrong password
# (no account enumeration by timing).
_DUMMY_HASH: dict[str, str] = {}


def email_problems(email: str | None) -> list[str]:
    """Why an optional email address can't be used (empty: it can)."""
    if email and not _EMAIL_RE.fullmatch(email):
        return ["That doesn't look like an email address. You can leave it empty."]
    return []


@dataclass(frozen=True)
class Registration:
    handle: str
    password: str
    email: str | None
    age_confirmed: bool
    guidelines_accepted: bool
    # The member saw the handle warnings and chose to keep the handle.
    keep_handle: bool = False
    region: str | None = None
    # Explicit consent to process health information (special category data).
    health_consent: bool = False


@dataclass(frozen=True)
class HandleCheck:
    problems: list[str] = field(default_factory=list)  # refuse
    warnings: list[str] = field(default_factory=list)  # ask to confirm


def normalise_handle(handle: str) -> str:
    """NFKC with plain spaces. Invisible characters are kept here, so that
    check_handle can refuse them rather than silently change the name."""
    return " ".join(unicodedata.normalize("NFKC", handle or "").split())


def handle_key(handle: str) -> str:
    return normalise_handle(handle).casefold()


_TAKEN = "Someone already uses that name, or one that looks just like it. Please choose another."
_RESERVED = ("Names that look like a staff or moderator role, Kindred itself or a helpline can't be used, "
             "so members always know who is speaking for the service. Please choose another.")


def _lookalike_problems(handle: str, *, allow_reserved: bool = False) -> list[str]:
    """Refusals for a handle that could pass for an existing account or for
    the service (reserved words), compared by TR39 skeleton."""
    if not allow_reserved and handles.reserved_word_in(handle):
        return [_RESERVED]
    if db.session.scalar(select(User.id).where(User.handle_skeleton.in_(handles.skeletons_to_check(handle)))):
        return [_TAKEN]
    return []


def check_handle(handle: str) -> HandleCheck:
    """Validate a handle and list the ways it might identify the member.

    Kindred is pseudonymous: people write about things they may not want
    linked to their name, employer or family. We can't know a real name,
    but an email address, a phone number or a "Firstname Lastname" shape
    are common accidents worth a gentle second look.
    """
    handle = normalise_handle(handle)
    problems: list[str] = []
    try:
        handles.normalise(handle)
    except handles.HandleRefused as exc:
        return HandleCheck([str(exc)], [])
    if not HANDLE_MIN <= len(handle) <= HANDLE_MAX:
        problems.append(f"Please choose a name between {HANDLE_MIN} and {HANDLE_MAX} characters long.")
    elif not HANDLE_RE.match(handle):
        problems.append("Please use letters, numbers, spaces, and . _ - ' only, starting and ending with a letter or number.")
    warnings: list[str] = []
    if _EMAIL_RE.search(handle):
        warnings.append("This looks like an email address. Other members would see it.")
    if sum(ch.isdigit() for ch in handle) >= _PHONE_DIGITS:
        warnings.append("This looks like it might contain a phone number. Other members would see it.")
    if _FULL_NAME_RE.match(handle):
        warnings.append("This looks like it could be a real first and last name. Many members prefer a nickname.")
    return HandleCheck(problems, warnings)


def check_password(password: str, handle: str = "") -> list[str]:
    problems = []
    if len(password) < PASSWORD_MIN:
        problems.append(f"Please use at least {PASSWORD_MIN} characters. A few words strung together works well.")
    elif handle and password.casefold() == handle.casefold():
        problems.append("Please choose a password that isn't the same as your name here.")
    return problems


def find_by_handle(handle: str) -> User | None:
    user = db.session.scalar(select(User).where(User.handle_key == handle_key(handle)))
    legacy = " ".join((handle or "").split()).casefold()
    if user is None and legacy != handle_key(handle):
        # Accounts made before handles were NFKC-normalised keep their old key.
        user = db.session.scalar(select(User).where(User.handle_key == legacy))
    return user


def register(reg: Registration) -> User:
    """Create a member account. Raises FieldErrors (with warnings to confirm
    under the ``handle_warning`` key) and commits on success."""
    errors: dict[str, list[str]] = {}
    handle = normalise_handle(reg.handle)
    check = check_handle(handle)
    if check.problems:
        errors["handle"] = check.problems
    elif check.warnings and not reg.keep_handle:
        errors["handle_warning"] = check.warnings
    if pw := check_password(reg.password, handle):
        errors["password"] = pw
    if not reg.age_confirmed:
        errors["age_confirmed"] = ["Kindred is for people aged 16 and over. If you're under 16, there are "
                                   "services just for young people (linked below this box)."]
    if not reg.guidelines_accepted:
        errors["guidelines_accepted"] = ["Please read and accept the community guidelines to join."]
    if not reg.health_consent:
        errors["health_consent"] = [
            "Kindred is a place to talk about mental health, so we can only hold what you write with your "
            "explicit agreement. Please read the privacy notice and tick the box to join."]
    email = (reg.email or "").strip() or None
    if problem := email_problems(email):
        errors["email"] = problem
    if not errors.get("handle") and find_by_handle(handle) is not None:
        errors["handle"] = ["Someone already uses that name. Please choose another."]
    elif not errors.get("handle") and (lookalike := _lookalike_problems(handle)):
        errors["handle"] = lookalike
        errors.pop("handle_warning", None)
    if errors:
        raise FieldErrors(errors)
    now = utcnow()
    user = User(handle=handle, handle_key=handle_key(handle), handle_skeleton=handles.skeleton(handle), email=email,
                password_hash=hash_password(reg.password), role=Role.MEMBER, region=reg.region,
                age_confirmed_at=now, guidelines_accepted_at=now, health_consent_at=now)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # two sign-ups raced for the same handle
        db.session.rollback()
        raise FieldErrors({"handle": [_TAKEN]}) from None
    return user


def authenticate(handle: str, password: str) -> User:
    """The account for these credentials, or FieldErrors (one vague message:
    never reveal which of handle and password was wrong)."""
    user = find_by_handle(handle)
    if user is None:
        if "h" not in _DUMMY_HASH:
            _DUMMY_HASH["h"] = hash_password("not a real password")
        verify_password(_DUMMY_HASH["h"], password)
        raise FieldErrors({"form": ["That name and password don't match an account. Please try again."]})
    if not verify_password(user.password_hash, password):
        raise FieldErrors({"form": ["That name and password don't match an account. Please try again."]})
    if user.is_deactivated:
        raise FieldErrors({"form": ["This account has been closed."]})
    if user.is_suspended():
        raise FieldErrors({"form": [
            "This account is suspended for now. If you need support in the meantime, "
            "the Get help now page lists services you can contact at any time."]})
    from forum.rights import erasure

    # Logging in during the grace period restores the account; the view says so.
    user.closure_cancelled = erasure.cancel_on_login(user) is not None
    user.last_seen_at = utcnow()
    db.session.commit()
    return user


class LoginThrottled(FieldErrors):
    """Too many failed logins for this account or address; try again later."""

    def __init__(self, seconds: int):
        minutes = math.ceil(seconds / 60)
        when = f"{seconds} seconds" if seconds < 60 else f"{minutes} minute{'s' if minutes > 1 else ''}"
        super().__init__({"form": [
            f"There have been several unsuccessful attempts to log in. Please wait {when} and try again. "
            "If you're struggling right now, the Get help now page lists services you can contact at any time."]})
        self.seconds = seconds


# A device where this account has logged in before carries a signed cookie;
# its failures are counted apart from everyone else's, so nobody who lacks
# it can make the account wait there (OWASP "device cookies").
DEVICE_COOKIE = "kindred_device"
DEVICE_MAX_AGE_SECONDS = 90 * 24 * 3600


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kindred-known-device")


def _device_mac(user: User, nonce: str) -> str:
    # Keyed, so the cookie names no account to whoever holds the device.
    return hmac.new(current_app.secret_key.encode(), f"{user.id}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def device_token(user: User) -> str:
    nonce = secrets.token_urlsafe(12)
    return _device_serializer().dumps({"n": nonce, "m": _device_mac(user, nonce)})


def _known_device(token: str | None, user: User | None) -> str | None:
    """The device's nonce when ``token`` is this account's device cookie."""
    if not token or user is None:
        return None
    try:
        data = _device_serializer().loads(token, max_age=DEVICE_MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    return data["n"] if hmac.compare_digest(str(data.get("m")), _device_mac(user, data["n"])) else None


def log_in(handle: str, password: str, address: str, device: str | None = None) -> User:
    """authenticate() behind the failed-login throttle (forum.auth.throttle).

    Unknown handles are throttled like members' accounts, so the wait never
    tells anyone whether a name exists. On a known device (``device``, the
    cookie from device_token) the account's failures are counted for that
    device alone."""
    from forum.auth import throttle

    key = handle_key(handle)
    account = find_by_handle(handle)
    privileged = account is not None and account.is_moderator
    if (nonce := _known_device(device, account)) is not None:
        address, privileged = f"device:{nonce}", True
    wait = throttle.wait_seconds(key, address, privileged)
    if wait:
        raise LoginThrottled(wait)
    try:
        user = authenticate(handle, password)
    except FieldErrors:
        throttle.record_failure(key, address, privileged)
        raise
    throttle.record_success(key, address, privileged)
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise FieldErrors({"current_password": ["That isn't your current password."]})
    if problems := check_password(new, user.handle):
        raise FieldErrors({"new_password": problems})
    user.password_hash = hash_password(new)
    # Whoever else had this account (a shared phone, a copied cookie) is out now.
    sessions.end_all(user, "password_change", keep_current=True)
    db.session.commit()


def create_user(handle: str, password: str, role: str, actor: User | None = None) -> User:
    """Create an account with a role (CLI, seeding). Audited, committed."""
    if role not in Role.ALL:
        raise FieldErrors({"role": [f"Unknown role {role!r}; choose one of {', '.join(Role.ALL)}."]})
    handle = normalise_handle(handle)
    problems = check_handle(handle).problems + check_password(password, handle)
    if find_by_handle(handle) is not None:
        problems.append(f"The handle {handle!r} is taken.")
    elif not problems:
        # Staff and moderators may carry a role word; a member's account may not.
        problems += _lookalike_problems(handle, allow_reserved=role != Role.MEMBER)
    if problems:
        raise FieldErrors({"handle": problems})
    now = utcnow()
    user = User(handle=handle, handle_key=handle_key(handle), handle_skeleton=handles.skeleton(handle),
                password_hash=hash_password(password), role=role, age_confirmed_at=now, guidelines_accepted_at=now)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", target_type="user", target_id=user.id, role=role, via="cli")
    db.session.commit()
    return user


def set_role(user: User, role: str, actor: User | None = None, reason: str | None = None) -> None:
    if role not in Role.ALL:
        raise FieldErrors({"role": [f"Unknown role {role!r}; choose one of {', '.join(Role.ALL)}."]})
    old = user.role
    user.role = role
    sessions.end_all(user, "role_change")
    audit.record(actor, "user.role_change", target_type="user", target_id=user.id, reason=reason,
                 old=old, new=role, via="cli")
    db.session.commit()


# -- password reset by email ---------------------------------------------------

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kindred-password-reset")


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def password_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def password_reset_available() -> bool:
    """Resets need outgoing mail; without SMTP the page says so plainly."""
    return bool(current_app.config.get("SMTP_HOST"))


def request_password_reset(email: str) -> None:
    """Queue a reset email for every open account using ``email``.

    The request only writes an outbox row, whether or not an account
    matches; the job queue looks the address up and sends the mail. Both
    answers take the same path and time, so neither the page nor its timing
    tells anyone who is a member.
    """
    address = (email or "").strip()
    if not address or not password_reset_available():
        return
    outbox.add("password_reset", email=address)
    db.session.commit()


@outbox.handler("password_reset", scrub=True)
def _password_reset(payload: dict[str, Any]) -> None:
    send_password_reset_emails(payload["email"])


def send_password_reset_emails(email: str) -> int:
    """Email a reset link to each open account using ``email`` (job queue).

    A mail failure raises, so the outbox retries the row.
    """

    accounts = db.session.scalars(
        select(User).where(db.func.lower(User.email) == email.lower(), User.is_deactivated.is_(False))).all()
    for user in accounts:
        link = external_url("auth.reset_password", token=password_reset_token(user))
        body = (
            f"Hello {user.handle},\n\n"
            "Someone asked to reset the password of your Kindred account. If it was you, open this link "
            f"within the hour to choose a new password:\n\n{link}\n\n"
            "If it wasn't you, you can ignore this email: your password has not changed.\n\n"
            "Kindred is peer support, not a crisis service. If you need help now, the Get help now page "
            "on the site lists helplines you can contact at any time.\n")
        send_email("Reset your Kindred password", body, [user.email])
    return len(accounts)


def reset_password(token: str, new: str) -> User:
    """Set a new password from a reset link (single use, one hour)."""
    expired = FieldErrors({"form": [
        "This link has expired or has already been used. You can ask for a new one below."]})
    try:
        data = _reset_serializer().loads(token, max_age=RESET_MAX_AGE_SECONDS)
    except BadSignature:
        raise expired from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.is_deactivated or data.get("p") != _password_fingerprint(user):
        raise expired
    if problems := check_password(new, user.handle):
        raise FieldErrors({"new_password": problems})
    user.password_hash = hash_password(new)
    sessions.end_all(user, "password_reset")
    db.session.commit()
    return user


register_globals(__name__, globals())

"""Login sessions that can be ended: one ``user_sessions`` row per login.

Flask-Login stores ``"<user id>:<token>"`` as the user id (its "alternative
id") in the session cookie and in the remember-me cookie. The loader
accepts it only while the row behind the token is open, so revoking the row
ends that login everywhere a copy of either cookie went: the cookie is
signed, but a signature says nothing about whether the login still stands.

Rows are revoked on logout (this device), password change (every other
device), password reset, role change, suspension, account closure and "log
out everywhere" (every device). The remember-me token rotates each time the
cookie logs the member back in, so a copied cookie dies when the member's
own browser next uses it. Sockets opened by a revoked login are told
(``session_ended``) and disconnected: at once in the process that revoked
it; in any other (another server, or ``flask users set-role``) at the
socket's next event or by that server's sweeper, within ``CHECK_SECONDS``.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_login import current_user, user_loaded_from_cookie
from flask_socketio import emit, join_room
from sqlalchemy import select, update

from forum.after_commit import call_after_commit
from forum.extensions import db, socketio
from forum.models import User, UserSession
from forum.models import base as clock
from moderation.patterns import compile_linear, escape, register_globals

log = logging.getLogger(__name__)

# A socket's login is re-checked this often (one query per process, not per socket).
CHECK_SECONDS = 1.0
# last_seen_at is approximate by design; writing it on every request would cost a write per page.
TOUCH_EVERY = timedelta(minutes=5)
ACK_GRACE_SECONDS = 0.2
SOCKET_NAMESPACES = ("/chat", "/mod", "/staff")
ENDED_MESSAGE = ("You've been signed out on this device. Anything you were writing is still here; "
                 "log in again to send it.")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _split(login_id: str) -> tuple[int, str] | None:
    user_id, sep, token = (login_id or "").partition(":")
    if not sep or not user_id.isdigit() or not token:
        return None
    return int(user_id), token


def _lifetime(remember: bool) -> timedelta:
    cfg = current_app.config
    if remember:
        return timedelta(days=cfg["KINDRED_REMEMBER_DAYS"])
    return timedelta(hours=cfg["KINDRED_SESSION_IDLE_HOURS"])


# -- device labels --------------------------------------------------------------

_BROWSERS = (("Edg", "Edge"), ("OPR", "Opera"), ("Firefox", "Firefox"), ("FxiOS", "Firefox"),
             ("CriOS", "Chrome"), ("Chrome", "Chrome"), ("Chromium", "Chromium"), ("Safari", "Safari"),
             ("python", "An app"), ("curl", "An app"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("CrOS", "ChromeOS"),
            ("Windows", "Windows"), ("Mac OS X", "Mac"), ("Macintosh", "Mac"), ("Linux", "Linux"))


_BROWSER_KEYS = tuple((compile_linear(escape(key), re.IGNORECASE), name) for key, name in _BROWSERS)


def device_label(user_agent: str | None) -> str:
    """"Firefox on Android" from a user agent; coarse on purpose (no versions)."""
    ua = user_agent or ""
    browser = next((name for key, name in _BROWSER_KEYS if key.search(ua)),
                   "A browser")
    system = next((name for key, name in _SYSTEMS if key in ua), None)
    return f"{browser} on {system}" if system else browser


# -- starting, loading, ending ---------------------------------------------------

def begin(user: User, *, remember: bool = False, user_agent: str | None = None) -> str:
    """Open a login session for ``user`` (commits) and return its login id;
    call before ``flask_login.login_user(user, remember=...)``."""
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    row = UserSession(user_id=user.id, token_hash=_hash(token), device=device_label(user_agent)[:64],
                      remember=remember, created_at=now, last_seen_at=now, expires_at=now + _lifetime(remember))
    db.session.add(row)
    db.session.commit()
    user._login_id = f"{user.id}:{token}"
    user._session_row_id = row.id
    return user._login_id


def login_id(user: User, *, remember: bool = False, user_agent: str = "pytest") -> str:
    """A working Flask-Login id for ``user`` (tests put it in ``session["_user_id"]``)."""
    return begin(user, remember=remember, user_agent=user_agent)


def load(login_id: str) -> User | None:
    """Flask-Login's user loader: the account, if this login is still open."""
    parts = _split(login_id)
    if parts is None:
        return None  # includes the bare ids of cookies issued before sessions could end
    user_id, token = parts
    found = db.session.execute(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _hash(token), User.id == user_id)).first()
    if found is None:
        return None
    user, row = found
    now = clock.utcnow()
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    user._login_id = login_id
    user._session_row_id = row.id
    user._session_touch = now - row.last_seen_at >= TOUCH_EVERY
    return user


def _request_user() -> User | None:
    # The user Flask-Login loaded for this request (per-request state lives on it).
    return g.get("_login_user")


def current_session_id() -> int | None:
    return getattr(_request_user(), "_session_row_id", None)


def _revoke(where: Any, reason: str) -> list[str]:
    """Revoke open rows matching ``where``; close their sockets after commit."""
    hashes = list(db.session.scalars(select(UserSession.token_hash).where(where, UserSession.revoked_at.is_(None))))
    if hashes:
        db.session.execute(update(UserSession).where(UserSession.token_hash.in_(hashes))
                           .values(revoked_at=clock.utcnow(), revoked_reason=reason)
                           .execution_options(synchronize_session=False))
        app = current_app._get_current_object()
        call_after_commit(lambda: _close_sockets(app, hashes))
    return hashes


def end_current(reason: str = "logout") -> None:
    """Log out: end this device's session (and its remember-me cookie). Commits."""
    if (row_id := current_session_id()) is not None:
        _revoke(UserSession.id == row_id, reason)
    db.session.commit()


def end_all(user: User, reason: str, *, keep_current: bool = False) -> int:
    """End every session of ``user`` (all but this one with ``keep_current``).

    Joins the caller's transaction: the caller commits, and the sockets
    close after that commit."""
    where = UserSession.user_id == user.id
    if keep_current and (row_id := current_session_id()) is not None:
        where = where & (UserSession.id != row_id)
    return len(_revoke(where, reason))


def active(user: User) -> list[UserSession]:
    now = clock.utcnow()
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc())))


def approximate(when: datetime, now: datetime | None = None) -> str:
    """"Active now", "Today", "3 days ago": enough to spot a device, no more."""
    age = (now or clock.utcnow()) - when
    if age < timedelta(minutes=15):
        return "Active now"
    if age < timedelta(days=1):
        return "Today"
    if age < timedelta(days=2):
        return "Yesterday"
    if age < timedelta(days=14):
        return f"{age.days} days ago"
    return f"{age.days // 7} weeks ago"


# -- after each request: last seen, remember-me rotation ----------------------------

def _rotate_on_cookie_login(_app: Flask, user: User) -> None:
    user._session_rotate = True


def _after_request(response: Any) -> Any:
    """Record last-seen and rotate a used remember-me token, once the view has
    finished with the database (never mid-transaction)."""
    user = _request_user()
    row_id = getattr(user, "_session_row_id", None)
    rotate = getattr(user, "_session_rotate", False)
    if row_id is None or not (rotate or getattr(user, "_session_touch", False)):
        return response
    user._session_rotate = user._session_touch = False
    if db.session.new or db.session.dirty or db.session.deleted:
        return response  # the view left work uncommitted; don't commit it here
    now = clock.utcnow()
    row = db.session.get(UserSession, row_id)
    if row is None or row.revoked_at is not None:
        return response
    row.last_seen_at = now
    row.expires_at = now + _lifetime(row.remember)
    if rotate and session.get("_user_id"):
        token = secrets.token_urlsafe(32)
        old_hash, row.token_hash = row.token_hash, _hash(token)
        session["_user_id"] = user._login_id = f"{row.user_id}:{token}"
        session["_remember"] = "set"  # Flask-Login writes the new cookie after this hook
        _rename_sockets(old_hash, row.token_hash)
    db.session.commit()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_after_request)
    user_loaded_from_cookie.connect(_rotate_on_cookie_login, app)


# -- sockets ----------------------------------------------------------------------

_lock = threading.Lock()
_by_sid: dict[tuple[str, str], str] = {}     # (sid, namespace) -> token hash
_ended: set[str] = set()                     # token hashes known revoked
_checked = 0.0


def _room(token_hash: str) -> str:
    return f"login:{token_hash[:32]}"


def track_socket(namespace: str) -> None:
    """At connect, with ``current_user`` logged in: remember which login this
    socket belongs to, so ending the login closes it."""
    parts = _split(getattr(current_user._get_current_object(), "_login_id", None) or "")
    if parts is None:
        return
    token_hash = _hash(parts[1])
    with _lock:
        _by_sid[(request.sid, namespace)] = token_hash
    join_room(_room(token_hash))


def untrack_socket(namespace: str) -> None:
    with _lock:
        _by_sid.pop((request.sid, namespace), None)


def _rename_sockets(old_hash: str, new_hash: str) -> None:
    with _lock:
        for key, value in _by_sid.items():
            if value == old_hash:
                _by_sid[key] = new_hash


def _refresh() -> None:
    """Learn, once per CHECK_SECONDS, which tracked logins were ended by any process."""
    global _checked
    with _lock:
        if time.monotonic() - _checked < CHECK_SECONDS:
            return
        _checked = time.monotonic()
        live = set(_by_sid.values()) - _ended
        _ended.intersection_update(_by_sid.values())  # forget logins with no socket here
    if not live:
        return
    now = clock.utcnow()
    still_open = set(db.session.scalars(select(UserSession.token_hash).where(
        UserSession.token_hash.in_(live), UserSession.revoked_at.is_(None), UserSession.expires_at > now)))
    dead = live - still_open
    if dead:
        with _lock:
            _ended.update(dead)


def socket_alive(namespace: str) -> bool:
    """Whether this socket's login is still open (checked at most once a second)."""
    token_hash = _by_sid.get((request.sid, namespace))
    if token_hash is None:
        return True  # not logged in at connect: the handlers' own checks apply
    if token_hash not in _ended:
        _refresh()
    return token_hash not in _ended


def end_socket(namespace: str) -> dict[str, Any]:
    """Tell this socket its login ended, close it, and answer the event."""
    emit("session_ended", {"message": ENDED_MESSAGE})
    untrack_socket(namespace)
    sid = request.sid

    def close() -> None:
        socketio.sleep(ACK_GRACE_SECONDS)  # let the refusal below reach the client first
        socketio.server.disconnect(sid, namespace=namespace)

    socketio.start_background_task(close)
    return {"ok": False, "error": "session_ended", "message": ENDED_MESSAGE}


def _close_sockets(app: Flask, hashes: list[str]) -> None:
    """After a revocation commits: tell every socket of these logins, in every
    process (rooms go through the message queue), and close this process's."""
    with _lock:
        _ended.update(hashes)
        local = [key for key, value in _by_sid.items() if value in hashes]
        for key in local:
            _by_sid.pop(key, None)
    for token_hash in hashes:
        for namespace in SOCKET_NAMESPACES:
            socketio.emit("session_ended", {"message": ENDED_MESSAGE}, namespace=namespace, to=_room(token_hash))
    for sid, namespace in local:
        socketio.server.disconnect(sid, namespace=namespace)


def start_sweeper(app: Flask) -> None:
    """In a serving process: close, within ``CHECK_SECONDS``, the sockets whose
    login another process ended, even if they never send another event."""

    def sweep() -> None:
        while True:
            socketio.sleep(CHECK_SECONDS)
            try:
                with app.app_context():
                    _refresh()
                    db.session.remove()
                with _lock:
                    dead = [key for key, value in _by_sid.items() if value in _ended]
                    for key in dead:
                        _by_sid.pop(key, None)
                for sid, namespace in dead:
                    socketio.emit("session_ended", {"message": ENDED_MESSAGE}, namespace=namespace, to=sid)
                    socketio.server.disconnect(sid, namespace=namespace)
            except Exception:  # noqa: BLE001 - the sweeper must outlive a database hiccup
                log.exception("session sweeper failed; retrying")

    socketio.start_background_task(sweep)


register_globals(__name__, globals())

"""The ``/chat`` Socket.IO namespace: parse events, call services, reply.

Every event re-checks permissions on the server (through the services);
nothing the browser claims about itself is trusted. Replies are acks:
``{"ok": True, ...}`` or ``{"ok": False, "error": code, "message": text}``.
The client keeps the member's text in the input box until an ``ok`` ack.
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room, leave_room

from forum import dbretry
from forum.auth import sessions
from forum.chat import services
from forum.chat.services import ChatError, room_key
from forum.extensions import db
from forum.realtime import origin_allowed
from forum.web import DB_INT_MAX, current_region

log = logging.getLogger(__name__)

SERVER_ERROR = {"ok": False, "error": "server",
                "message": "Something went wrong on our side. Your text is kept; please try again."}


def _state() -> Any:
    return current_app.extensions["kindred_chat"]


UNAVAILABLE = {"ok": False, "error": "server",
               "message": "We couldn't reach our database just now. Your text is kept; please try again in a moment."}


def handler(fn: Callable[..., Any] | None = None, *, repeatable: bool = False) -> Any:
    """Turn domain errors into acks and never leak a stack trace to a client.

    ``repeatable`` events (reads, and sends, which are idempotent on their
    client id) are run again when the database connection was lost, for at
    most ``KINDRED_DB_READ_RETRY_SECONDS``; after that the client gets a
    retryable error and keeps the text and its id (static/js/chat.js).
    """
    if fn is None:
        return functools.partial(handler, repeatable=repeatable)

    @functools.wraps(fn)
    def wrapper(self: Any, data: Any = None) -> Any:
        if not isinstance(data, dict):
            data = {}
        backoff = dbretry.Backoff(current_app.config["KINDRED_DB_READ_RETRY_SECONDS"])
        while True:
            try:
                if not sessions.socket_alive(self.namespace):  # logged out, or ended from another device
                    return sessions.end_socket(self.namespace)
                self._attach_user()
                return fn(self, data)
            except ChatError as exc:
                db.session.rollback()
                return exc.to_dict()
            except Exception as exc:  # noqa: BLE001
                _rollback()
                if dbretry.is_transient_error(exc):
                    pause = backoff.pause() if repeatable else None
                    if pause is not None:
                        time.sleep(pause)
                        continue
                    log.warning("chat event %s: database unavailable: %s", fn.__name__, exc)
                    return UNAVAILABLE
                log.exception("chat event %s failed", fn.__name__)
                return SERVER_ERROR

    return wrapper


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the next attempt takes a new one
        db.session.close()


def _int(value: Any, field: str = "number") -> int | None:
    """An id or count from an event; None when absent or not a number.

    A number outside 0..DB_INT_MAX is refused with a clear error here:
    passed on, the database would fail on it and the member would see a
    server error.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value) if len(value) <= len(str(DB_INT_MAX)) else DB_INT_MAX + 1
    if isinstance(value, int):
        if not 0 <= value <= DB_INT_MAX:
            raise ChatError("bad_request", f"This request had a number out of range ({field}). Please reload "
                                           "the page; any text you wrote is kept.", field=field)
        return value
    return None


def _ids(value: Any, field: str) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > services.MAX_SHOWN_IDS:
        raise ChatError("bad_request", f"This request had a list we can't use ({field}). Please reload the page.",
                        field=field)
    return [n for n in (_int(v, field) for v in value) if n is not None]


def _require_login() -> None:
    if not current_user.is_authenticated:
        raise ChatError("not_authenticated", "Please log in to take part in chat.")


class ChatNamespace(Namespace):
    """One instance per server process; per-socket state is keyed by sid."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self._joined: dict[str, set[int]] = {}
        self._lock = threading.Lock()
        # Who is behind each socket, from the session cookie at connect. The
        # handshake's cookie is the socket's for its whole life, so reading it
        # again for every event could only give the same answer.
        self._users: dict[str, int] = {}

    def _attach_user(self) -> None:
        """Make ``current_user`` the socket's member without Flask-Login
        loading the row again (``forum.chat.cache.UserViews``). Chat events
        only read the member (ids, role, limits), so a cached, detached copy
        serves; a send then needs no database session in this thread."""
        user_id = self._users.get(request.sid)
        if user_id is not None:
            user = _state().users.get(user_id)
            if user is not None:
                g._login_user = user

    # -- connection ----------------------------------------------------------------
    def on_connect(self, auth: Any = None) -> bool:
        # Cross-site WebSocket hijacking: a hostile page could open a socket
        # carrying the member's cookies; only allowed origins may connect.
        if not origin_allowed():
            log.warning("chat connection refused: origin %r", request.headers.get("Origin"))
            return False
        if current_user.is_authenticated:
            sessions.track_socket(self.namespace)
            self._users[request.sid] = current_user.id
            join_room(services.user_key(current_user.id))
            if current_user.is_moderator:
                join_room(services.MODERATORS_ROOM)
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        sessions.untrack_socket(self.namespace)
        self._users.pop(request.sid, None)
        with self._lock:
            rooms = self._joined.pop(request.sid, set())
        for room_id in rooms:
            self._announce_presence(room_id, _state().presence.leave(room_id, request.sid))

    def _announce_presence(self, room_id: int, count: int) -> None:
        emit("presence", {"room": room_id, "count": count}, to=room_key(room_id))

    # -- rooms ---------------------------------------------------------------------
    @handler(repeatable=True)
    def on_join(self, data: dict[str, Any]) -> dict[str, Any]:
        """Enter a room. ``after``: the last id the client saw (catch-up after a
        reconnect); ``shown``: the ids it shows, of which ``removed`` names
        those the member may no longer read (hidden while it was away)."""
        room = services.enter_room(current_user, _int(data.get("room"), "room"))
        after = _int(data.get("after"), "after")
        shown = _ids(data.get("shown"), "shown")
        page = services.history(room, current_user, after=after)
        removed = services.no_longer_readable(room, current_user, shown)
        state = services.room_state(room)
        db.session.rollback()  # end the read transaction before waiting on the network
        join_room(room_key(room.id))
        with self._lock:
            first = room.id not in self._joined.setdefault(request.sid, set())
            self._joined[request.sid].add(room.id)
        count = _state().presence.join(room.id, request.sid) if first else _state().presence.count(room.id)
        if first:
            self._announce_presence(room.id, count)
        return {"ok": True, "state": state, "presence": count, "removed": removed, **page}

    @handler
    def on_leave(self, data: dict[str, Any]) -> dict[str, Any]:
        room_id = _int(data.get("room"), "room")
        with self._lock:
            joined = room_id in self._joined.get(request.sid, set())
            self._joined.get(request.sid, set()).discard(room_id)
        if joined:
            leave_room(room_key(room_id))
            self._announce_presence(room_id, _state().presence.leave(room_id, request.sid))
        return {"ok": True}

    @handler(repeatable=True)
    def on_history(self, data: dict[str, Any]) -> dict[str, Any]:
        room = services.enter_room(current_user, _int(data.get("room"), "room"))
        return {"ok": True, **services.history(room, current_user, before=_int(data.get("before"), "before"),
                                               after=_int(data.get("after"), "after"))}

    @handler(repeatable=True)
    def on_sync(self, data: dict[str, Any]) -> dict[str, Any]:
        room = services.enter_room(current_user, _int(data.get("room"), "room"))
        return {"ok": True, **services.readable_ids(room, current_user, _int(data.get("after"), "after") or 0)}

    # -- messages -------------------------------------------------------------------
    @handler(repeatable=True)
    def on_send(self, data: dict[str, Any]) -> dict[str, Any]:
        _require_login()
        cmd = services.SendMessage(
            room_id=_int(data.get("room"), "room"), client_id=data.get("client_id"), text=data.get("text"),
            anonymous=data.get("anonymous") is True, reply_to_id=_int(data.get("reply_to"), "reply_to"),
            region=current_region())
        return services.submit_message(current_user._get_current_object(), cmd, _state().writer)

    @handler
    def on_support(self, data: dict[str, Any]) -> dict[str, Any]:
        _require_login()
        return services.toggle_support(current_user._get_current_object(), _int(data.get("id"), "id"))

    @handler
    def on_typing(self, data: dict[str, Any]) -> dict[str, Any]:
        """Someone is typing: no name is sent, in keeping with count-only presence."""
        room_id = _int(data.get("room"), "room")
        if current_user.is_authenticated and room_id in self._joined.get(request.sid, set()):
            emit("typing", {"room": room_id}, to=room_key(room_id), include_self=False)
        return {"ok": True}

    # -- moderator controls -------------------------------------------------------------
    @handler
    def on_hide(self, data: dict[str, Any]) -> dict[str, Any]:
        msg = services.hide_message(current_user._get_current_object(), _int(data.get("id"), "id"), data.get("note"))
        return {"ok": True, "id": msg.id}

    @handler
    def on_mute(self, data: dict[str, Any]) -> dict[str, Any]:
        mute = services.mute_member(current_user._get_current_object(), _int(data.get("id"), "id"),
                                    _int(data.get("minutes"), "minutes"), data.get("reason"))
        return {"ok": True, "until": mute.until.isoformat()}

    @handler
    def on_slow(self, data: dict[str, Any]) -> dict[str, Any]:
        room = services.set_slow_mode(current_user._get_current_object(), _int(data.get("room"), "room"),
                                      _int(data.get("seconds"), "seconds"))
        return {"ok": True, "slow_mode": room.slow_mode_seconds}

    @handler
    def on_lock(self, data: dict[str, Any]) -> dict[str, Any]:
        room = services.set_locked(current_user._get_current_object(), _int(data.get("room"), "room"),
                                   data.get("locked") is True, data.get("reason"))
        return {"ok": True, "locked": room.is_locked}

    @handler
    def on_pin(self, data: dict[str, Any]) -> dict[str, Any]:
        room = services.pin_message(current_user._get_current_object(), _int(data.get("room"), "room"),
                                    _int(data.get("id"), "id"))
        return {"ok": True, "pinned": room.pinned_message_id}

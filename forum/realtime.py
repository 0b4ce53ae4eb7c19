"""Shared Socket.IO guards: authenticated connections from allowed origins.

Socket.IO connections carry the Flask-Login session cookie, so the connect
handler can read ``current_user``. A connection without a logged-in user,
with too low a role, or from a foreign Origin is refused: the Origin check
stops cross-site WebSocket hijacking (a hostile page opening a socket with
the member's cookies).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user


def origin_allowed() -> bool:
    """True when the handshake's Origin is configured or the same host.

    A missing Origin (non-browser clients such as python-socketio) is
    allowed: those clients cannot carry a victim's cookies cross-site.
    """
    origin = request.headers.get("Origin")
    if not origin:
        return True
    allowed = current_app.config.get("KINDRED_ALLOWED_ORIGINS") or []
    if origin in allowed:
        return True
    if allowed:
        return False
    return urlsplit(origin).netloc == request.host


def connection_allowed(role: str | None = None) -> bool:
    """Whether the current handshake may connect (origin, login, role)."""
    if not origin_allowed():
        return False
    if not current_user.is_authenticated:
        return False
    if role is not None and not current_user.has_role(role):
        return False
    return True


def authenticated_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for Socket.IO event handlers: drop events from anonymous sockets."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from forum.auth import sessions

        if not sessions.socket_alive(request.namespace):
            return sessions.end_socket(request.namespace)
        if not current_user.is_authenticated:
            return {"ok": False, "error": "not_authenticated"}
        return fn(*args, **kwargs)

    return wrapper

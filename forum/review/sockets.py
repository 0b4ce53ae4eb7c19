"""Socket.IO namespaces for moderators (/mod) and staff (/staff).

Connections are authenticated with the Flask-Login session and checked
against the allowed origins (forum.realtime); others are refused. Each live
connection is recorded in the ``presence`` table, so every process knows
whether a moderator is online (out-of-hours mode). Clients send a heartbeat
every 30 s; the server answers with the live counters. (Each handler runs
in its own app context, so its database session is cleaned up by
Flask-SQLAlchemy's teardown.)
"""
from __future__ import annotations

import logging

from flask import request
from flask_login import current_user
from flask_socketio import join_room

from forum.extensions import socketio
from forum.models import Role
from forum.auth import sessions
from forum.realtime import authenticated_only, connection_allowed
from forum.review import services

log = logging.getLogger(__name__)
ROOMS = {"/mod": ("mod", Role.MODERATOR), "/staff": ("staff", Role.STAFF)}


def _connect(namespace: str) -> bool:
    room, role = ROOMS[namespace]
    if not connection_allowed(role):
        return False
    join_room(room)
    sessions.track_socket(namespace)
    services.record_presence(request.sid, current_user.id, namespace)
    socketio.emit("counters", services.counters(), namespace=namespace, to=request.sid)
    return True


def _disconnect(namespace: str) -> None:
    sessions.untrack_socket(namespace)
    services.drop_presence(request.sid)


def _heartbeat(namespace: str) -> dict:
    services.record_presence(request.sid, current_user.id, namespace)
    return services.counters()


def _sync(namespace: str, data: object) -> dict:
    data = data if isinstance(data, dict) else {}
    after = data.get("after")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        return {"ok": False, "error": "bad_after"}
    if namespace == "/staff":
        return {"ok": True, "cases": services.missing_open_cases(after, data.get("shown"))}
    return {"ok": True, "items": services.missing_open_items(after, data.get("shown"))}


def _register(namespace: str) -> None:
    """Connect, disconnect and heartbeat handlers for one namespace."""
    socketio.on_event("connect", lambda auth=None: _connect(namespace), namespace=namespace)
    socketio.on_event("disconnect", lambda *_args: _disconnect(namespace), namespace=namespace)
    socketio.on_event("heartbeat", authenticated_only(lambda *_args: _heartbeat(namespace)), namespace=namespace)
    socketio.on_event("sync", authenticated_only(lambda data=None: _sync(namespace, data)), namespace=namespace)


for _namespace in ROOMS:
    _register(_namespace)

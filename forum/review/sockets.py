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
from forum.realtime import authenticated_only, connection_allowed
from forum.review import services

log = logging.getLogger(__name__)
ROOMS = {"/mod": ("mod", Role.MODERATOR), "/staff": ("staff", Role.STAFF)}


def _connect(namespace: str) -> bool:
    room, role = ROOMS[namespace]
    if not connection_allowed(role):
        return False
    join_room(room)
    services.record_presence(request.sid, current_user.id, namespace)
    socketio.emit("counters", services.counters(), namespace=namespace, to=request.sid)
    return True


def _disconnect(namespace: str) -> None:
    services.drop_presence(request.sid)


def _heartbeat(namespace: str) -> dict:
    services.record_presence(request.sid, current_user.id, namespace)
    return services.counters()


@socketio.on("connect", namespace="/mod")
def mod_connect(auth=None):  # noqa: ANN001 - Socket.IO signature
    return _connect("/mod")


@socketio.on("disconnect", namespace="/mod")
def mod_disconnect(*_args):  # noqa: ANN002
    _disconnect("/mod")


@socketio.on("heartbeat", namespace="/mod")
@authenticated_only
def mod_heartbeat(*_args):  # noqa: ANN002
    return _heartbeat("/mod")


@socketio.on("connect", namespace="/staff")
def staff_connect(auth=None):  # noqa: ANN001
    return _connect("/staff")


@socketio.on("disconnect", namespace="/staff")
def staff_disconnect(*_args):  # noqa: ANN002
    _disconnect("/staff")


@socketio.on("heartbeat", namespace="/staff")
@authenticated_only
def staff_heartbeat(*_args):  # noqa: ANN002
    return _heartbeat("/staff")

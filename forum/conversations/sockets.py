"""The member's own Socket.IO namespace (/me): live notices meant for one person.

Each logged-in member joins a room of their own; nothing is ever broadcast
here. The events carry no message text, only that the team has written.
"""
from __future__ import annotations

from flask_login import current_user
from flask_socketio import join_room

from forum.auth import sessions
from forum.conversations.services import member_room
from forum.extensions import socketio
from forum.realtime import connection_allowed

NAMESPACE = "/me"


def _connect(auth=None) -> bool:
    if not connection_allowed():
        return False
    join_room(member_room(current_user.id))
    sessions.track_socket(NAMESPACE)
    return True


def _disconnect(*_args) -> None:
    sessions.untrack_socket(NAMESPACE)


socketio.on_event("connect", _connect, namespace=NAMESPACE)
socketio.on_event("disconnect", _disconnect, namespace=NAMESPACE)

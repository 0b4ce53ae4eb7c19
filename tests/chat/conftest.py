"""Chat fixtures: rooms made through the service, and Socket.IO test
clients that carry a real Flask-Login session cookie."""
from __future__ import annotations

import itertools

import pytest
from flask import g

from forum.auth.sessions import login_id
from forum.chat import services
from forum.extensions import socketio

_ids = itertools.count()


def client_id() -> str:
    return f"test-client-{next(_ids):06d}"


@pytest.fixture(scope="session")
def app_config(app_config):
    # Flask-SocketIO's test client cannot run over a message queue; the Redis
    # path is covered by tests/test_scaleout_chat.py with real processes.
    # Per-member limits are tested on their own (test_rate_limit_...).
    return {**app_config, "REDIS_URL": None, "KINDRED_CHAT_LIMIT": ""}


@pytest.fixture()
def room(app, users):
    return services.create_room(users["staff"], services.RoomInput(
        name="Evening check-in", slug="evening", description="How was today?",
        guidelines="Be kind.", access="members"))


class _Client:
    """A Socket.IO test client that loads its own user for every event.

    The tests run inside one app context, which the handlers' request
    contexts reuse; Flask-Login caches the loaded user on ``g`` there, so
    without this every client would act as whoever emitted first. (A real
    server pushes a fresh app context per event.)
    """

    def __init__(self, sio):
        self._sio = sio

    def emit(self, *args, **kwargs):
        g.pop("_login_user", None)
        return self._sio.emit(*args, **kwargs)

    def disconnect(self, *args, **kwargs):
        g.pop("_login_user", None)
        return self._sio.disconnect(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._sio, name)


@pytest.fixture()
def connect(app):
    """connect(user=None, headers=None) -> a connected Socket.IO test client on /chat."""
    made = []

    def _connect(user=None, headers=None):
        http = app.test_client()
        if user is not None:
            # Flask-Login reads the user id from the signed session cookie,
            # exactly as it does for a browser that logged in over HTTP.
            with http.session_transaction() as sess:
                sess["_user_id"] = login_id(user)
                sess["_fresh"] = True
        g.pop("_login_user", None)
        sio = _Client(socketio.test_client(app, namespace="/chat", flask_test_client=http, headers=headers))
        made.append(sio)
        return sio

    yield _connect
    for sio in made:
        if sio.is_connected("/chat"):
            sio.disconnect(namespace="/chat")


def events(sio, name):
    received = [e["args"] for e in sio.get_received("/chat") if e["name"] == name]
    # the test client unwraps a single argument; events here always send one
    return [a[0] if isinstance(a, list) else a for a in received]


def send(sio, room, text, **extra):
    data = {"room": room.id, "client_id": extra.pop("client_id", None) or client_id(), "text": text, **extra}
    return sio.emit("send", data, namespace="/chat", callback=True)


def join(sio, room, **extra):
    return sio.emit("join", {"room": room.id, **extra}, namespace="/chat", callback=True)

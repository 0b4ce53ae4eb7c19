"""A real python-socketio client on /mod against a running server process:
a crisis post submitted over HTTP reaches the connected moderator."""
from __future__ import annotations

import queue

import pytest
import socketio

from forum.extensions import db
from forum.models import Board, utcnow
from tests.conftest import make_user
from tests.review.live_http import cookie_header, login, new_topic

pytestmark = pytest.mark.slow


@pytest.fixture()
def server(live_server):
    return live_server  # the run's shared server process (tests/conftest.py)


def test_crisis_post_reaches_connected_moderator(app, server):
    make_user("LiveMod", "moderator", resources_read_at=utcnow())
    make_user("LiveMember")
    db.session.add(Board(slug="live", name="Live board", description=""))
    db.session.commit()

    got: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("item", lambda data: got.put(("item", data)), namespace="/mod")
    client.on("imminent", lambda data: got.put(("imminent", data)), namespace="/mod")
    mod = login(server.url, "LiveMod")
    client.connect(server.url, namespaces=["/mod"], transports=["websocket"],
                   headers={"Cookie": cookie_header(mod)}, wait_timeout=20)
    try:
        # A member's socket is refused on /mod.
        member = login(server.url, "LiveMember")
        intruder = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            intruder.connect(server.url, namespaces=["/mod"], transports=["websocket"],
                             headers={"Cookie": cookie_header(member)}, wait_timeout=10)

        resp = new_topic(member, server.url, "live", "Tonight",
                         "I want to kill myself tonight. I can't keep going.")
        assert resp.status_code == 302, resp.text[:500]
        kinds = {}
        while len(kinds) < 2:
            kind, data = got.get(timeout=20)
            kinds[kind] = data
        assert kinds["item"]["risk"] == "imminent" and kinds["item"]["new"] is True
        assert kinds["imminent"]["url"] == kinds["item"]["url"]
    finally:
        client.disconnect()

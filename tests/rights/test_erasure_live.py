"""Erasure, seen through live Socket.IO clients on a real server (issue 20:
"no ... Socket.IO payload shows anything of the member").

The shared real ``forum.serve`` process on the test database, and python-socketio
clients over WebSocket for another member (/chat join, history and sync,
/me) and for the moderation team (/mod and /staff: counters and the
queue/case sync, /chat with moderator rights). Every event and every
acknowledgement is collected. The same clients first see the member's
words (so the check can find them, and the server's caches are warm), then
the account is erased by this process, as a worker would, and they see
nothing of the member.
"""
from __future__ import annotations

import json
from datetime import timedelta

import socketio

from forum import outbox
from forum.extensions import db
from forum.models import AccountClosure
from forum.models import base as clock
from tests.chat.test_live_broadcast import _login
from tests.conftest import PASSWORD
from tests.rights.conftest import EMAIL, HANDLE, THEIR_WORDS
from tests.rights.test_erasure import _resolve


# Who looks, and the namespaces their role may open.
VIEWERS = {"OtherMember": ("/chat", "/me"), "ModeratorPerson": ("/chat", "/me", "/mod"),
           "StaffPerson": ("/chat", "/me", "/mod", "/staff")}


def _everything(server, handle: str, room_id: int) -> str:
    """Every payload one person's sockets receive on connecting, joining the
    room and asking for its history and sync, as one JSON text."""
    seen: list[object] = []
    namespaces = VIEWERS[handle]
    sio = socketio.Client(reconnection=False)
    for ns in namespaces:
        sio.on("*", lambda event, *data, ns=ns: seen.append([ns, event, data]), namespace=ns)
    sio.connect(server.url, headers={"Cookie": f"session={_login(server.url, handle)}"},
                namespaces=list(namespaces), transports=["websocket"], wait_timeout=60)
    try:
        calls = [("/chat", "join", {"room": room_id}), ("/chat", "history", {"room": room_id}),
                 ("/chat", "sync", {"room": room_id, "after": 0}), ("/mod", "heartbeat", None),
                 ("/mod", "sync", {"after": 0, "shown": []}), ("/staff", "sync", {"after": 0, "shown": []})]
        for ns, event, data in calls:
            if ns not in sio.namespaces:
                continue  # refused: not this person's area
            seen.append([ns, event, sio.call(event, data, namespace=ns, timeout=60)])
        sio.sleep(0.5)  # let broadcasts that follow a join (presence) arrive
    finally:
        sio.disconnect()
    return json.dumps(seen)


def _names_the_member(text: str) -> list[str]:
    found = [w for w in THEIR_WORDS if w in text]
    if HANDLE.casefold() in text.casefold():
        found.append(HANDLE)
    if EMAIL in text:
        found.append(EMAIL)
    return found


def test_no_socket_payload_shows_an_erased_member(live_server, client, auth, users, life, monkeypatch):
    room = life["room"].id
    viewers = tuple(VIEWERS)
    before = {h: _everything(live_server, h, room) for h in viewers}
    assert "Quokka chat words" in before["OtherMember"]  # the check can see the member's words
    for handle, text in before.items():  # each viewer's sockets can see the member beforehand
        assert _names_the_member(text), handle

    _resolve(life["case"], users["staff"])  # a resolved case holds nothing
    auth.login_as(users["member"])
    r = client.post("/account/deactivate", data={"kind": "erase", "password": PASSWORD})
    assert r.status_code == 200
    later = clock.utcnow() + timedelta(days=15)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    outbox.relay()  # the erasure job, as a worker runs it
    db.session.expire_all()
    assert db.session.query(AccountClosure).one().status == "done"

    for handle in viewers:
        after = _everything(live_server, handle, room)
        assert _names_the_member(after) == [], f"{handle}'s sockets still carry {_names_the_member(after)}"

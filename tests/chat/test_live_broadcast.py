"""Room broadcasts through the Socket.IO libraries' own path, on a real server.

A real ``forum.serve`` process (threading mode, public options only) with
python-socketio clients over WebSocket and long-polling, and a raw
WebSocket client that negotiated permessage-deflate as browsers do: every
member gets every message once, in id order.
"""
from __future__ import annotations

import json
import re
import socket
import time

import pytest
import requests
import socketio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

from forum.chat import services
from tests.conftest import PASSWORD, make_user


# -- a real server process --------------------------------------------------------------------

@pytest.fixture()
def server(live_server):
    return live_server  # the run's shared server process (tests/conftest.py)


def _login(base_url: str, handle: str) -> str:
    http = requests.Session()
    page = http.get(base_url + "/auth/login", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    data = {"handle": handle, "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    res = http.post(base_url + "/auth/login", data=data, allow_redirects=False, timeout=30)
    assert res.status_code in (302, 303), res.status_code
    return http.cookies["session"]


class RawDeflateClient:
    """A bare WebSocket client that negotiates permessage-deflate, like a
    browser, and speaks just enough Engine.IO/Socket.IO to join a room."""

    def __init__(self, port: int, cookie: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending: list[str] = []
        self.wire = bytearray()  # every byte received, to see what was compressed
        self.sock.sendall(self.ws.send(Request(
            host=f"127.0.0.1:{port}", target="/socket.io/?EIO=4&transport=websocket",
            extensions=[PerMessageDeflate()], extra_headers=[(b"cookie", f"session={cookie}".encode())])))
        accepted = self._events(AcceptConnection)
        assert any(isinstance(e, PerMessageDeflate) for e in accepted.extensions)
        assert self.next_text().startswith("0")  # engine.io OPEN
        self.send_text("40/chat,")
        assert self.next_text().startswith("40/chat,")

    def _events(self, kind=None):
        """Read until an event of ``kind`` (or, without one, a text message)."""
        while True:
            for event in self.ws.events():
                if isinstance(event, TextMessage):
                    self.pending.append(event.data)
                elif kind is not None and isinstance(event, kind):
                    return event
            if kind is None and self.pending:
                return None
            data = self.sock.recv(65536)
            self.wire += data
            self.ws.receive_data(data)

    def next_text(self) -> str:
        if not self.pending:
            self._events()
        text = self.pending.pop(0)
        if text == "2":  # engine.io ping
            self.send_text("3")
            return self.next_text()
        return text

    def send_text(self, text: str) -> None:
        self.sock.sendall(self.ws.send(TextMessage(data=text)))

    def close(self) -> None:
        self.sock.close()


@pytest.mark.slow
def test_broadcasts_reach_websocket_polling_and_deflate_clients_in_order(app, server):
    staff = make_user("BroadcastStaff", "staff")
    for handle in ("BroadcastWs", "BroadcastPoll", "BroadcastRaw"):
        make_user(handle)
    room = services.create_room(staff, services.RoomInput(name="Broadcast", slug="broadcast", access="members"))
    got: dict[str, list] = {"ws": [], "poll": []}
    clients = {}
    for name, transports in (("ws", ["websocket"]), ("poll", ["polling"])):
        sio = socketio.Client(reconnection=False)
        sio.on("message", lambda data, name=name: got[name].append(data["id"]), namespace="/chat")
        sio.connect(server.url, headers={"Cookie": f"session={_login(server.url, 'Broadcast' + name.title())}"},
                    namespaces=["/chat"], transports=transports, wait_timeout=10)
        assert sio.call("join", {"room": room.id}, namespace="/chat", timeout=60)["ok"]
        clients[name] = sio
    raw = RawDeflateClient(server.port, _login(server.url, "BroadcastRaw"))
    try:
        raw.send_text(f'42/chat,7["join",{{"room":{room.id}}}]')
        while not (text := raw.next_text()).startswith("43/chat,7"):  # presence comes first
            assert text.startswith('42/chat,["presence"'), text
        assert text.startswith('43/chat,7[{"ok":true')
        sent = []
        for i in range(20):
            ack = clients["ws"].call("send", {"room": room.id, "client_id": f"broadcast-{i:04d}", "text": f"hi {i}"},
                                     namespace="/chat", timeout=60)
            assert ack["ok"], ack
            sent.append(ack["message"]["id"])
        raw_ids = []
        while len(raw_ids) < len(sent):
            text = raw.next_text()
            if text.startswith('42/chat,["message"'):
                raw_ids.append(json.loads(text[len("42/chat,"):])[1]["id"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (len(got["ws"]) < len(sent) or len(got["poll"]) < len(sent)):
            time.sleep(0.05)
        assert got["ws"] == sent
        assert got["poll"] == sent
        assert raw_ids == sent
        # The library's own path: this client negotiated permessage-deflate,
        # so the broadcasts reached it compressed, not as plain text.
        assert raw.wire.count(b'42/chat,["message"') == 0
    finally:
        raw.close()
        for sio in clients.values():
            sio.disconnect()

"""forum.fanout: one broadcast frame written straight to each WebSocket.

Unit tests on real TCP sockets (framing, ordering under back-pressure, the
cut-off for a client that stops reading), the guard that fails if the
Socket.IO libraries change the internals the module relies on, and a real
``forum.serve`` process with python-socketio clients (WebSocket and
long-polling) and a raw WebSocket client that negotiated permessage-deflate,
as browsers do.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from importlib.metadata import version

import pytest
import requests
import socketio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

from forum import fanout
from forum.chat import services
from tests.conftest import PASSWORD, make_user
from tests.live import start_server

# The versions whose internals forum/fanout.py was written against. A
# different installed version fails here on purpose: read the new
# engineio/socket.py (_websocket_handler, send), socketio/server.py
# (_send_eio_packet) and simple_websocket/ws.py (writes via self.sock), then
# update this table.
VERIFIED = {"python-engineio": "4.15.1", "python-socketio": "5.18.1", "simple-websocket": "1.1.0"}


@pytest.mark.parametrize("package", sorted(VERIFIED))
def test_library_versions_are_the_verified_ones(package):
    assert version(package) == VERIFIED[package], (
        f"{package} is now {version(package)}; forum/fanout.py relies on its internals "
        f"(verified with {VERIFIED[package]}). Re-check them and update VERIFIED.")


def test_internals_check_passes_and_install_switches_the_server():
    server = socketio.Server(async_mode="threading")
    fanout.check_internals(server)
    fanout.install(server)
    assert server.eio._async["websocket"] is fanout.DirectWebSocketWSGI
    fanout.check_internals(server)  # installing twice is harmless


def test_internals_check_fails_loudly_when_a_hook_is_missing(monkeypatch):
    server = socketio.Server(async_mode="threading")
    monkeypatch.delattr(socketio.Server, "_send_eio_packet")
    with pytest.raises(RuntimeError, match="_send_eio_packet"):
        fanout.check_internals(server)


def _handshaken_client() -> WSConnection:
    """A wsproto client past its opening handshake, to decode raw frames."""
    client = WSConnection(ConnectionType.CLIENT)
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(client.send(Request(host="x", target="/")))
    next(server.events())
    client.receive_data(server.send(AcceptConnection()))
    next(client.events())
    return client


@pytest.mark.parametrize("size", [0, 5, 125, 126, 700, 65535, 65536, 70000])
def test_frames_decode_as_websocket_messages(size):
    client = _handshaken_client()
    text = "é" * (size // 2) + "a" * (size % 2)
    client.receive_data(fanout.ws_frame(text) + fanout.ws_frame(b"\x00\x01"))
    got = list(client.events())
    assert [type(e) for e in got] == [TextMessage, BytesMessage]
    assert got[0].data == text and got[0].message_finished
    assert got[1].data == b"\x00\x01"


def _tcp_pair(buffer: int | None = None):
    listener = socket.create_server(("127.0.0.1", 0))
    peer = socket.socket()
    if buffer:
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer)
    peer.connect(listener.getsockname())
    ours, _ = listener.accept()
    listener.close()
    if buffer:
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer)
    return ours, peer


def _read_all(sock: socket.socket, n: int, timeout: float = 20) -> bytes:
    sock.settimeout(timeout)
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return bytes(data)


@pytest.mark.parametrize("timeout", [None, 30.0])
def test_writes_never_block_and_keep_their_order_when_the_reader_is_slow(timeout):
    ours, peer = _tcp_pair(buffer=4096)
    ours.settimeout(timeout)  # servers differ: blocking, or a timeout
    conn = fanout.Connection(ours)
    frames = [fanout.ws_frame(f"message {i:05d} " + "x" * 900) for i in range(1500)]
    started = time.monotonic()
    for i, frame in enumerate(frames):
        if i % 2:
            conn.write(frame)
        else:
            conn.send(frame)  # the path simple-websocket's own writes take
    # ~1.4 MB into a 4 KB socket buffer: the peer has read nothing yet, so
    # most of it is queued, and no write waited for the network.
    assert time.monotonic() - started < 2
    assert conn._draining
    expected = b"".join(frames)
    assert _read_all(peer, len(expected)) == expected
    ours.close()
    peer.close()


def test_a_client_that_stops_reading_is_cut_off(monkeypatch):
    monkeypatch.setattr(fanout, "MAX_BACKLOG", 64 * 1024)
    ours, peer = _tcp_pair(buffer=4096)
    conn = fanout.Connection(ours)
    frame = fanout.ws_frame("y" * 1000)
    with pytest.raises(BrokenPipeError):
        for _ in range(10_000):
            conn.write(frame)
    assert conn.broken
    peer.settimeout(10)
    received = 0
    while chunk := peer.recv(65536):  # the server shut the connection down
        received += len(chunk)
    assert received < 10_000 * len(frame)
    ours.close()
    peer.close()


def test_concurrent_writers_never_interleave_frames():
    ours, peer = _tcp_pair()
    conn = fanout.Connection(ours)
    per_thread, threads = 300, 4
    frames = {t: [fanout.ws_frame(f"t{t} n{i:04d} " + "z" * (50 + 40 * t)) for i in range(per_thread)]
              for t in range(threads)}
    workers = [threading.Thread(target=lambda t=t: [conn.write(f) for f in frames[t]]) for t in range(threads)]
    for w in workers:
        w.start()
    total = sum(len(f) for fs in frames.values() for f in fs)
    data = _read_all(peer, total)
    for w in workers:
        w.join()
    client = _handshaken_client()
    client.receive_data(data)
    texts = [e.data for e in client.events()]
    assert len(texts) == per_thread * threads
    for t in range(threads):  # every frame intact, each writer's frames in its own order
        mine = [x for x in texts if x.startswith(f"t{t} ")]
        assert [x.split()[1] for x in mine] == [f"n{i:04d}" for i in range(per_thread)]
    ours.close()
    peer.close()


# -- a real server process --------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(_schema, test_env, tmp_path_factory):
    live = start_server(test_env, tmp_path_factory.mktemp("fanout"), timeout=180)
    yield live
    live.stop()


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
    staff = make_user("FanoutStaff", "staff")
    for handle in ("FanoutWs", "FanoutPoll", "FanoutRaw"):
        make_user(handle)
    room = services.create_room(staff, services.RoomInput(name="Fanout", slug="fanout", access="members"))
    got: dict[str, list] = {"ws": [], "poll": []}
    clients = {}
    for name, transports in (("ws", ["websocket"]), ("poll", ["polling"])):
        sio = socketio.Client(reconnection=False)
        sio.on("message", lambda data, name=name: got[name].append(data["id"]), namespace="/chat")
        sio.connect(server.url, headers={"Cookie": f"session={_login(server.url, 'Fanout' + name.title())}"},
                    namespaces=["/chat"], transports=transports, wait_timeout=10)
        assert sio.call("join", {"room": room.id}, namespace="/chat", timeout=60)["ok"]
        clients[name] = sio
    raw = RawDeflateClient(server.port, _login(server.url, "FanoutRaw"))
    try:
        raw.send_text(f'42/chat,7["join",{{"room":{room.id}}}]')
        while not (text := raw.next_text()).startswith("43/chat,7"):  # presence comes first
            assert text.startswith('42/chat,["presence"'), text
        assert text.startswith('43/chat,7[{"ok":true')
        sent = []
        for i in range(20):
            ack = clients["ws"].call("send", {"room": room.id, "client_id": f"fanout-{i:04d}", "text": f"hi {i}"},
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
        # The broadcasts came through forum.fanout: sent uncompressed, although
        # this client negotiated permessage-deflate (the library's own path
        # would have compressed them).
        assert raw.wire.count(b'42/chat,["message"') == len(sent)
    finally:
        raw.close()
        for sio in clients.values():
            sio.disconnect()


def test_sends_hold_the_interpreter_lock_and_report_a_closed_peer():
    # Linux: the GIL-holding libc send(2) is the one in use (see _gil_holding_send).
    assert fanout._libc_send is not None
    ours, peer = _tcp_pair()
    conn = fanout.Connection(ours)
    conn.write(fanout.ws_frame("before"))
    assert _read_all(peer, len(fanout.ws_frame("before"))) == fanout.ws_frame("before")
    peer.close()
    with pytest.raises(OSError):
        for _ in range(1000):  # the first writes may still be accepted; then EPIPE/ECONNRESET
            conn.write(fanout.ws_frame("after"))
            time.sleep(0.001)
    assert conn.broken
    ours.close()

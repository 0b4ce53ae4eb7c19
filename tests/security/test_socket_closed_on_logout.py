"""A chat socket does not outlive its login (real server, real Socket.IO client).

Before, the socket kept the identity it had at connect: a message sent 61 s
after logout was accepted. Now logging out (or "log out everywhere" from
another device) tells the socket ``session_ended`` and closes it, and a
login ended by another process is noticed at the socket's next event.
"""
from __future__ import annotations

import queue
import re
import time

import pytest
import requests
import socketio

from forum.auth import sessions
from forum.chat import services
from forum.extensions import db
from tests.conftest import PASSWORD, make_user
from tests.live import start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(_schema, test_env, tmp_path_factory):
    env = {**test_env, "KINDRED_SEMANTIC": "0"}
    env.pop("REDIS_URL", None)  # one process: no message queue needed
    srv = start_server(env, tmp_path_factory.mktemp("sessions-live"), timeout=180)
    yield srv
    srv.stop()


class Browser:
    """A requests session that logs in through the real form and posts with CSRF tokens."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.http = requests.Session()

    def _token(self, path: str) -> str:
        page = self.http.get(self.base + path, timeout=30)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)

    def login(self, handle: str) -> Browser:
        res = self.http.post(self.base + "/auth/login", allow_redirects=False, timeout=30,
                             data={"handle": handle, "password": PASSWORD, "csrf_token": self._token("/auth/login")})
        assert res.status_code == 302, res.status_code
        return self

    def post(self, path: str) -> requests.Response:
        return self.http.post(self.base + path, data={"csrf_token": self._token("/account/")},
                              allow_redirects=False, timeout=30)


class Socket:
    def __init__(self, browser: Browser):
        self.sio = socketio.Client(reconnection=False)
        self.ended: queue.Queue = queue.Queue()
        self.sio.on("session_ended", lambda data: self.ended.put(data), namespace="/chat")
        cookie = "; ".join(f"{k}={v}" for k, v in browser.http.cookies.items())
        self.sio.connect(browser.base, headers={"Cookie": cookie}, namespaces=["/chat"],
                         transports=["websocket"], wait_timeout=10)

    def call(self, event: str, data: dict) -> dict:
        return self.sio.call(event, data, namespace="/chat", timeout=30)

    def wait_closed(self, timeout: float = 5) -> dict:
        notice = self.ended.get(timeout=timeout)
        deadline = time.monotonic() + timeout
        while self.sio.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.sio.connected, "the server left the socket open"
        return notice


@pytest.fixture()
def chat(app, server):
    staff = make_user("SessStaff", "staff")
    make_user("SessMember")
    room = services.create_room(staff, services.RoomInput(name="Sessions", slug="sessions", access="members"))
    return server, room


def _send(sock: Socket, room, n: int) -> dict:
    return sock.call("send", {"room": room.id, "client_id": f"sessions-test-{n:04d}", "text": f"hello {n}"})


def test_logout_closes_the_socket_and_refuses_its_messages(chat):
    server, room = chat
    browser = Browser(server.url).login("SessMember")
    sock = Socket(browser)
    try:
        assert sock.call("join", {"room": room.id})["ok"]
        assert _send(sock, room, 1)["ok"]
        assert browser.post("/auth/logout").status_code == 302
        notice = sock.wait_closed()
        assert "signed out" in notice["message"]
    finally:
        sock.sio.disconnect()


def test_log_out_everywhere_closes_a_listening_socket_on_another_device(chat):
    server, room = chat
    phone = Browser(server.url).login("SessMember")
    sock = Socket(phone)
    laptop = Browser(server.url).login("SessMember")
    try:
        assert sock.call("join", {"room": room.id})["ok"]
        assert laptop.post("/account/sessions/end-all").status_code == 302
        sock.wait_closed()
    finally:
        sock.sio.disconnect()


def test_a_login_ended_by_another_process_is_refused_within_the_check_interval(chat, users):
    server, room = chat
    browser = Browser(server.url).login("SessMember")
    sock = Socket(browser)
    try:
        assert sock.call("join", {"room": room.id})["ok"]
        member = db.session.scalar(db.select(sessions.User).where(sessions.User.handle == "SessMember"))
        sessions.end_all(member, "everywhere")  # this test process plays the other server
        db.session.commit()
        ended_at = time.monotonic()
        accepted_after, refusal = [], None
        for n in range(2, 40):  # keep sending, as the member's phone would
            if not sock.sio.connected:
                break
            try:
                ack = _send(sock, room, n)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                break
            if ack["ok"]:
                accepted_after.append(time.monotonic() - ended_at)
            else:
                refusal = ack
                break
            time.sleep(0.1)
        assert refusal is None or refusal["error"] == "session_ended", refusal
        assert all(t < sessions.CHECK_SECONDS + 0.5 for t in accepted_after), accepted_after
        sock.wait_closed()
    finally:
        sock.sio.disconnect()


def test_a_listening_socket_is_closed_when_another_process_ends_its_login(chat):
    """No event needed: the server's sweeper notices the ended login (a role
    change from ``flask users set-role`` runs in a process of its own)."""
    server, room = chat
    browser = Browser(server.url).login("SessMember")
    sock = Socket(browser)
    try:
        assert sock.call("join", {"room": room.id})["ok"]
        member = db.session.scalar(db.select(sessions.User).where(sessions.User.handle == "SessMember"))
        sessions.end_all(member, "role_change")  # this test process plays the other process
        db.session.commit()
        sock.wait_closed(timeout=sessions.CHECK_SECONDS * 5)
    finally:
        sock.sio.disconnect()

"""Two real server processes sharing Redis: chat works across them.

A member on process A receives a message sent by a member on process B,
and a moderator's hide on A removes the message for B's clients. Clients
are python-socketio's real client, authenticated with the session cookie
from logging in over HTTP.
"""
from __future__ import annotations

import os
import queue
import re

import pytest
import redis
import requests
import socketio

from forum.chat import services
from tests.conftest import PASSWORD, make_user
from tests.live import start_server

pytestmark = pytest.mark.slow
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {url} ({exc}). The scale-out test needs it: start it with "
                    "`redis-server --daemonize yes --bind 127.0.0.1` or set TEST_REDIS_URL.", pytrace=False)
    return url


@pytest.fixture(scope="module")
def two_servers(_schema, test_env, redis_url, tmp_path_factory):
    # Warm-up loads the moderation models before the server answers, so the
    # first chat message is not the one that waits for them.
    env = {**test_env, "REDIS_URL": redis_url, "KINDRED_WARM_UP": "1"}
    log_dir = tmp_path_factory.mktemp("scaleout")
    a = start_server(env, log_dir, timeout=180)
    try:
        b = start_server(env, log_dir, timeout=180)
    except Exception:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def login(base_url: str, handle: str) -> str:
    """Log in through the real form; return the session cookie."""
    http = requests.Session()
    page = http.get(base_url + "/auth/login", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    data = {"handle": handle, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    res = http.post(base_url + "/auth/login", data=data, allow_redirects=False, timeout=30)
    assert res.status_code in (302, 303), f"login failed for {handle}: {res.status_code}"
    return http.cookies["session"]


class ChatClient:
    def __init__(self, base_url: str, cookie: str, wait_timeout: float = 10):
        self.sio = socketio.Client(reconnection=False)
        self.events: queue.Queue = queue.Queue()
        for name in ("message", "hidden"):
            self.sio.on(name, lambda data, name=name: self.events.put((name, data)), namespace="/chat")
        self.sio.connect(base_url, headers={"Cookie": f"session={cookie}"}, namespaces=["/chat"],
                         transports=["websocket"], wait_timeout=wait_timeout)

    def call(self, event: str, data: dict) -> dict:
        return self.sio.call(event, data, namespace="/chat", timeout=60)

    def wait_for(self, name: str, match, timeout: float = 30):
        while True:
            got, data = self.events.get(timeout=timeout)
            if got == name and match(data):
                return data


def test_two_processes_share_rooms_through_redis(app, two_servers):
    a, b = two_servers
    staff = make_user("ScaleStaff", "staff")
    make_user("ScaleMemberA")
    make_user("ScaleMemberB")
    make_user("ScaleMod", "moderator")
    room = services.create_room(staff, services.RoomInput(name="Across", slug="across", access="members"))

    on_a = ChatClient(a.url, login(a.url, "ScaleMemberA"))
    on_b = ChatClient(b.url, login(b.url, "ScaleMemberB"))
    mod_on_a = ChatClient(a.url, login(a.url, "ScaleMod"))
    try:
        for c in (on_a, on_b, mod_on_a):
            assert c.call("join", {"room": room.id})["ok"]

        ack = on_b.call("send", {"room": room.id, "client_id": "scaleout-0001", "text": "hello from B"})
        assert ack["ok"], ack
        msg_id = ack["message"]["id"]
        got = on_a.wait_for("message", lambda m: m["id"] == msg_id)
        assert got["html"] == "<p>hello from B</p>\n"

        assert mod_on_a.call("hide", {"id": msg_id})["ok"]
        assert on_b.wait_for("hidden", lambda d: d["id"] == msg_id) == {"id": msg_id, "room": room.id}
    finally:
        for c in (on_a, on_b, mod_on_a):
            c.sio.disconnect()

"""Under gunicorn (``wsgi.py``), chat is served as by ``python -m forum.serve``:
the libraries' own WebSocket driver, one thread per socket, start-up objects
frozen; and a real gunicorn process delivers live chat."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from forum.chat import services
from tests.conftest import make_user
from tests.live import ROOT, free_port
from tests.test_scaleout_chat import ChatClient, login

pytestmark = pytest.mark.slow


def _env(test_env):
    return {**os.environ, "KINDRED_RATELIMIT": "0", "HF_HUB_OFFLINE": "1", "KINDRED_SEMANTIC": "0", **test_env}


def test_wsgi_sets_up_the_process_like_forum_serve(test_env):
    probe = (
        "import gc, json, wsgi\n"
        "from forum.extensions import socketio\n"
        "server = socketio.server\n"
        "print(json.dumps({'mode': server.async_mode,\n"
        "                  'per_socket': server.async_handlers is False, 'frozen': gc.get_freeze_count()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=_env(test_env), capture_output=True,
                         text=True, timeout=120, check=True)
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state["mode"] == "threading" and state["per_socket"] and state["frozen"] > 10_000, out.stderr


@pytest.fixture()
def gunicorn_server(app, test_env, tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "20", "-w", "1",
             "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=_env(test_env), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as res:
                    if res.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text(errors='replace')}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_live_chat_through_gunicorn(app, gunicorn_server):
    staff = make_user("GunicornStaff", "staff")
    make_user("GunicornAlice")
    make_user("GunicornBob")
    room = services.create_room(staff, services.RoomInput(name="Green room", slug="green", access="members"))
    alice = ChatClient(gunicorn_server, login(gunicorn_server, "GunicornAlice"))
    bob = ChatClient(gunicorn_server, login(gunicorn_server, "GunicornBob"))
    try:
        for c in (alice, bob):
            assert c.call("join", {"room": room.id})["ok"]
        ack = bob.call("send", {"room": room.id, "client_id": "gunicorn-0001", "text": "hello via gunicorn"})
        assert ack["ok"], ack
        got = alice.wait_for("message", lambda m: m["id"] == ack["message"]["id"])
        assert got["html"] == "<p>hello via gunicorn</p>\n"
    finally:
        for c in (alice, bob):
            c.sio.disconnect()

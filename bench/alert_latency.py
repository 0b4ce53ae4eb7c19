"""Alert latency: a crisis post submitted over HTTP -> the "item" event
received by a moderator's python-socketio client on /mod.

Not a test: run it by hand (or from bench/run_all.py) on an idle machine.

    .venv/bin/python bench/alert_latency.py [--posts 60] [--database-url URL]

Starts a real server process (python -m forum.serve, real moderation
engine, warmed up) on a throwaway SQLite database unless --database-url is
given, logs a moderator in, connects the Socket.IO client, then submits
crisis posts one at a time as a member and times each until the
moderator's client receives the matching new item. Target: p99 <= 500 ms.
"""
from __future__ import annotations

import argparse
import os
import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

TEXTS = [
    "I want to kill myself tonight. I can't keep going.",
    "I'm going to end my life tonight, I've decided.",
    "Tonight is the night I kill myself, I'm done.",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=60)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    import socketio

    from config import TestConfig
    from forum import create_app
    from forum.extensions import db
    from forum.models import Board, utcnow
    from tests.conftest import make_user
    from tests.live import start_server
    from tests.review.live_http import cookie_header, login, new_topic

    tmp = Path(tempfile.mkdtemp(prefix="kindred-bench-"))
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    env = {"DATABASE_URL": url, "KINDRED_INSTANCE_DIR": str(tmp), "KINDRED_WARM_UP": "1", "SECRET_KEY": "bench"}
    cfg = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": tmp,
                                              "SECRET_KEY": "bench"})
    app = create_app(cfg)
    with app.app_context():
        db.drop_all()
        db.create_all()
        make_user("BenchMod", "moderator", resources_read_at=utcnow())
        make_user("BenchMember")
        db.session.add(Board(slug="bench", name="Bench", description=""))
        db.session.commit()

    server = start_server(env, tmp, timeout=180)
    got: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("item", lambda data: got.put((time.perf_counter(), data)), namespace="/mod")
    try:
        mod = login(server.url, "BenchMod")
        client.connect(server.url, namespaces=["/mod"], transports=["websocket"],
                       headers={"Cookie": cookie_header(mod)}, wait_timeout=20)
        member = login(server.url, "BenchMember")
        # One untimed post first: connection pools, caches.
        new_topic(member, server.url, "bench", "Warm-up", TEXTS[0])
        got.get(timeout=30)
        latencies = []
        for i in range(args.posts):
            while not got.empty():
                got.get_nowait()
            # The CSRF-token GET is outside the timed span: only the submit is timed.
            from tests.review.live_http import csrf

            token = csrf(member, f"{server.url}/boards/bench/new")
            t0 = time.perf_counter()
            resp = member.post(f"{server.url}/boards/bench/new", allow_redirects=False, timeout=60,
                               data={"title": f"Tonight {i}", "body": TEXTS[i % len(TEXTS)], "csrf_token": token})
            assert resp.status_code == 302, resp.status_code
            while True:
                t1, data = got.get(timeout=30)
                if data.get("new"):
                    break
            latencies.append((t1 - t0) * 1000)
        lat = sorted(latencies)
        print(f"posts: {len(lat)}  (crisis post over HTTP -> /mod 'item' event)")
        print(f"p50 {statistics.median(lat):.1f} ms  p90 {percentile(lat, 90):.1f} ms  "
              f"p99 {percentile(lat, 99):.1f} ms  max {lat[-1]:.1f} ms")
        print("target p99 <= 500 ms:", "MET" if percentile(lat, 99) <= 500 else "MISSED")
    finally:
        client.disconnect()
        server.stop()


if __name__ == "__main__":
    main()

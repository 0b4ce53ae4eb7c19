"""Forum benchmark (not a test): gunicorn, 2 workers, SQLite, seeded data.

Measures requests/s and p50/p99 latency at concurrency 16 on 127.0.0.1 for
the board index and a topic page showing 20 posts, then prints the figures.

    .venv/bin/python bench/forum_bench.py [--requests 3000] [--seconds 20]

It builds its own temporary instance directory and database (seed-demo
plus a 20-post topic written through the real screening path), so it never
touches instance/. The load generator is a small threaded Python client
using raw sockets, to spend as little of the two cores as possible.
Target for the 20-post topic page: >= 300 requests/s with p99 <= 100 ms.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RPS, TARGET_P99_MS = 300, 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict[str, str]) -> int:
    """Create the schema, seed demo data and a topic of exactly 20 posts."""
    os.environ.update(env)
    from forum import create_app
    from forum.boards import services
    from forum.cli import seed_demo
    from forum.extensions import db
    from forum.models import Board, User
    from sqlalchemy import select

    app = create_app()
    with app.app_context():
        db.create_all()
        seed_demo(if_empty=True)
        members = list(db.session.scalars(select(User).where(User.role == "member")))
        board = db.session.scalar(select(Board).where(Board.slug == "recovery"))
        posted = services.create_topic(members[0], services.NewTopic(
            board_id=board.id, title="What helped you this month?",
            body="I'd love to hear the small things that helped you this month. Mine was **walking** a bit "
                 "every morning, even when I didn't feel like it.\n\n- fresh air\n- a routine\n- music"))
        for i in range(19):
            services.reply(members[(i + 1) % len(members)], services.NewReply(
                topic_id=posted.topic.id, anonymous=(i % 5 == 0),
                content_warning="low mood" if i % 7 == 3 else None,
                body=f"Reply {i + 1}: for me it was talking to a friend on the phone, and making time "
                     f"for *one* thing I enjoy each day. Thank you for asking, it helps to think about it."))
        return posted.topic.id


def fetch(port: int, path: str) -> tuple[int, float]:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(request)
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
    elapsed = time.perf_counter() - start
    head = b"".join(chunks)[:12]
    return int(head[9:12] or 0), elapsed


def _cpu_seconds(master_pid: int) -> float:
    """User+system CPU of gunicorn's master and workers, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == master_pid or ppid == master_pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load(port: int, path: str, total: int, seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    remaining = [total]
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while True:
            with lock:
                if remaining[0] <= 0 or time.perf_counter() > deadline:
                    return
                remaining[0] -= 1
            try:
                status, elapsed = fetch(port, path)
            except OSError:
                status, elapsed = 0, 0.0
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n, "errors": errors[0], "seconds": wall, "rps": n / wall if wall else 0.0,
        "p50_ms": statistics.median(latencies) * 1000 if n else float("nan"),
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per page (upper bound)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time limit per page")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        sys.exit(f"gunicorn not found next to {sys.executable}; install the pinned requirements (make install).")
    tmp = Path(tempfile.mkdtemp(prefix="kindred-bench-"))
    env = {"KINDRED_INSTANCE_DIR": str(tmp), "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
           "SECRET_KEY": "bench-only-secret", "KINDRED_RATELIMIT": "0", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}
    env.pop("REDIS_URL", None)
    server = None
    try:
        print("Preparing data (seed-demo and a 20-post topic, screened as usual)...", flush=True)
        topic_id = prepare(env)
        port = free_port()
        child_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | env
        log = open(tmp / "gunicorn.log", "wb")
        server = subprocess.Popen([str(gunicorn), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
                                   "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=child_env,
                                  stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if fetch(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gunicorn did not start; log:\n{(tmp / 'gunicorn.log').read_text()}")
            time.sleep(0.2)
        # /healthz is the calibration: the same server, stack and client doing
        # the least a request can do. The pages' cost relative to it, taken in
        # the same run, is comparable across machines and noisy neighbours.
        pages = [("baseline /healthz", "/healthz"), ("board index", "/boards/"),
                 ("20-post topic", f"/boards/topic/{topic_id}")]
        body_len = 0
        for _name, path in pages:  # warm both workers (imports, template compilation)
            for _ in range(50):
                fetch(port, path)
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(f"GET /boards/topic/{topic_id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            resp = b""
            while d := s.recv(65536):
                resp += d
            body_len = len(resp)
            posts_shown = resp.count(b'<article class="post ')
        print(f"gunicorn {args.workers} sync workers, SQLite, concurrency {args.concurrency}, "
              f"{os.cpu_count()} CPUs; topic page {body_len} bytes, {posts_shown} posts")
        print(f"load average before: {os.getloadavg()[0]:.1f} (other processes share these cores)")
        print(f"{'page':<18}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'server CPU ms/req':>19}")
        results = {}
        for name, path in pages:
            cpu0 = _cpu_seconds(server.pid)
            r = load(port, path, args.requests, args.seconds, args.concurrency)
            # Server CPU per request does not depend on what else the machine
            # is doing, so it shows the capacity even on a busy shared host.
            r["cpu_ms"] = (_cpu_seconds(server.pid) - cpu0) * 1000 / max(1, r["requests"])
            results[name] = r
            print(f"{name:<18}{r['requests']:>9}{r['errors']:>8}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
                  f"{r['cpu_ms']:>19.2f}", flush=True)
        topic, base = results["20-post topic"], results["baseline /healthz"]
        for name in ("board index", "20-post topic"):
            r = results[name]
            print(f"ratio {name} / baseline (same run): throughput {r['rps'] / base['rps']:.2f}, "
                  f"server CPU per request {r['cpu_ms'] / base['cpu_ms']:.1f}x")
        ok = topic["rps"] >= TARGET_RPS and topic["p99_ms"] <= TARGET_P99_MS and topic["errors"] == 0
        print(f"capacity implied by server CPU alone on {os.cpu_count()} cores: "
              f"{(os.cpu_count() or 1) * 1000 / topic['cpu_ms']:.0f} req/s for the 20-post topic page")
        print(f"target for the 20-post topic page: >= {TARGET_RPS} req/s, p99 <= {TARGET_P99_MS} ms: "
              f"{'met' if ok else 'NOT met'}")
        return 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

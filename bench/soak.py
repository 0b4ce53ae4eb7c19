"""Mixed-load soak in the production layout, with an optional Redis outage.

    .venv/bin/python bench/soak.py --seconds 120 --redis-outage 30 [--database-url URL]

Starts its own redis-server on a free port, two gunicorn processes (as in
README's production layout), a huey consumer, then for ``--seconds``:
members posting (one post in five states suicidal intent for tonight),
readers browsing, logins, chat members on both processes sending one
message every second or so (each with the chat page's periodic sync), and a
staff member's socket on /staff. ``--redis-outage N`` stops Redis for N
seconds a third of the way in, then starts it again on the same port.
``--open-items N`` seeds N open review items first and adds a moderator
reading the review queue page about once a second (route class "queue").

It reports requests, 5xx, p50 and p99 per route class, memory per process
at start and end, and the loss checks: posts accepted against posts stored,
crisis posts against review items and cases, chat acks against deliveries
(each acked message reaching every other chat member exactly once).
Not a test: figures depend on the machine (README, "Current figures").
"""
from __future__ import annotations

import argparse
import os
import queue
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
VENV_BIN = Path(sys.executable).parent

CRISIS = "I want to kill myself tonight. I can't keep going."
ORDINARY = "Had a slow day today, but a walk helped a little. Thanks for listening, everyone."
SYNC_SECONDS = 5  # as static/js/chat.js
SOAK_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SOAK_KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (gunicorn's worker)."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return float("nan") if total == 0 else total
    return total + sum(rss_mib(int(c)) for c in children)


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            sys.exit("redis-server is missing: apt-get install -y redis-server")
        self.port, self.workdir, self.proc = free_port(), workdir, None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        for _ in range(100):
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.1)
        sys.exit("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.failures: dict[str, int] = defaultdict(int)  # no answer at all (connection refused, timeout)

    def record(self, route: str, seconds: float, status: int | None) -> None:
        with self.lock:
            self.latency[route].append(seconds)
            if status is None:
                self.failures[route] += 1
            elif status >= 500:
                self.errors[route] += 1


def main() -> None:  # noqa: C901, PLR0915 - one script, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--redis-outage", type=int, default=0, help="seconds Redis is down, from a third in")
    parser.add_argument("--database-url")
    parser.add_argument("--pg-restart", action="store_true",
                        help="run on a private PostgreSQL cluster and restart it two thirds of the way in")
    parser.add_argument("--posters", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--chatters", type=int, default=20)
    parser.add_argument("--open-items", type=int, default=0,
                        help="open review items seeded before the start; a moderator reads the queue page")
    args = parser.parse_args()

    import requests
    import socketio
    from sqlalchemy import func, select

    from config import TestConfig
    from forum import create_app
    from forum.extensions import db
    from forum.models import Board, ChatMessage, Escalation, Post, Review, Topic, utcnow
    from tests.conftest import make_user
    from tests.review.live_http import cookie_header, login

    tmp = Path(tempfile.mkdtemp(prefix="kindred-soak-"))
    pg = None
    if args.pg_restart:
        from tests.reliability.pg_cluster import MissingPostgres, PrivatePostgres

        try:
            pg = PrivatePostgres().start()
        except MissingPostgres as exc:
            sys.exit(str(exc))
    url = pg.url if pg else (args.database_url or f"sqlite:///{tmp}/soak.sqlite3")
    redis_server = Redis(tmp)
    redis_server.start()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
           "KINDRED_INSTANCE_DIR": str(tmp), "SECRET_KEY": "soak", "KINDRED_WARM_UP": "1",
           # The exported ONNX graphs are kept between runs (as the tests do), not exported per soak.
           "KINDRED_ENCODER_CACHE": os.environ.get("KINDRED_ENCODER_CACHE", str(ROOT / "instance" / "cache")),
           # Limits on, but above what the simulated members do.
           "KINDRED_POST_LIMIT": "600 per minute", "KINDRED_LOGIN_LIMIT": "600 per minute",
           "KINDRED_CHAT_LIMIT": "50 per 5 seconds"}
    cfg = type("SoakConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": tmp, "SECRET_KEY": "soak"})
    app = create_app(cfg)
    # After create_app: the areas import in its order.
    from forum.chat import services as chat_services
    from forum.review import services as review_services
    from tests.review.helpers import verdict
    chatters = [f"Chatter{i}" for i in range(args.chatters)]
    with app.app_context():
        db.drop_all()
        db.create_all()
        staff = make_user("SoakStaff", "staff")
        for i in range(args.posters):
            make_user(f"Poster{i}")
        for i in range(args.readers):
            make_user(f"Reader{i}")
        for handle in chatters:
            make_user(handle)
        make_user("SoakMod", "moderator", resources_read_at=utcnow())
        soak_board = Board(slug="soak", name="Soak", description="")
        db.session.add(soak_board)
        db.session.commit()
        # Open items for the queue page: flagged ordinary posts, which open no crisis case.
        seeded = verdict(risk="low", text=ORDINARY)
        for i in range(args.open_items):
            topic = Topic(board=soak_board, author=staff, title=f"Seeded {i}", status="visible",
                          created_at=utcnow(), last_activity_at=utcnow())
            post = Post(topic=topic, number=1, author=staff, body_source=seeded.text, status="visible",
                        created_at=utcnow())
            post.apply_verdict(seeded)
            db.session.add_all([topic, post])
            db.session.flush()
            review_services.on_screened("post", post, seeded, board_id=soak_board.id)
            if i % 100 == 99:
                db.session.commit()
        db.session.commit()
        room = chat_services.create_room(staff, chat_services.RoomInput(name="Soak", slug="soak", access="members"))
        room_id = room.id

    procs: dict[str, subprocess.Popen] = {}
    ports = [free_port(), free_port()]
    logs = []
    for port in ports:
        log = open(tmp / f"gunicorn-{port}.log", "wb")
        logs.append(log)
        procs[f"gunicorn:{port}"] = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-k", "gthread", "--threads", "100", "-w", "1", "-b", f"127.0.0.1:{port}",
             "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log = open(tmp / "huey.log", "wb")
    logs.append(log)
    procs["huey"] = subprocess.Popen([str(VENV_BIN / "huey_consumer"), "forum.jobs.huey", "--workers", "2",
                                      "--worker-type", "thread"], cwd=ROOT, env=env, stdout=log,
                                     stderr=subprocess.STDOUT)
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    for base in bases:
        for _ in range(600):
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            sys.exit(f"{base} did not start; see {tmp}")
    time.sleep(2)
    mem_start = {name: rss_mib(p.pid) for name, p in procs.items()}

    stats = Stats()
    stop = threading.Event()
    accepted_posts: list[str] = []
    crisis_titles: list[str] = []
    sent_at: dict[str, float] = {}
    case_events: queue.Queue = queue.Queue()
    lock = threading.Lock()

    def timed(route: str, fn):
        t0 = time.perf_counter()
        try:
            resp = fn()
        except requests.RequestException:
            stats.record(route, time.perf_counter() - t0, None)
            return None
        stats.record(route, time.perf_counter() - t0, resp.status_code)
        return resp

    # Posts that got no answer (client timeout, connection dropped) or the
    # form back: (session, base, title, body, key), checked after the run.
    unanswered: list[tuple] = []

    def new_topic_form(session, base: str) -> tuple[str, str]:
        """The new-topic form's CSRF token and one-time submission key, as a browser gets them."""
        resp = timed("form", lambda: session.get(f"{base}/boards/soak/new", timeout=60))
        if resp is None or resp.status_code != 200:
            raise RuntimeError("no form")
        return SOAK_TOKEN.search(resp.text).group(1), SOAK_KEY.search(resp.text).group(1)

    def poster(i: int) -> None:
        base = bases[i % 2]
        session = login(base, f"Poster{i}")
        n = 0
        while not stop.is_set():
            crisis = n % 5 == 0
            title = f"{'Tonight' if crisis else 'Today'} p{i} n{n}"
            body = CRISIS if crisis else ORDINARY
            try:
                token, key = new_topic_form(session, base)
            except Exception:  # noqa: BLE001 - counted as a failed form page
                time.sleep(1)
                continue
            t0 = time.monotonic()
            resp = timed("post", lambda: session.post(f"{base}/boards/soak/new", allow_redirects=False, timeout=60,
                                                      data={"title": title, "body": body, "csrf_token": token,
                                                            "submission_key": key}))
            if resp is not None and resp.status_code == 302:
                with lock:
                    accepted_posts.append(title)
                    if crisis:
                        crisis_titles.append(title)
                        sent_at[title] = t0
            else:
                with lock:
                    unanswered.append((session, base, title, body, key, "no answer" if resp is None
                                       else str(resp.status_code)))
            n += 1
            time.sleep(random.uniform(0.5, 1.5))

    def reader(i: int) -> None:
        base = bases[i % 2]
        session = login(base, f"Reader{i}")
        k = 0
        while not stop.is_set():
            path = ["/", "/boards/soak", "/chat/"][k % 3]
            timed("read", lambda: session.get(base + path, timeout=60))
            if k % 20 == 19:
                timed("login", lambda: requests.Session().post(
                    base + "/auth/login", data={"handle": f"Reader{i}", "password": "wrong password"}, timeout=60))
            k += 1
            time.sleep(random.uniform(0.1, 0.4))

    def moderator() -> None:
        session = login(bases[0], "SoakMod")
        k = 0
        while not stop.is_set():
            base = bases[k % 2]  # cookies ignore the port: one login serves both processes
            timed("queue", lambda: session.get(base + "/review/", timeout=60))
            k += 1
            time.sleep(random.uniform(0.5, 1.5))

    acks: dict[str, set[int]] = defaultdict(set)  # sender -> acked ids
    got: dict[str, list[int]] = defaultdict(list)  # receiver -> ids, with repeats

    def chatter(i: int) -> None:
        handle, base = chatters[i], bases[i % 2]
        seen: set[int] = set()
        sio = socketio.Client(reconnection=True)

        def deliver(messages):
            for m in messages:
                if m.get("room") not in (None, room_id):
                    continue
                with lock:
                    if m["id"] not in seen:
                        seen.add(m["id"])
                        got[handle].append(m["id"])

        sio.on("message", lambda m: deliver([m]), namespace="/chat")
        sio.on("messages", lambda d: deliver(d["messages"]), namespace="/chat")
        cookie = cookie_header(login(base, handle))
        sio.connect(base, headers={"Cookie": cookie}, namespaces=["/chat"], transports=["websocket"], wait_timeout=20)
        res = sio.call("join", {"room": room_id}, namespace="/chat", timeout=30)
        deliver(res.get("messages", []))
        synced = [res["messages"][-1]["id"] if res.get("messages") else 0]
        next_sync = time.monotonic() + SYNC_SECONDS
        n = 0
        while not stop.is_set() or time.monotonic() < drain_until[0]:
            now = time.monotonic()
            if now >= next_sync:  # what chat.js does every few seconds
                try:
                    res = sio.call("sync", {"room": room_id, "after": synced[0]}, namespace="/chat", timeout=30)
                    if res.get("ok"):
                        with lock:
                            lacking = [i for i in res["ids"] if i not in seen]
                        if not lacking and res["ids"]:
                            synced[0] = res["ids"][-1]
                        elif lacking:
                            page = sio.call("history", {"room": room_id, "after": lacking[0] - 1},
                                            namespace="/chat", timeout=30)
                            if page.get("ok"):
                                deliver(page["messages"])
                except Exception:  # noqa: BLE001 - retried at the next sync
                    pass
                next_sync = now + SYNC_SECONDS
            if not stop.is_set():
                t0 = time.perf_counter()
                try:
                    ack = sio.call("send", {"room": room_id, "client_id": f"soak-{handle}-{n:06d}",
                                            "text": f"hello {n} from {handle}"}, namespace="/chat", timeout=30)
                    stats.record("chat", time.perf_counter() - t0, 500 if ack.get("error") == "server" else 200)
                    if ack.get("ok"):
                        with lock:
                            acks[handle].add(ack["message"]["id"])
                            seen.add(ack["message"]["id"])
                        n += 1
                except Exception:  # noqa: BLE001
                    stats.record("chat", time.perf_counter() - t0, None)
            time.sleep(random.uniform(0.8, 1.2))
        sio.disconnect()

    drain_until = [float("inf")]
    staff_sio = socketio.Client(reconnection=True)
    staff_sio.on("case", lambda d: case_events.put((time.monotonic(), d)), namespace="/staff")
    staff_sio.connect(bases[0], namespaces=["/staff"], transports=["websocket"],
                      headers={"Cookie": cookie_header(login(bases[0], "SoakStaff"))}, wait_timeout=20)

    threads = ([threading.Thread(target=poster, args=(i,)) for i in range(args.posters)]
               + [threading.Thread(target=reader, args=(i,)) for i in range(args.readers)]
               + [threading.Thread(target=chatter, args=(i,)) for i in range(args.chatters)]
               + ([threading.Thread(target=moderator)] if args.open_items else []))
    loads: list[float] = []

    def sample_load() -> None:
        while not stop.is_set():
            loads.append(os.getloadavg()[0])
            stop.wait(10)

    threads.append(threading.Thread(target=sample_load, daemon=True))
    started = time.monotonic()
    for t in threads:
        t.start()
    outage = None
    if args.redis_outage:
        time.sleep(args.seconds / 3)
        redis_server.stop()
        outage = time.monotonic() - started
        print(f"redis stopped at {outage:.0f} s for {args.redis_outage} s", flush=True)
        time.sleep(args.redis_outage)
        redis_server.start()
        print("redis started again", flush=True)
    restarted = None
    if pg:
        time.sleep(max(0.0, 2 * args.seconds / 3 - (time.monotonic() - started)))
        restarted = time.monotonic() - started
        pg.restart()
        print(f"postgresql restarted at {restarted:.0f} s (took {time.monotonic() - started - restarted:.1f} s)",
              flush=True)
    time.sleep(max(0.0, args.seconds - (time.monotonic() - started)))
    drain_until[0] = time.monotonic() + 3 * SYNC_SECONDS
    stop.set()
    for t in threads:
        t.join(timeout=120)
    mem_end = {name: rss_mib(p.pid) for name, p in procs.items()}

    # -- loss checks ---------------------------------------------------------------
    time.sleep(5)
    with app.app_context():
        stored = set(db.session.scalars(select(Topic.title).where(Topic.title.in_(accepted_posts))).all())
        crisis_reviews = db.session.scalar(
            select(func.count()).select_from(Review).join(Post, (Review.target_type == "post") & (Post.id == Review.target_id))
            .join(Topic, Topic.id == Post.topic_id).where(Topic.title.in_(crisis_titles))) or 0
        case_titles = dict(db.session.execute(
            select(Escalation.id, Topic.title).join(Review, Review.id == Escalation.review_id)
            .join(Post, (Review.target_type == "post") & (Post.id == Review.target_id))
            .join(Topic, Topic.id == Post.topic_id).where(Topic.title.in_(crisis_titles))).all())
        stored_chat = db.session.scalar(select(func.count()).select_from(ChatMessage).where(
            ChatMessage.room_id == room_id)) or 0
        _ = utcnow
    # Each post that got no answer or its form back: was it stored, and does a
    # resubmit with the same key give exactly one post (as the member's browser would)?
    resubmits: list[tuple[str, str, bool, int | None, int]] = []
    for session, base, title, body, key, answer in unanswered:
        with app.app_context():
            before = db.session.scalar(select(func.count()).select_from(Post).where(Post.submission_key == key)) or 0
        status = None
        try:
            page = session.get(f"{base}/boards/soak/new", timeout=60).text
            token = SOAK_TOKEN.search(page).group(1)
            status = session.post(f"{base}/boards/soak/new", allow_redirects=False, timeout=60,
                                  data={"title": title, "body": body, "csrf_token": token,
                                        "submission_key": key}).status_code
        except Exception:  # noqa: BLE001 - reported as no answer
            pass
        with app.app_context():
            after = db.session.scalar(select(func.count()).select_from(Post).where(Post.submission_key == key)) or 0
        resubmits.append((title, answer, before == 1, status, after))
    case_seen: dict[int, float] = {}
    while not case_events.empty():
        at, d = case_events.get()
        if d.get("new"):
            case_seen.setdefault(d["id"], at)
    alert_lat = [case_seen[c] - sent_at[t] for c, t in case_titles.items() if c in case_seen and t in sent_at]

    all_acked = set().union(*acks.values()) if acks else set()
    missing = duplicates = 0
    for handle in chatters:
        ids = got[handle]
        duplicates += len(ids) - len(set(ids))
        expected = all_acked - acks[handle]
        missing += len(expected - set(ids))
        if os.environ.get("SOAK_DEBUG") and expected - set(ids):
            print(handle, "missing", sorted(expected - set(ids))[:20], "got", sorted(ids)[-5:])

    print(f"\nsoak: {args.seconds} s, {len(bases)} gunicorn processes + huey consumer + Redis, "
          f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}"
          + (f", Redis outage {args.redis_outage} s from {outage:.0f} s" if outage is not None else "")
          + (f", PostgreSQL restarted at {restarted:.0f} s" if restarted is not None else ""))
    print(f"{'route':8} {'requests':>9} {'5xx':>5} {'no answer':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for route in ("post", "form", "read", "login", "chat", "queue"):
        if route == "queue" and not args.open_items:
            continue
        lat = stats.latency.get(route, [])
        print(f"{route:8} {len(lat):9d} {stats.errors[route]:5d} {stats.failures[route]:9d} "
              f"{percentile(lat, 50) * 1000:8.1f} {percentile(lat, 99) * 1000:8.1f}")
    print(f"load average (1 min, sampled every 10 s): min {min(loads):.1f}, median {percentile(loads, 50):.1f}, "
          f"max {max(loads):.1f}")
    print("memory (RSS MiB) start -> end: " + ", ".join(f"{n} {mem_start[n]:.0f} -> {mem_end[n]:.0f}" for n in procs))
    print(f"posts accepted {len(accepted_posts)}, stored {len(stored)} (lost {len(set(accepted_posts) - stored)})")
    print(f"crisis posts {len(crisis_titles)}, review items {crisis_reviews}, cases {len(case_titles)}; "
          f"staff socket saw {len(case_seen)} cases, alert p50 {percentile(alert_lat, 50) * 1000:.0f} ms "
          f"p99 {percentile(alert_lat, 99) * 1000:.0f} ms")
    stored_first = sum(1 for r in resubmits if r[2])
    once = sum(1 for r in resubmits if r[3] == 302 and r[4] == 1)
    print(f"posts without an answer or with the form back: {len(resubmits)} "
          f"({', '.join(sorted({r[1] for r in resubmits})) or '-'}); stored before the resubmit {stored_first}; "
          f"resubmitted with the same key: {once} of {len(resubmits)} answered 302 with exactly one post")
    for title, answer, stored_before, status, after in resubmits:
        if status != 302 or after != 1:
            print(f"  {title}: {answer}, stored before {stored_before}, resubmit {status}, posts with the key {after}")
    print(f"chat acked {len(all_acked)}, stored {stored_chat}; deliveries missing {missing}, duplicated {duplicates} "
          f"({args.chatters} members, each acked message expected at the {args.chatters - 1} others)")

    staff_sio.disconnect()
    for p in procs.values():
        p.terminate()
    for p in procs.values():
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    redis_server.stop()
    if pg:
        pg.remove()
    for log in logs:
        log.close()
    print(f"logs in {tmp}")


if __name__ == "__main__":
    main()

"""Chat fan-out benchmark (not a test): ``python bench/chat_bench.py``.

Starts real Kindred server process(es) on 127.0.0.1, connects N real
python-socketio clients (WebSocket transport, authenticated with a
Flask-Login session cookie) to one room, and has every client send one
message per second for ``--seconds``. Each message carries its send time;
every client records when the broadcast arrives. Reports fan-out latency
(send -> receive, p50/p95/p99/max), ack latency, and deliveries against
the number expected (every acknowledged message should reach all N
clients, the sender included), so a lost message shows up as a shortfall.

Examples::

    python bench/chat_bench.py --clients 200 --seconds 20
    python bench/chat_bench.py --clients 500 --seconds 20
    python bench/chat_bench.py --clients 200 --servers 2 --redis redis://127.0.0.1:6379/7
    python bench/chat_bench.py --clients 50 --no-nodelay    # Nagle's stall, for comparison

Clients are python-socketio ``AsyncClient`` s, many per process on one event
loop, in ``--workers`` processes (aiohttp is required; uvloop and orjson
are used when installed, and roughly halve the clients' CPU per received
message). On a 2-core machine clients and server share the same cores, so
the figures are conservative for the server; ``client_cpu_us_per_delivery``
and ``server_cpu_us_per_delivery`` (all server CPU over all deliveries,
send path included) show where the time went. Refused sends are reported
by reason (``refused_by_reason``), apart from lost and duplicated ones.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_STAMP = re.compile(r"bench (\S+) (\d+)")
# The app's default (KINDRED_CHAT_LIMIT, "5 per 5 seconds;40 per minute")
# refuses part of a steady one-message-a-second load: "5 per 5 seconds" is
# exactly that rate, so any jitter trips it, and 40 a minute is less. The
# bench keeps a limiter in the path, with room for the load it sends.
BENCH_CHAT_LIMIT = "10 per 5 seconds;120 per minute"


def _prepare(db_url: str, instance: Path, clients: int, secret: str) -> tuple[int, list[str]]:
    """Create the schema, one open room and N members; return session cookies."""
    os.environ["DATABASE_URL"] = db_url
    os.environ["KINDRED_INSTANCE_DIR"] = str(instance)
    os.environ["SECRET_KEY"] = secret
    from forum import create_app
    from forum.extensions import db
    from forum.models import ChatRoom, User, utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": secret, "REDIS_URL": None})
    with app.app_context():
        db.drop_all()
        db.create_all()
        if db.engine.dialect.name == "sqlite":
            # WAL lets readers and the one writer proceed together; with the
            # default rollback journal, concurrent chat sends queue on
            # SQLite's file lock and its busy-wait back-off (see docs/chat.md).
            from sqlalchemy import text

            db.session.execute(text("PRAGMA journal_mode=WAL"))
        staff = User(handle="bench-staff", handle_key="bench-staff", password_hash="!", role="staff")
        db.session.add(staff)
        db.session.flush()
        room = ChatRoom(slug="bench", name="Bench", access="open", created_by_id=staff.id)
        db.session.add(room)
        now = utcnow()
        users = [User(handle=f"bench{i}", handle_key=f"bench{i}", password_hash="!",  # never logs in by password
                      age_confirmed_at=now, guidelines_accepted_at=now, health_consent_at=now) for i in range(clients)]
        db.session.add_all(users)
        db.session.commit()
        # The same signed cookie a browser gets after logging in over HTTP.
        from forum.auth.sessions import login_id

        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"_user_id": login_id(u, user_agent="chat bench"), "_fresh": True})
                   for u in users]
        room_id = room.id
        db.session.remove()
        db.engine.dispose()
    return room_id, cookies


def _start_servers(count: int, env: dict[str, str], log_dir: Path, nodelay: bool):
    from tests.live import LiveServer, free_port, start_server

    servers: list[LiveServer] = []
    for _ in range(count):
        if nodelay:
            servers.append(start_server(env, log_dir))
        else:
            import subprocess
            import urllib.request

            port = free_port()
            log_path = log_dir / f"server-{port}.log"
            full_env = {**os.environ, "KINDRED_RATELIMIT": "0", **env}
            with open(log_path, "wb") as log:
                proc = subprocess.Popen([sys.executable, "-m", "forum.serve", "--port", str(port), "--no-nodelay"],
                                        cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
            server = LiveServer(f"http://127.0.0.1:{port}", port, proc, log_path)
            for _ in range(300):
                try:
                    urllib.request.urlopen(server.url + "/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            servers.append(server)
    return servers


def _fast_json():
    """orjson behind the ``json`` module interface python-socketio accepts, if
    installed: decoding every received packet is a large share of a client's
    CPU. ``None`` keeps the standard library's."""
    try:
        import orjson
    except ImportError:
        return None

    class OrJSON:
        @staticmethod
        def dumps(obj, **_kwargs):
            return orjson.dumps(obj).decode()

        @staticmethod
        def loads(data, **_kwargs):
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError as exc:  # a ValueError, as the callers expect
                raise ValueError(str(exc)) from None

    return OrJSON


def _worker(index: int, urls: list[str], cookies: list[str], room_id: int, go, seconds: float,
            drain: float, out: mp.Queue) -> None:
    """One client process: its share of the clients on one asyncio loop."""
    import asyncio
    import gc

    # Forked from the parent, which imported the whole app to prepare the
    # database: a full collection here walked those objects too (~100 ms
    # every second or two), and the clients' receive times with it.
    gc.freeze()

    coro = _clients(index, urls, cookies, room_id, go, seconds, drain, out)
    try:  # libuv's event loop roughly halves the clients' CPU per received message
        import uvloop
    except ImportError:
        out.put(asyncio.run(coro))
    else:
        out.put(uvloop.run(coro))


async def _clients(index: int, urls: list[str], cookies: list[str], room_id: int, go, seconds: float,
                   drain: float, out: mp.Queue) -> tuple:
    # python-socketio's AsyncClient: many clients share one event loop, so a
    # received broadcast costs a task, not a thread (the threaded Client
    # starts a new thread for every message it receives, which made the
    # clients, not the server, the bottleneck on this 2-core machine).
    import asyncio

    import socketio

    received: list[int] = []        # latency in microseconds
    receipts: Counter = Counter()   # message key -> times received by this worker's clients
    acked_keys: list[str] = []
    acks: list[int] = []
    refusals: Counter = Counter()   # error code -> count (throttled, server, ...)
    counters = {"sent": 0, "acked": 0, "refused": 0, "received": 0, "connect_failed": 0, "frames": 0}

    def on_message(data, now: int) -> bool:
        m = _STAMP.search(data.get("html") or "")
        if m:
            received.append((now - int(m.group(2))) // 1000)
            receipts[m.group(1)] += 1
        return m is not None

    def on_messages(data):
        # The server's writer sends a room's messages stored together as one
        # event (forum/chat/writer.py); each still counts as one delivery.
        now = time.time_ns()
        stamped = [on_message(item, now) for item in data.get("messages") or ()]
        counters["frames"] += any(stamped)

    def on_single(data):
        counters["frames"] += on_message(data, time.time_ns())

    async def make_client(cookie: str, url: str):
        sio = socketio.AsyncClient(reconnection=False, json=_fast_json())
        sio.on("message", on_single, namespace="/chat")
        sio.on("messages", on_messages, namespace="/chat")
        try:
            await sio.connect(url, headers={"Cookie": f"session={cookie}"}, namespaces=["/chat"],
                              transports=["websocket"], wait_timeout=30)
            res = await sio.call("join", {"room": room_id}, namespace="/chat", timeout=60)
            if not res.get("ok"):
                raise RuntimeError(res)
        except Exception as exc:  # noqa: BLE001
            counters["connect_failed"] += 1
            print(f"worker {index}: connect failed: {exc!r}", file=sys.stderr)
            return None
        return sio

    sessions = []
    for i in range(0, len(cookies), 20):  # connect in small batches, not all at once
        batch = [make_client(c, urls[(i + j) % len(urls)]) for j, c in enumerate(cookies[i:i + 20])]
        sessions.extend(s for s in await asyncio.gather(*batch) if s is not None)
    # Warm the server (lazy imports, first-use caches) before measuring; the
    # warm-up text carries no timestamp, so it is not counted.
    if sessions:
        try:
            await sessions[0].call("send", {"room": room_id, "client_id": f"warm-{index}-{os.getpid()}",
                                            "text": "warming up"}, namespace="/chat", timeout=120)
        except Exception as exc:  # noqa: BLE001 - an overloaded server: measure it anyway
            print(f"worker {index}: warm-up failed: {exc!r}", file=sys.stderr)
    # A client whose connection dropped while the others connected (ping
    # timeouts on an overloaded server) is counted apart, not as lost deliveries.
    dropped = [s for s in sessions if not s.connected]
    counters["connect_failed"] += len(dropped)
    sessions = [s for s in sessions if s.connected]
    out.put(("ready", index, len(sessions)))
    while go.value == 0.0:  # the parent publishes one start time once all are connected
        await asyncio.sleep(0.01)
    await asyncio.sleep(max(0.0, go.value - time.time()))
    cpu0 = time.process_time()

    def on_ack(res, sent_ns, key):
        if isinstance(res, dict) and res.get("ok"):
            counters["acked"] += 1
            acked_keys.append(key)
            acks.append((time.time_ns() - sent_ns) // 1000)
        else:
            counters["refused"] += 1
            refusals[res.get("error") if isinstance(res, dict) else "no_ack"] += 1

    async def client_loop(k: int, sio) -> None:
        # Every client sends once a second, at its own offset within the second.
        t0 = go.value + k / max(1, len(sessions))
        seq = 0
        while seq < seconds:
            await asyncio.sleep(max(0.0, t0 + seq - time.time()))
            sent_ns = time.time_ns()
            key = f"{index}-{k}-{seq}"
            try:
                await sio.emit("send", {"room": room_id, "client_id": f"w{index}c{k}s{seq}x{sent_ns}",
                                        "text": f"bench {key} {sent_ns}"}, namespace="/chat",
                               callback=lambda res=None, s=sent_ns, key=key: on_ack(res, s, key))
                counters["sent"] += 1
            except Exception:  # noqa: BLE001
                counters["refused"] += 1
                refusals["emit_failed"] += 1
            seq += 1

    await asyncio.gather(*(client_loop(k, sio) for k, sio in enumerate(sessions)))
    # Drain: wait until deliveries stop arriving (nothing new for 3 s), up
    # to ``drain`` seconds, so a slow server shows as latency, not as loss.
    deadline = time.time() + drain
    last, quiet_since = -1, time.time()
    while time.time() < deadline:
        if len(received) != last:
            last, quiet_since = len(received), time.time()
        elif time.time() - quiet_since >= 3:
            break
        await asyncio.sleep(0.2)
    cpu = time.process_time() - cpu0
    for sio in sessions:
        try:
            await sio.disconnect()
        except Exception:  # noqa: BLE001
            pass
    counters["received"] = len(received)
    return ("done", index, counters, received, acks, dict(receipts), acked_keys, dict(refusals), cpu)


def _next_result(out: mp.Queue, procs: list, timeout: float) -> tuple:
    """The next message from a client process; fails at once if one died
    (instead of waiting out the timeout for a message that never comes)."""
    import queue

    deadline = time.monotonic() + timeout
    while True:
        try:
            return out.get(timeout=2)
        except queue.Empty:
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"client process failed (exit codes {[p.exitcode for p in procs]})") from None


def _pingpong(url: str, cookie: str, room_id: int, count: int) -> dict:
    """Send-and-wait round trips from one client: each ack is written right
    after the broadcast frame to the same socket, the pattern Nagle stalls."""
    import socketio

    sio = socketio.Client(reconnection=False)
    sio.connect(url, headers={"Cookie": f"session={cookie}"}, namespaces=["/chat"], transports=["websocket"])
    sio.call("join", {"room": room_id}, namespace="/chat")
    times = []
    for i in range(count + 5):
        t = time.perf_counter_ns()
        res = sio.call("send", {"room": room_id, "client_id": f"pingpong-{i:06d}", "text": f"ping {i}"},
                       namespace="/chat", timeout=30)
        if i >= 5 and res.get("ok"):  # the first few warm the server up
            times.append((time.perf_counter_ns() - t) // 1000)
    sio.disconnect()
    return {"mode": "pingpong", "round_trips": len(times), "ack_ms": {"p50": _pct(times, 50), "p99": _pct(times, 99),
                                                                     "mean": round(statistics.fmean(times) / 1000, 2)}}


def _cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a process (Linux /proc), to show where time goes."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[int], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k] / 1000  # ms


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--drain", type=float, default=60,
                        help="at most this many seconds to wait for late deliveries (stops after 3 quiet seconds)")
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--redis", default=None, help="Redis URL (required for --servers > 1)")
    parser.add_argument("--workers", type=int, default=4, help="client processes")
    parser.add_argument("--database", default=None, help="DATABASE_URL (default: a fresh SQLite file)")
    parser.add_argument("--no-nodelay", action="store_true", help="serve without TCP_NODELAY")
    parser.add_argument("--full-screening", action="store_true",
                        help="screen with the MiniLM crisis model too (default: the fast path, KINDRED_SEMANTIC=0)")
    parser.add_argument("--pingpong", type=int, default=0, metavar="N",
                        help="instead: one client sends N messages back to back, each waiting for its ack "
                             "(shows the Nagle/delayed-ACK stall; compare with --no-nodelay)")
    parser.add_argument("--chat-limit", default=BENCH_CHAT_LIMIT, metavar="SPEC",
                        help="per-member chat limit for the server (default: %(default)r, which admits one "
                             "message a second with room for timing jitter; 'app' for the app's default, "
                             "'' for none). Refused sends are counted by reason, apart from lost messages")
    parser.add_argument("--batch-ms", type=float, default=None, metavar="MS",
                        help="the server's chat batching window (KINDRED_CHAT_BATCH_MS; default: the app's, "
                             "15 ms; 0: no waiting, batches only form from messages queued meanwhile)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    args = parser.parse_args(argv)
    if args.servers > 1 and not args.redis:
        parser.error("--servers > 1 needs --redis (the processes share rooms through Redis)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    tmp = Path(tempfile.mkdtemp(prefix="kindred-chat-bench-"))
    instance = tmp / "instance"
    instance.mkdir()
    db_url = args.database or f"sqlite:///{tmp / 'bench.sqlite3'}"
    secret = "bench-secret-" + os.urandom(8).hex()
    room_id, cookies = _prepare(db_url, instance, args.clients, secret)
    from config import Config

    # The real per-member limits stay on (one message a second is within
    # them); the HTTP limits do not matter to a Socket.IO benchmark.
    rate_limit = Config.KINDRED_CHAT_LIMIT if args.chat_limit == "app" else args.chat_limit
    env = {"DATABASE_URL": db_url, "KINDRED_INSTANCE_DIR": str(instance), "SECRET_KEY": secret,
           "KINDRED_RATELIMIT": "1" if rate_limit else "0", "KINDRED_CHAT_LIMIT": rate_limit,
           "KINDRED_SEMANTIC": "1" if args.full_screening else "0",
           # Load the screening engine at start, as in production (README), so
           # the server's start-up freeze (forum.serve) covers its tables too.
           "KINDRED_WARM_UP": "1"}
    if args.batch_ms is not None:
        env["KINDRED_CHAT_BATCH_MS"] = str(args.batch_ms)
    if args.redis:
        env["REDIS_URL"] = args.redis
    servers = _start_servers(args.servers, env, tmp, nodelay=not args.no_nodelay)
    if args.pingpong:
        try:
            summary = _pingpong(servers[0].url, cookies[0], room_id, args.pingpong)
        finally:
            for s in servers:
                s.stop()
        summary["nodelay"] = not args.no_nodelay
        print(json.dumps(summary))
        return summary
    try:
        urls = [s.url for s in servers]
        out: mp.Queue = mp.Queue()
        shards = [cookies[i::args.workers] for i in range(args.workers)]
        ctx = mp.get_context("fork")
        go = ctx.Value("d", 0.0)
        procs = []
        for i, shard in enumerate(shards):
            p = ctx.Process(target=_worker, args=(i, urls, shard, room_id, go, args.seconds, args.drain, out))
            p.start()
            procs.append(p)
        connected = 0
        for _ in procs:
            connected += _next_result(out, procs, timeout=600)[2]
        go.value = time.time() + 1.0
        load_before = os.getloadavg()[0]
        cpu_before = [_cpu_seconds(s.process.pid) for s in servers]
        results = [_next_result(out, procs, timeout=args.seconds + args.drain + 600) for _ in procs]
        server_cpu = sum(_cpu_seconds(s.process.pid) for s in servers) - sum(cpu_before)
        load_after = os.getloadavg()[0]
        for p in procs:
            p.join(timeout=30)
    finally:
        for s in servers:
            s.stop()

    totals = {"sent": 0, "acked": 0, "refused": 0, "received": 0, "connect_failed": 0, "frames": 0}
    latencies: list[int] = []
    acks: list[int] = []
    receipts: Counter = Counter()
    refusals: Counter = Counter()
    acked: list[str] = []
    client_cpu = 0.0
    for _kind, _i, counters, received, ack, worker_receipts, worker_acked, worker_refusals, cpu in results:
        for k in totals:
            totals[k] += counters[k]
        latencies.extend(received)
        acks.extend(ack)
        receipts.update(worker_receipts)
        refusals.update(worker_refusals)
        acked.extend(worker_acked)
        client_cpu += cpu
    expected = totals["acked"] * connected
    # An acknowledged message must reach every connected client exactly once.
    lost = sum(max(0, connected - receipts[key]) for key in acked)
    duplicated = sum(max(0, n - connected) for n in receipts.values())
    summary = {
        "clients": args.clients, "connected": connected, "connect_failed": totals["connect_failed"], "servers": args.servers, "redis": bool(args.redis),
        "nodelay": not args.no_nodelay, "screening": "full" if args.full_screening else "fast", "seconds": args.seconds, "database": db_url.split(":")[0],
        "chat_rate_limit": rate_limit or "off",
        "sent": totals["sent"], "acked": totals["acked"], "refused": totals["refused"],
        "refused_by_reason": dict(refusals),
        "deliveries_expected": expected, "deliveries": totals["received"],
        "unacked": totals["sent"] - totals["acked"] - totals["refused"],
        "lost": lost, "duplicated": duplicated,
        "deliveries_per_s": round(totals["received"] / args.seconds),
        "batch_ms": args.batch_ms if args.batch_ms is not None else "default",
        "frames": totals["frames"],
        "messages_per_frame": round(totals["received"] / max(1, totals["frames"]), 2),
        "fanout_ms": {"p50": _pct(latencies, 50), "p95": _pct(latencies, 95), "p99": _pct(latencies, 99),
                      "max": _pct(latencies, 100), "mean": round(statistics.fmean(latencies) / 1000, 2)
                      if latencies else None},
        "ack_ms": {"p50": _pct(acks, 50), "p99": _pct(acks, 99)},
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_message": round(1000 * server_cpu / max(1, totals["acked"]), 2),
        "server_cpu_us_per_delivery": round(1e6 * server_cpu / max(1, totals["received"]), 1),
        "client_cpu_s": round(client_cpu, 1),
        "client_cpu_us_per_delivery": round(1e6 * client_cpu / max(1, totals["received"]), 1),
        "client_cpu_us_per_frame": round(1e6 * client_cpu / max(1, totals["frames"]), 1),
        "load_average_at_start": round(load_before, 2), "load_average_at_end": round(load_after, 2),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()

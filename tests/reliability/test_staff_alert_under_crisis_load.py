"""Issue 15, finding 8: on the embedded default (one process serving the
forum and running the job consumer, no Redis), an imminent case must reach
connected staff within 5 s at p99 while members keep posting.

A real ``forum.serve --worker`` process with the real screening engine; a
staff member's python-socketio client on /staff; several members posting
at once, one post in three stating suicidal intent for tonight. The load
runs once per module; one test checks that nothing was lost (every crisis
post opened one case, staff heard of every case, every case's durable
alert was delivered exactly once), the other how fast, as ratios to how
long an ordinary post took in the same run.

Each crisis post is timed from the moment it is sent until the staff client
receives its new case, and each case's outbox alert (the on-call email and
webhook, and the staff re-broadcast) from the case's commit until the relay
delivered it: urgent alerts must not queue behind routine background work
such as the second opinion on every ordinary post.
"""
from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import socketio
from sqlalchemy import func, select

from forum import create_app
from forum.extensions import db
from forum.models import Alert, Board, Escalation, Outbox, Post, Review, Topic
from tests.conftest import _empty_all_tables, config_class, make_user
from tests.live import start_server
from tests.review.live_http import cookie_header, login, new_topic

pytestmark = pytest.mark.slow

WRITERS = 6
SECONDS = 20
# Staff alert p99 and durable alert p99, each against the median time an
# ordinary post took in the same run. Without the fair SQLite write gate
# and the start-up model load the live alert's ratio was several times
# this bound; the figures are in docs/reliability.md.
ALERT_RATIO = 4.0
CRISIS = "I want to kill myself tonight. I can't keep going."
ORDINARY = "Had a slow day today, but a walk in the park helped a little. Thanks for listening, everyone."


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class CrisisRun:
    errors: list[str] = field(default_factory=list)
    sent: dict[str, float] = field(default_factory=dict)  # crisis topic title -> monotonic time sent
    ordinary: list[float] = field(default_factory=list)  # seconds per ordinary post
    cases: dict[int, str] = field(default_factory=dict)  # case id -> its post's title
    received: dict[int, float] = field(default_factory=dict)  # case id -> first heard by staff
    outbox_rows: Counter = field(default_factory=Counter)  # case id -> escalation.opened rows
    undelivered: list[dict] = field(default_factory=list)
    socket_alerts: Counter = field(default_factory=Counter)  # case id -> recorded socket alerts
    relayed: list[float] = field(default_factory=list)  # seconds from commit to delivery

    @property
    def alert_latencies(self) -> list[float]:
        return [self.received[cid] - self.sent[title] for cid, title in self.cases.items() if cid in self.received]


@pytest.fixture(scope="module")
def crisis_run(_schema, app_config, test_env, tmp_path_factory) -> CrisisRun:
    """Run the crisis load once against a real embedded server and collect what happened."""
    app = create_app(config_class(app_config))
    with app.app_context():
        try:
            make_user("AlertStaff", "staff")
            for i in range(WRITERS):
                make_user(f"LoadWriter{i}")
            db.session.add(Board(slug="load", name="Load", description=""))
            db.session.commit()
            env = {k: v for k, v in test_env.items() if k != "REDIS_URL"}
            server = start_server({**env, "KINDRED_WARM_UP": "1"}, tmp_path_factory.mktemp("alert"),
                                  timeout=180, extra_args=("--worker",))
            try:
                run = _load(server.url)
                _collect(run)
            finally:
                server.stop()
        finally:
            db.session.rollback()
            _empty_all_tables()
            db.session.remove()
            db.engine.dispose()
    return run


def _load(url: str) -> CrisisRun:
    run = CrisisRun()
    heard: queue.Queue = queue.Queue()
    staff = socketio.Client(reconnection=False)
    staff.on("case", lambda data: heard.put((time.monotonic(), data)), namespace="/staff")
    staff.connect(url, namespaces=["/staff"], transports=["websocket"],
                  headers={"Cookie": cookie_header(login(url, "AlertStaff"))}, wait_timeout=20)
    stop = time.monotonic() + SECONDS
    lock = threading.Lock()

    def writer(index: int) -> None:
        session = login(url, f"LoadWriter{index}")
        n = 0
        while time.monotonic() < stop:
            crisis = (n + index) % 3 == 0
            title = f"{'Tonight' if crisis else 'Today'} w{index} n{n}"
            started = time.monotonic()
            resp = new_topic(session, url, "load", title, CRISIS if crisis else ORDINARY)
            took = time.monotonic() - started
            with lock:
                if resp.status_code != 302:
                    run.errors.append(f"{title}: {resp.status_code}")
                elif crisis:
                    run.sent[title] = started
                else:
                    run.ordinary.append(took)
            n += 1

    try:
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        run.cases = _cases()
        deadline = time.monotonic() + 60
        while set(run.cases) - set(run.received) and time.monotonic() < deadline:
            try:
                at, data = heard.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if data.get("new"):
                run.received.setdefault(data["id"], at)
    finally:
        staff.disconnect()
    return run


def _cases() -> dict[int, str]:
    db.session.remove()
    return dict(db.session.execute(
        select(Escalation.id, Topic.title).join(Review, Review.id == Escalation.review_id)
        .join(Post, (Review.target_type == "post") & (Post.id == Review.target_id))
        .join(Topic, Topic.id == Post.topic_id)
    ).all())


def _collect(run: CrisisRun) -> None:
    """The durable side: wait (bounded) for the relay, then record what it did."""
    rows: list[Outbox] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.remove()
        rows = db.session.scalars(select(Outbox).where(Outbox.kind == "escalation.opened")).all()
        if len(rows) >= len(run.cases) and all(r.processed_at for r in rows):
            break
        time.sleep(0.5)
    run.outbox_rows = Counter(r.payload["escalation_id"] for r in rows)
    run.undelivered = [r.payload for r in rows if r.processed_at is None]
    run.relayed = [(r.processed_at - r.created_at).total_seconds() for r in rows if r.processed_at]
    run.socket_alerts = Counter(dict(db.session.execute(
        select(Alert.escalation_id, func.count()).where(Alert.kind == "case_opened", Alert.channel == "socket")
        .group_by(Alert.escalation_id)).all()))


def test_every_imminent_case_alerted_exactly_once(crisis_run):
    run = crisis_run
    assert not run.errors, run.errors[:5]
    assert len(run.sent) >= 10, f"too few crisis posts sent ({len(run.sent)}): the machine is overloaded"
    titles = Counter(run.cases.values())
    assert sorted(titles) == sorted(run.sent) and set(titles.values()) == {1}, \
        "a crisis post did not open exactly one case"
    missing = sorted(set(run.cases) - set(run.received))
    assert not missing, f"staff never heard of cases {missing[:10]}"
    assert run.outbox_rows == Counter(dict.fromkeys(run.cases, 1)), "a case has no durable alert, or several"
    assert not run.undelivered, f"durable alerts never delivered: {run.undelivered[:5]}"
    assert run.socket_alerts == Counter(dict.fromkeys(run.cases, 1)), \
        "a case's durable alert was delivered more than once, or not at all"


def test_imminent_cases_reach_staff_within_5s_under_crisis_load(crisis_run):
    run = crisis_run
    latencies = run.alert_latencies
    assert latencies and run.relayed and run.ordinary, "the load produced no cases: see the loss test"
    post = percentile(run.ordinary, 50)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    r50, r99 = percentile(run.relayed, 50), percentile(run.relayed, 99)
    print(f"ordinary posts: {len(run.ordinary)}, p50 {post * 1000:.0f} ms, "
          f"p99 {percentile(run.ordinary, 99) * 1000:.0f} ms")
    print(f"staff alerts: {len(latencies)} imminent cases, p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"outbox case alerts: p50 {r50 * 1000:.0f} ms, p99 {r99 * 1000:.0f} ms")
    # The target is 5 s at p99; on a shared machine the test checks it as a
    # ratio to the median ordinary post of the same run.
    assert p99 <= ALERT_RATIO * post, (
        f"staff alert p99 {p99:.2f} s against a median post of {post:.2f} s (ratio {p99 / post:.1f})")
    assert r99 <= ALERT_RATIO * post, (
        f"durable alert p99 {r99:.2f} s against a median post of {post:.2f} s (ratio {r99 / post:.1f})")

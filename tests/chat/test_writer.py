"""Batched sends (forum/chat/writer.py): one transaction and one broadcast
per batch, with every message's guarantees kept."""
from __future__ import annotations

import threading
import time
from collections import deque

import pytest
from sqlalchemy import event, func, select

from forum.chat import services
from forum.chat.writer import SendWriter, fanout_window, next_batch
from forum.extensions import db
from forum.models import ChatMessage, ContentStatus, User
from forum.review import services as review
from tests.chat.conftest import client_id, events, join, send
from tests.chat.engine import CONTACT, IMMINENT


def _prepare(user, room, text, cid=None, **extra):
    return services.prepare_send(user, services.SendMessage(room.id, cid or client_id(), text, **extra))


def _author(user_id):
    return db.session.get(User, user_id)


def _broadcast_ids(sio):
    """Message ids a client received live, in arrival order, from single and batched events."""
    ids = []
    for event in sio.get_received("/chat"):
        data = event["args"][0] if isinstance(event["args"], list) else event["args"]
        if event["name"] == "message":
            ids.append(data["id"])
        elif event["name"] == "messages":
            ids.extend(m["id"] for m in data["messages"])
    return ids


def test_next_batch_goes_at_once_when_idle_and_once_per_window_when_busy():
    queue = deque()
    assert next_batch(queue, now=100.0, last_start=0.0, window=0.015, max_batch=10) == ([], 0.015)
    queue.extend("abc")
    # idle: the previous batch began long ago
    assert next_batch(queue, now=100.0, last_start=0.0, window=0.015, max_batch=10) == (["a", "b", "c"], 0.0)
    queue.extend("de")
    batch, wait = next_batch(queue, now=100.005, last_start=100.0, window=0.015, max_batch=10)
    assert batch == [] and wait == pytest.approx(0.010)  # busy: wait out the window
    assert next_batch(queue, now=100.015, last_start=100.0, window=0.015, max_batch=1) == (["d"], 0.0)
    assert list(queue) == ["e"]  # at most max_batch per transaction


def test_a_batch_is_one_transaction_and_one_event_in_id_order(app, room, users, connect):
    watcher = connect(users["moderator"])
    join(watcher, room)
    watcher.get_received("/chat")
    batch = [_prepare(users["member"], room, "first"), _prepare(users["member2"], room, "second"),
             _prepare(users["member"], room, CONTACT), _prepare(users["member2"], room, "third")]
    db.session.rollback()
    statements = []

    def statement(_conn, _cursor, sql, *_args):
        statements.append(" ".join(sql.split()[:3]))

    def commit(_conn):
        statements.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        results = services.store_sends(batch, author_of=_author)
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)
    # One transaction for the four messages (what follows the first commit is
    # the test set-up's inline job queue relaying the outbox).
    # Every message row goes in before that commit and none after it (SQLite
    # gets one INSERT per row; on PostgreSQL SQLAlchemy sends the four as one
    # multi-row INSERT), and all four are stored (counted below).
    first_commit = statements.index("COMMIT")
    assert "INSERT INTO chat_messages" in statements[:first_commit], statements
    assert "INSERT INTO chat_messages" not in statements[first_commit:], statements
    assert all(isinstance(r, services.SendResult) and not r.duplicate for r in results)
    ids = [r.author_ack["message"]["id"] for r in results]
    assert ids == sorted(ids)
    # each ack is its author's own: their client id, and "held" for the held one
    assert [r.author_ack["message"]["client_id"] for r in results] == [p.cmd.client_id for p in batch]
    assert [r.author_ack["held"] for r in results] == [False, False, True, False]
    received = watcher.get_received("/chat")
    batched = [e for e in received if e["name"] in ("message", "messages")]
    assert len(batched) == 1 and batched[0]["name"] == "messages"
    payload = batched[0]["args"][0]
    # the held message is not in it; the others are, once each, in id order, as broadcasts
    assert payload["room"] == room.id
    assert [m["id"] for m in payload["messages"]] == [ids[0], ids[1], ids[3]]
    assert all("client_id" not in m and "mine" not in m for m in payload["messages"])
    assert db.session.scalar(select(func.count()).select_from(ChatMessage)) == 4
    assert db.session.get(ChatMessage, ids[2]).status == ContentStatus.HELD


def test_crisis_alerts_and_cards_are_per_message_in_a_batch(app, room, users, connect):
    mod = connect(users["moderator"])
    join(mod, room)
    mod.get_received("/chat")
    batch = [_prepare(users["member"], room, "just saying hello"), _prepare(users["member2"], room, IMMINENT)]
    hello, crisis = services.store_sends(batch, author_of=_author)
    assert hello.author_ack["card"] is None
    assert crisis.author_ack["card"] and crisis.author_ack["held"]
    (alert,) = events(mod, "chat_alert")
    assert alert["message_id"] == crisis.author_ack["message"]["id"] and alert["risk"] == "imminent"


def test_a_resend_in_the_same_batch_is_stored_once(app, room, users, connect):
    watcher = connect(users["member2"])
    join(watcher, room)
    watcher.get_received("/chat")
    cid = client_id()
    other = _prepare(users["member2"], room, "someone else")
    first, again = _prepare(users["member"], room, "only once", cid), _prepare(users["member"], room, "only once", cid)
    results = services.store_sends([first, other, again], author_of=_author)
    assert [r.duplicate for r in results] == [False, False, True]
    assert results[2].author_ack["message"]["id"] == results[0].author_ack["message"]["id"]
    assert results[2].author_ack["duplicate"] is True
    assert db.session.scalar(select(func.count()).select_from(ChatMessage).where(ChatMessage.client_id == cid)) == 1
    # stored one by one after the collision: each stored message is broadcast once
    assert sorted(_broadcast_ids(watcher)) == sorted([results[0].author_ack["message"]["id"],
                                                      results[1].author_ack["message"]["id"]])


def test_one_message_that_fails_does_not_cost_the_others_theirs(app, room, users, connect, monkeypatch):
    watcher = connect(users["moderator"])
    join(watcher, room)
    watcher.get_received("/chat")
    real = review.on_screened

    def on_screened(target_type, target, verdict, **kwargs):
        if target.body_source == "poison":
            raise RuntimeError("the review queue failed for this one")
        return real(target_type, target, verdict, **kwargs)

    monkeypatch.setattr(review, "on_screened", on_screened)
    batch = [_prepare(users["member"], room, "fine"), _prepare(users["member2"], room, "poison"),
             _prepare(users["member2"], room, "also fine")]
    good, bad, also = services.store_sends(batch, author_of=_author)
    assert isinstance(bad, RuntimeError)
    stored = db.session.scalars(select(ChatMessage.body_source).order_by(ChatMessage.id)).all()
    assert stored == ["fine", "also fine"]  # the failed one left nothing behind
    assert _broadcast_ids(watcher) == [good.author_ack["message"]["id"], also.author_ack["message"]["id"]]


def _writer(app, **kwargs) -> SendWriter:
    writer = SendWriter(app, **kwargs)
    app.extensions["kindred_chat"].writer = writer
    return writer


def test_concurrent_sends_are_each_acked_and_broadcast_once_in_id_order(app, room, users, connect):
    watcher = connect(users["moderator"])
    join(watcher, room)
    watcher.get_received("/chat")
    writer = _writer(app, window=3600.0)
    writer._last_start = time.monotonic()  # as if a batch had just begun: the next waits for the window
    prepared = [_prepare(users[role], room, f"message {i}") for i, role in enumerate(["member", "member2"] * 3)]
    db.session.rollback()
    acks: list = [None] * len(prepared)

    def submit(i):
        acks[i] = writer.submit(prepared[i])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(prepared))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while writer.pending < len(prepared) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.pending == len(prepared)
    with writer._cond:  # end the window: everything queued goes as one batch
        writer.window = 0.0
        writer._cond.notify()
    for t in threads:
        t.join(30)
    assert all(a and a["ok"] and a["message"]["mine"] for a in acks)
    assert writer.batches == 1 and writer.messages == len(prepared)
    ids = [a["message"]["id"] for a in acks]
    received = [e for e in watcher.get_received("/chat") if e["name"] in ("message", "messages")]
    assert [e["name"] for e in received] == ["messages"]
    assert [m["id"] for m in received[0]["args"][0]["messages"]] == sorted(ids)


def test_a_resend_batched_with_its_original_through_the_writer_is_acknowledged_once(app, room, users, connect):
    watcher = connect(users["member2"])
    join(watcher, room)
    watcher.get_received("/chat")
    writer = _writer(app, window=3600.0)
    writer._last_start = time.monotonic()
    cid = client_id()
    prepared = [_prepare(users["member"], room, "only once", cid), _prepare(users["member2"], room, "hello"),
                _prepare(users["member"], room, "only once", cid)]
    db.session.rollback()
    acks: list = [None] * len(prepared)

    def submit(i):
        acks[i] = writer.submit(prepared[i])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(prepared))]
    for i, t in enumerate(threads):
        t.start()
        deadline = time.monotonic() + 30  # queue them in this order
        while writer.pending < i + 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    with writer._cond:
        writer.window = 0.0
        writer._cond.notify()
    for t in threads:
        t.join(30)
    assert [a["duplicate"] for a in acks] == [False, False, True]
    assert acks[2]["message"]["id"] == acks[0]["message"]["id"] and acks[2]["message"]["mine"]
    assert db.session.scalar(select(func.count()).select_from(ChatMessage)) == 2
    assert sorted(_broadcast_ids(watcher)) == sorted([acks[0]["message"]["id"], acks[1]["message"]["id"]])


def test_a_send_is_refused_as_busy_when_the_writer_has_a_backlog(app, room, users, connect):
    writer = _writer(app, window=3600.0, max_queue=1)
    writer._last_start = time.monotonic()
    first = _prepare(users["member2"], room, "queued")
    db.session.rollback()
    waiting = threading.Thread(target=writer.submit, args=(first,))
    waiting.start()
    deadline = time.monotonic() + 30
    while writer.pending < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    alice = connect(users["member"])
    join(alice, room)
    res = send(alice, room, "not now")
    assert res["ok"] is False and res["error"] == "busy" and "kept" in res["message"]
    with writer._cond:
        writer.window = 0.0
        writer._cond.notify()
    waiting.join(30)
    assert db.session.scalars(select(ChatMessage.body_source)).all() == ["queued"]
    assert send(alice, room, "now")["ok"]


def test_the_socket_send_goes_through_the_writer(app, room, users, connect):
    writer = app.extensions["kindred_chat"].writer
    alice = connect(users["member"])
    join(alice, room)
    before = writer.messages
    assert send(alice, room, "through the writer")["ok"]
    assert writer.messages == before + 1


def test_the_window_widens_with_the_audience_up_to_a_cap():
    assert fanout_window(10, base=0.015, per_second=4000) == 0.015  # a small room keeps the base window
    assert fanout_window(200, base=0.015, per_second=4000) == pytest.approx(0.05)
    assert fanout_window(5000, base=0.015, per_second=4000, cap=0.1) == pytest.approx(0.1)
    assert fanout_window(5000, base=3.0, per_second=4000, cap=0.1) == 3.0  # never below the configured window
    assert fanout_window(5000, base=0.015, per_second=0) == 0.015  # off


def test_the_writer_sizes_its_window_from_the_largest_room_in_a_batch(app):
    counts = {1: 20, 2: 400}
    reads = []

    def audience(room_id):
        reads.append(room_id)
        return counts[room_id]

    writer = SendWriter(app, window=0.015, audience=audience, fanout_per_second=4000)
    assert writer.window_for({1}) == 0.015
    assert writer.window_for({1, 2}) == pytest.approx(0.1)
    counts[2] = 100
    assert writer.window_for({2}) == pytest.approx(0.1)  # the count is reused for a second
    assert sorted(reads) == [1, 2]
    assert SendWriter(app, window=0.015).window_for({2}) == 0.015  # no audience: the base window


def test_the_apps_writer_counts_the_sockets_in_the_room(app, room, users, connect):
    writer = app.extensions["kindred_chat"].writer
    writer.fanout_per_second = 50  # so two members are already a "large" room
    for who in ("member", "member2"):
        join(connect(users[who]), room)
    assert writer.window_for({room.id}) == pytest.approx(max(writer.window, 2 / 50))


def test_a_batch_in_a_large_room_widens_the_next_window(app, room, users, connect):
    alice = connect(users["member"])
    join(alice, room)
    writer = app.extensions["kindred_chat"].writer
    writer.fanout_per_second = 10  # one member: a tenth of a second
    assert send(alice, room, "widen")["ok"]
    deadline = time.monotonic() + 10
    while writer.current_window != pytest.approx(0.1) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.current_window == pytest.approx(0.1)

"""The send path's shortcuts keep the rules: cached room views, the local
rate-limit windows, and the ack built before the commit."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, update

from forum.auth import sessions
from forum.chat.cache import RoomViews
from forum.chat.state import RateLimits, _LocalWindows
from forum.extensions import db
from forum.models import ChatMute, ChatRoom, User, utcnow
from tests.chat.conftest import join, send


def test_a_room_changed_outside_the_services_applies_to_the_next_message(app, room, users, connect):
    alice = connect(users["member"])
    join(alice, room)
    assert send(alice, room, "first")["ok"]  # the room's view is now cached
    row = db.session.get(ChatRoom, room.id)
    row.is_locked = True
    db.session.commit()
    assert send(alice, room, "second")["error"] == "locked"


def test_a_mute_written_directly_applies_at_once_and_ends_on_time(app, room, users, connect):
    alice = connect(users["member"])
    join(alice, room)
    assert send(alice, room, "before")["ok"]
    until = utcnow() + timedelta(minutes=5)
    db.session.add(ChatMute(room_id=room.id, user_id=users["member"].id, until=until,
                            created_by_id=users["moderator"].id, created_at=utcnow()))
    db.session.commit()
    res = send(alice, room, "while muted")
    assert res["error"] == "muted" and res["until"] == until.isoformat()
    view = app.extensions["kindred_chat"].rooms.get(room.id)
    assert view.muted_until(users["member"].id, until + timedelta(seconds=1)) is None


def test_a_member_silenced_while_connected_cannot_send_the_next_message(app, room, users, connect):
    alice = connect(users["member"])
    join(alice, room)
    assert send(alice, room, "first")["ok"]  # the member's row is now cached
    member = db.session.get(User, users["member"].id)
    member.silenced_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert send(alice, room, "second")["error"] == "silenced"


def test_the_cached_member_is_the_socket_s_own(app, room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    join(bob, room)
    for i in range(3):
        assert send(alice, room, f"a{i}")["message"]["author"] == users["member"].handle
        assert send(bob, room, f"b{i}")["message"]["author"] == users["member2"].handle


def test_views_expire_so_other_processes_changes_arrive_within_the_ttl(app, room, monkeypatch):
    views = RoomViews(ttl=0.0)
    assert views.get(room.id).is_locked is False
    # A Core UPDATE fires no ORM events, like a change made by another process.
    db.session.execute(update(ChatRoom).where(ChatRoom.id == room.id).values(is_locked=True))
    db.session.commit()
    assert views.get(room.id).is_locked is True
    cached = RoomViews(ttl=3600)
    assert cached.get(room.id).is_locked is True
    db.session.execute(update(ChatRoom).where(ChatRoom.id == room.id).values(is_locked=False))
    db.session.commit()
    assert cached.get(room.id).is_locked is True  # until the TTL, or a change in this process
    assert views.get(999999) is None


def test_a_send_costs_three_statements(app, room, users, connect, monkeypatch):
    """The insert, and the review queue's lookup and outbox row: the member,
    room, board and mutes come from the views, the ack is built before commit."""
    # The test set-up runs the second opinion inline, which can outlast the TTL.
    monkeypatch.setattr(app.extensions["kindred_chat"].rooms, "ttl", 3600)
    monkeypatch.setattr(app.extensions["kindred_chat"].users, "ttl", 3600)
    # The once-a-second check that the sender's login is still open (one query per process).
    monkeypatch.setattr(sessions, "CHECK_SECONDS", 3600)
    alice = connect(users["member"])
    join(alice, room)
    assert send(alice, room, "warm")["ok"]
    db.session.refresh(room)  # the test's own copy, expired by that commit
    statements = []
    listener = lambda *args: statements.append(args[2].split()[0])  # noqa: E731
    committed = lambda *args: statements.append("COMMIT")  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    event.listen(db.engine, "commit", committed)
    try:
        res = send(alice, room, "counted")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
        event.remove(db.engine, "commit", committed)
    assert res["ok"] and res["message"]["mine"] and res["message"]["html"] == "<p>counted</p>\n"
    # What follows the first commit is the test set-up's inline job queue
    # relaying the outbox; a server hands that to the job consumer.
    assert statements[:statements.index("COMMIT")] == ["INSERT", "SELECT", "INSERT"], statements


def test_local_windows_count_like_a_moving_window():
    now = [1000.0]
    windows = _LocalWindows([(5, 5), (8, 60)], clock=lambda: now[0])
    assert [windows.hit(1) for _ in range(6)] == [True] * 5 + [False]
    assert windows.hit(2)  # per member
    now[0] += 5.01
    # The refused sixth still counted against the minute (as in `limits`): 6 of 8 used.
    assert [windows.hit(1) for _ in range(4)] == [True, True, False, False]
    now[0] += 60
    assert windows.hit(1)


def test_rate_limits_use_local_windows_without_redis_and_reset():
    limits = RateLimits("memory://", "2 per 5 seconds")
    assert [limits.hit(7) for _ in range(3)] == [True, True, False]
    limits.reset()
    assert limits.hit(7)
    assert RateLimits("memory://", "").hit(7)

"""The /chat namespace through Flask-SocketIO's test client, on the real database."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from forum.auth.sessions import login_id
from forum.chat import services
from forum.extensions import db
from forum.models import AuditEvent, ChatMessage, ChatMute, ContentStatus, utcnow
from tests.chat.conftest import client_id, events, join, send


def test_members_see_each_others_messages_live(room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    assert join(alice, room)["ok"] and join(bob, room)["ok"]
    bob.get_received("/chat")

    ack = send(alice, room, "Hello **everyone**")
    assert ack["ok"] and not ack["duplicate"] and not ack["held"]
    received = events(bob, "message")
    assert [m["id"] for m in received] == [ack["message"]["id"]]
    assert received[0]["html"] == "<p>Hello <strong>everyone</strong></p>\n"
    assert received[0]["author"] == users["member"].handle
    # broadcasts never carry the author's account id or the client id
    assert "author_id" not in received[0] and "client_id" not in received[0]


def test_message_is_persisted_with_its_verdict_before_broadcast(room, users, connect):
    alice = connect(users["member"])
    join(alice, room)
    ack = send(alice, room, "Feeling a bit better <script>alert(1)</script>")
    msg = db.session.get(ChatMessage, ack["message"]["id"])
    assert msg.status == ContentStatus.VISIBLE
    assert "<script" not in msg.body_html and "<script" not in ack["message"]["html"]
    assert msg.verdict["action"] in ("publish", "publish_flagged")


def test_anonymous_message_hides_the_author_from_everyone_in_broadcasts(room, users, connect):
    alice, staff = connect(users["member"]), connect(users["staff"])
    join(alice, room)
    join(staff, room)
    staff.get_received("/chat")
    ack = send(alice, room, "Something I find hard to say", anonymous=True)
    assert ack["message"]["author"] == "Anonymous member"
    (seen,) = events(staff, "message")
    assert seen["author"] == "Anonymous member" and seen["anonymous"] is True
    assert users["member"].handle not in str(seen)


def test_resending_the_same_client_id_is_idempotent(room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    join(bob, room)
    bob.get_received("/chat")
    cid = client_id()
    first = send(alice, room, "Only once please", client_id=cid)
    again = send(alice, room, "Only once please", client_id=cid)
    assert again["ok"] and again["duplicate"]
    assert again["message"]["id"] == first["message"]["id"]
    assert len(events(bob, "message")) == 1
    count = db.session.scalar(select(func.count()).select_from(ChatMessage))
    assert count == 1


def test_resend_is_acknowledged_even_after_the_room_was_locked(room, users, connect):
    alice, mod = connect(users["member"]), connect(users["moderator"])
    join(alice, room)
    cid = client_id()
    first = send(alice, room, "sent just before the lock", client_id=cid)
    assert mod.emit("lock", {"room": room.id, "locked": True}, namespace="/chat", callback=True)["ok"]
    again = send(alice, room, "sent just before the lock", client_id=cid)
    assert again["ok"] and again["duplicate"] and again["message"]["id"] == first["message"]["id"]
    assert send(alice, room, "a new one")["error"] == "locked"


def test_reconnect_catches_up_on_missed_messages_without_duplicates(room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    first = join(bob, room)
    seen = send(alice, room, "before bob drops")["message"]["id"]
    bob.disconnect(namespace="/chat")
    missed = [send(alice, room, f"while away {i}")["message"]["id"] for i in range(3)]

    bob = connect(users["member2"])
    again = join(bob, room, after=seen, shown=[seen])
    assert first["ok"] and again["ok"]
    assert [m["id"] for m in again["messages"]] == missed
    assert again["removed"] == []


def test_hidden_while_away_is_reported_on_reconnect(room, users, connect):
    alice, mod = connect(users["member"]), connect(users["moderator"])
    join(alice, room)
    msg_id = send(alice, room, "a message")["message"]["id"]
    assert mod.emit("hide", {"id": msg_id}, namespace="/chat", callback=True)["ok"]
    bob = connect(users["member2"])
    res = join(bob, room, after=msg_id, shown=[msg_id])
    assert res["removed"] == [msg_id]


def test_history_pages_backwards_by_id(room, users, connect, client, auth):
    alice = connect(users["member"])
    join(alice, room)
    ids = [send(alice, room, f"message {i}")["message"]["id"] for i in range(7)]
    page = alice.emit("history", {"room": room.id, "before": ids[4]}, namespace="/chat", callback=True)
    assert [m["id"] for m in page["messages"]] == ids[:4] and page["more"] is False
    with client.session_transaction() as sess:
        sess["_user_id"] = login_id(users["member2"])
    res = client.get(f"/chat/{room.slug}/messages?before={ids[-1]}&limit=3")
    assert res.status_code == 200
    assert [m["id"] for m in res.json["messages"]] == ids[3:6] and res.json["more"] is True


def test_anonymous_visitors_cannot_send_or_enter_members_rooms(room, connect):
    visitor = connect(None)
    assert join(visitor, room)["error"] == "forbidden"
    assert send(visitor, room, "hello")["error"] == "not_authenticated"


def test_foreign_origin_is_refused(app, room, users, connect):
    import pytest

    with pytest.raises(Exception):
        sio = connect(users["member"], headers={"Origin": "https://evil.example"})
        assert not sio.is_connected("/chat")
        raise ConnectionRefusedError
    ok = connect(users["member"], headers={"Origin": "http://localhost"})
    assert ok.is_connected("/chat")


def test_restricted_room_needs_approved_posts(app, users, connect):
    lounge = services.create_room(users["staff"], services.RoomInput(
        name="Lounge", slug="lounge", access="restricted", min_approved_posts=3))
    member = connect(users["member"])
    res = join(member, lounge)
    assert res["error"] == "forbidden" and "3 approved posts" in res["message"]
    users["member"].approved_post_count = 3
    db.session.commit()
    assert join(connect(users["member"]), lounge)["ok"]
    assert join(connect(users["moderator"]), lounge)["ok"]


def test_errors_are_clear_and_nothing_is_stored(app, room, users, connect):
    alice = connect(users["member"])
    join(alice, room)
    too_long = send(alice, room, "x" * (app.config["KINDRED_MAX_CHAT_CHARS"] + 1))
    assert too_long["error"] == "too_long" and "limit" in too_long["message"]
    assert send(alice, room, "   ")["error"] == "empty"
    assert send(alice, room, "hi", client_id="bad id!")["error"] == "bad_request"
    assert db.session.scalar(select(func.count()).select_from(ChatMessage)) == 0


def test_closed_room_refuses_members_but_not_moderators(app, users, connect):
    now = utcnow()
    # a one-hour window that ended an hour ago, every day
    start, end = (now - timedelta(hours=2)).strftime("%H:%M"), (now - timedelta(hours=1)).strftime("%H:%M")
    closed = services.create_room(users["staff"], services.RoomInput(
        name="Late", slug="late", access="members",
        schedule={"tz": "UTC", "windows": [{"days": list(range(7)), "start": start, "end": end}]}))
    res = send(connect(users["member"]), closed, "anyone here?")
    assert res["error"] == "closed" and "closed" in res["message"]
    assert send(connect(users["moderator"]), closed, "The room opens again tomorrow.")["ok"]


def test_rate_limit_throttles_a_flood(app, room, users, connect):
    from forum.chat.state import RateLimits

    app.extensions["kindred_chat"].rate = RateLimits("memory://", "5 per 5 seconds")
    alice = connect(users["member"])
    join(alice, room)
    results = [send(alice, room, f"flood {i}") for i in range(8)]
    assert any(r.get("error") == "throttled" for r in results)
    assert "wait" in next(r for r in results if not r["ok"])["message"]


def test_support_reaction_toggles_and_broadcasts(room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    join(bob, room)
    msg_id = send(alice, room, "rough day")["message"]["id"]
    alice.get_received("/chat")
    res = bob.emit("support", {"id": msg_id}, namespace="/chat", callback=True)
    assert res == {"ok": True, "supported": True, "id": msg_id, "room": room.id, "support": 1}
    assert events(alice, "support")[-1]["support"] == 1
    assert bob.emit("support", {"id": msg_id}, namespace="/chat", callback=True)["support"] == 0
    assert alice.emit("support", {"id": msg_id}, namespace="/chat", callback=True)["error"] == "own_message"


def test_reply_must_target_a_visible_message_in_the_room(room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    first = send(alice, room, "anyone else awake?")["message"]["id"]
    reply = send(bob, room, "me, hi", reply_to=first)
    assert reply["ok"] and reply["message"]["reply_to"] == first
    assert send(bob, room, "hm", reply_to=999999)["error"] == "bad_reply"


def test_presence_is_a_count_only(room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    assert join(alice, room)["presence"] == 1
    alice.get_received("/chat")
    assert join(bob, room)["presence"] == 2
    (update,) = events(alice, "presence")
    assert update == {"room": room.id, "count": 2}
    bob.disconnect(namespace="/chat")
    assert events(alice, "presence")[-1]["count"] == 1


def test_typing_indicator_names_nobody(room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    join(bob, room)
    bob.get_received("/chat")
    alice.emit("typing", {"room": room.id}, namespace="/chat")
    assert events(bob, "typing") == [{"room": room.id}]

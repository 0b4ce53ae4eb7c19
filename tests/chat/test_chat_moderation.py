"""Moderator live controls: every one checked server-side, audited, and live."""
from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.models import AuditEvent, ChatMessage, ChatRoom, ContentStatus
from tests.chat.conftest import events, join, send


def _audit(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _mod(sio, event, data):
    return sio.emit(event, data, namespace="/chat", callback=True)


def test_hide_removes_the_message_for_everyone_and_is_audited(room, users, connect):
    alice, bob, mod = connect(users["member"]), connect(users["member2"]), connect(users["moderator"])
    for c in (alice, bob, mod):
        join(c, room)
    msg_id = send(alice, room, "something unkind")["message"]["id"]
    bob.get_received("/chat")
    assert _mod(mod, "hide", {"id": msg_id, "note": "Please keep it kind"})["ok"]
    assert events(bob, "hidden") == [{"id": msg_id, "room": room.id}]
    assert db.session.get(ChatMessage, msg_id).status == ContentStatus.HIDDEN
    (event,) = _audit("content.hidden")
    assert event.actor_id == users["moderator"].id and event.target_id == msg_id
    # gone from others' history; the author sees it marked, with the note
    assert join(bob, room)["messages"] == []
    (own,) = join(alice, room)["messages"]
    assert own["status"] == "hidden" and own["note"] == "Please keep it kind"


def test_members_cannot_use_moderator_controls(room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    msg_id = send(alice, room, "hello")["message"]["id"]
    for event, data in [("hide", {"id": msg_id}), ("mute", {"id": msg_id, "minutes": 5}),
                        ("slow", {"room": room.id, "seconds": 30}), ("lock", {"room": room.id, "locked": True}),
                        ("pin", {"room": room.id, "id": msg_id})]:
        assert _mod(bob, event, data)["error"] == "forbidden", event
    assert db.session.get(ChatMessage, msg_id).status == ContentStatus.VISIBLE
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action.like("chat.%"),
                                                         AuditEvent.action != "chat.room_create")) is None


def test_mute_by_message_stops_the_writer_in_that_room(room, users, connect):
    alice, mod = connect(users["member"]), connect(users["moderator"])
    join(alice, room)
    join(mod, room)
    msg_id = send(alice, room, "spam spam", anonymous=True)["message"]["id"]
    alice.get_received("/chat")
    res = _mod(mod, "mute", {"id": msg_id, "minutes": 15, "reason": "flooding"})
    assert res["ok"]
    (notice,) = events(alice, "notice")
    assert notice["code"] == "muted"
    refused = send(alice, room, "let me talk")
    assert refused["error"] == "muted" and "You can still read" in refused["message"]
    assert _audit("chat.mute")[0].data["minutes"] == 15
    # moderators cannot be muted, and the minutes are bounded
    mod_msg = send(mod, room, "Moderator here")["message"]["id"]
    assert _mod(mod, "mute", {"id": mod_msg, "minutes": 5})["error"] == "forbidden"
    assert _mod(mod, "mute", {"id": msg_id, "minutes": 0})["error"] == "invalid"


def test_slow_mode_paces_members(room, users, connect):
    alice, mod = connect(users["member"]), connect(users["moderator"])
    join(alice, room)
    alice.get_received("/chat")
    assert _mod(mod, "slow", {"room": room.id, "seconds": 30})["slow_mode"] == 30
    assert events(alice, "room_state")[-1]["slow_mode"] == 30
    assert send(alice, room, "first")["ok"]
    second = send(alice, room, "second")
    assert second["error"] == "slow_mode" and second["wait"] > 0
    assert _audit("chat.slow_mode")[0].data == {"seconds": 30}


def test_lock_stops_members_and_is_announced(room, users, connect):
    alice, mod = connect(users["member"]), connect(users["moderator"])
    join(alice, room)
    alice.get_received("/chat")
    assert _mod(mod, "lock", {"room": room.id, "locked": True})["locked"] is True
    assert events(alice, "room_state")[-1]["locked"] is True
    assert send(alice, room, "hello?")["error"] == "locked"
    assert send(mod, room, "Pausing the room for a few minutes.")["ok"]
    assert _mod(mod, "lock", {"room": room.id, "locked": False})["locked"] is False
    assert send(alice, room, "hello again")["ok"]
    assert [e.action for e in _audit("chat.lock") + _audit("chat.unlock")] == ["chat.lock", "chat.unlock"]


def test_pin_a_helplines_message(room, users, connect):
    alice, mod = connect(users["member"]), connect(users["moderator"])
    join(alice, room)
    msg_id = send(mod, room, "If you need to talk now: **Samaritans 116 123**, any time.")["message"]["id"]
    alice.get_received("/chat")
    assert _mod(mod, "pin", {"room": room.id, "id": msg_id})["pinned"] == msg_id
    state = events(alice, "room_state")[-1]
    assert state["pinned"]["id"] == msg_id and "<strong>" in state["pinned"]["html"]
    assert join(alice, room)["state"]["pinned"]["id"] == msg_id
    assert _mod(mod, "pin", {"room": room.id, "id": None})["pinned"] is None
    assert db.session.get(ChatRoom, room.id).pinned_message_id is None
    assert [e.action for e in _audit("chat.pin") + _audit("chat.unpin")] == ["chat.pin", "chat.unpin"]


def test_hiding_a_flagged_message_uses_the_one_hide_path_with_its_item_history(room, users, connect):
    """Chat and posts hide the same way (issue 19, finding 2): a message
    that is already in the queue gets the item's history row too."""
    from forum.models import Review, ReviewEvent
    from tests.chat.engine import CONCERN

    alice, mod = connect(users["member"]), connect(users["moderator"])
    for c in (alice, mod):
        join(c, room)
    msg_id = send(alice, room, CONCERN)["message"]["id"]
    assert _mod(mod, "hide", {"id": msg_id})["ok"]
    item = db.session.scalar(select(Review).where(Review.target_type == "chat_message", Review.target_id == msg_id))
    assert item is not None
    kinds = db.session.scalars(select(ReviewEvent.action).where(ReviewEvent.review_id == item.id)).all()
    assert "hidden" in kinds
    (event,) = _audit("content.hidden")
    assert event.target_type == "chat_message" and event.data["room_id"] == room.id

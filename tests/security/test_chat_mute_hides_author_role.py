"""Chat moderation answers the same whoever wrote an anonymous message.

"Moderators can't be muted" in answer to muting an anonymous message told
the moderator that its writer was a moderator or staff. An anonymous
message is now muted whoever wrote it, and anonymous writing is held to
members' rules (mutes, slow mode, locked rooms), so neither the answer nor
what happens next depends on the writer's role.
"""
from __future__ import annotations

from tests.chat.conftest import app_config, connect, room  # noqa: F401  (chat fixtures)
from tests.chat.conftest import join, send


def _mod(sio, event, data):
    return sio.emit(event, data, namespace="/chat", callback=True)


def _shape(ack: dict) -> dict:
    return {k: (type(v).__name__ if k == "until" else v) for k, v in ack.items()}


def test_muting_anonymous_messages_answers_alike_for_member_and_staff(room, users, connect):
    member, staff, mod = connect(users["member"]), connect(users["staff"]), connect(users["moderator"])
    for c in (member, staff, mod):
        assert join(c, room)["ok"]
    by_member = send(member, room, "Nobody listens to me here.", anonymous=True)["message"]["id"]
    by_staff = send(staff, room, "I find evenings hard too.", anonymous=True)["message"]["id"]

    a = _mod(mod, "mute", {"id": by_member, "minutes": 10, "reason": "test"})
    b = _mod(mod, "mute", {"id": by_staff, "minutes": 10, "reason": "test"})
    assert a["ok"], a
    assert _shape(a) == _shape(b), f"the answer differs by the writer's role: {a} vs {b}"

    # What follows is alike too: both are paused when writing anonymously.
    assert send(member, room, "again", anonymous=True)["error"] == "muted"
    assert send(staff, room, "again", anonymous=True)["error"] == "muted"
    # Staff writing under their own name keep their role's freedom.
    assert send(staff, room, "Staff here: helplines are pinned above.")["ok"]


def test_named_moderator_messages_still_cannot_be_muted(room, users, connect):
    staff, mod = connect(users["staff"]), connect(users["moderator"])
    join(staff, room)
    named = send(staff, room, "Staff here, checking in.")["message"]["id"]
    assert _mod(mod, "mute", {"id": named, "minutes": 10})["error"] == "forbidden"


def test_anonymous_writing_follows_members_rules_in_slow_and_locked_rooms(room, users, connect):
    member, staff, mod = connect(users["member"]), connect(users["staff"]), connect(users["moderator"])
    for c in (member, staff, mod):
        join(c, room)
    assert _mod(mod, "slow", {"room": room.id, "seconds": 60})["ok"]
    for who in (member, staff):
        assert send(who, room, "first", anonymous=True)["ok"]
        assert send(who, room, "second", anonymous=True)["error"] == "slow_mode"
    assert _mod(mod, "slow", {"room": room.id, "seconds": 0})["ok"]
    assert _mod(mod, "lock", {"room": room.id, "locked": True})["ok"]
    for who in (member, staff):
        assert send(who, room, "in a locked room", anonymous=True)["error"] == "locked"
    assert send(staff, room, "Staff: the room is paused for a moment.")["ok"]

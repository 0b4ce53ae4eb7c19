"""A held chat message's id reaches no one but its author.

A held message (here: contact details, held for a moderator) is not
published, so even its id must not reach visitors or other members: an id
and its timing are enough to tell a room that someone's message was held,
perhaps for crisis language. Reconnecting clients learn which messages
they show were hidden meanwhile, and the answer depends only on what that
member may read.
"""
from __future__ import annotations

import pytest

from forum.chat import services
from forum.extensions import db
from forum.models import ChatMessage, ContentStatus
from tests.chat.conftest import app_config, connect  # noqa: F401  (chat fixtures: no message queue)
from tests.chat.conftest import events, join, send
from tests.chat.engine import CONTACT


@pytest.fixture()
def open_room(app, users):
    return services.create_room(users["staff"], services.RoomInput(
        name="Open check-in", slug="open-check-in", description="Anyone may read.", access="open"))


@pytest.fixture()
def three(open_room, users, connect):
    """Ids of a visible message, a held one and another visible one, by the member."""
    alice = connect(users["member"])
    assert join(alice, open_room)["ok"]
    first = send(alice, open_room, "Evening all, a calmer day today.")
    held = send(alice, open_room, CONTACT)
    last = send(alice, open_room, "Going to make some tea.")
    assert held["ok"] and held["held"], "the contact-details text should be held for review"
    assert not first["held"] and not last["held"]
    return first["message"]["id"], held["message"]["id"], last["message"]["id"]


def _ids_in(ack: dict) -> set[int]:
    return set(ack.get("removed") or []) | {m["id"] for m in ack.get("messages") or []}


@pytest.mark.parametrize("who", [None, "member2"])
def test_reconnect_never_names_a_held_message(open_room, users, connect, three, who):
    first, held, last = three
    viewer = connect(users[who] if who else None)
    # What chat.js sent before (the oldest id shown) and sends now (the ids shown).
    ack = join(viewer, open_room, after=first, since=first, shown=[first])
    assert ack["ok"]
    assert held not in _ids_in(ack), f"held message id reached {who or 'a visitor'}: {ack}"
    assert ack["removed"] == []
    assert [m["id"] for m in ack["messages"]] == [last]


def test_a_held_id_is_answered_like_an_id_that_does_not_exist(open_room, connect, three):
    first, held, last = three
    visitor = connect(None)
    missing = last + 1000
    ack = join(visitor, open_room, after=last, shown=[first, held, last, missing])
    assert ack["removed"] == [held, missing]


def test_the_author_still_sees_their_own_held_message(open_room, users, connect, three):
    first, held, last = three
    alice = connect(users["member"])
    ack = join(alice, open_room, after=first, shown=[first])
    assert [(m["id"], m["status"]) for m in ack["messages"]] == [(held, "held"), (last, "visible")]
    assert ack["removed"] == []


def test_a_message_hidden_while_away_is_still_dropped(open_room, users, connect, three):
    first, held, last = three
    mod = connect(users["moderator"])
    assert mod.emit("hide", {"id": first}, namespace="/chat", callback=True)["ok"]
    visitor = connect(None)
    ack = join(visitor, open_room, after=last, shown=[first, last])
    assert ack["removed"] == [first]


def test_rejecting_a_held_message_announces_nothing_to_the_room(open_room, users, connect, three):
    first, held, last = three
    visitor = connect(None)
    join(visitor, open_room)
    visitor.get_received("/chat")
    msg = db.session.get(ChatMessage, held)
    db.session.expire(msg)  # as after any commit: the old status is not loaded
    msg.status = ContentStatus.HIDDEN  # what the review queue's reject does
    db.session.commit()
    assert events(visitor, "hidden") == []
    # a visible message that is hidden is announced, so open windows drop it
    mod = connect(users["moderator"])
    assert mod.emit("hide", {"id": last}, namespace="/chat", callback=True)["ok"]
    assert events(visitor, "hidden") == [{"id": last, "room": open_room.id}]

"""Screening outcomes in chat: publish, hold, crisis card, moderator alert,
and the background second opinion.

The texts are real ones the moderation engine classifies (an email address
is held as contact details; a plain statement of intent tonight is
imminent risk); nothing is stubbed.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

import moderation
from forum.auth.sessions import login_id
from forum.chat import services
from forum.extensions import db
from forum.models import ChatMessage, ContentStatus
from moderation.verdict import Verdict
from tests.chat.conftest import events, join, send
from tests.chat.engine import CONCERN, CONTACT, IMMINENT


def in_room(connect, users, room):
    """A member, another member and a moderator in ``room``, events drained."""
    clients = connect(users["member"]), connect(users["member2"]), connect(users["moderator"])
    for c in clients:
        join(c, room)
        c.get_received("/chat")
    return clients


@pytest.fixture()
def engine():
    return moderation


def test_held_message_is_seen_only_by_its_author(engine, room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    join(bob, room)
    bob.get_received("/chat")
    ack = send(alice, room, CONTACT)
    assert ack["ok"] and ack["held"] and ack["message"]["status"] == "held"
    assert events(bob, "message") == []
    # history: the author sees it marked held, others don't see it at all
    assert [m["status"] for m in join(alice, room)["messages"]] == ["held"]
    assert join(bob, room)["messages"] == []


def test_crisis_message_gets_private_card_and_moderators_are_alerted(engine, room, users, connect):
    alice, bob, mod = in_room(connect, users, room)
    ack = send(alice, room, IMMINENT)
    assert ack["ok"]
    card = ack["card"]
    assert card["services"] and card["services"][0]["name"]
    assert card["headline"] and card["emergency_number"]
    # nobody else receives the card, and a held crisis message is not broadcast
    bob_events = bob.get_received("/chat")
    assert all(e["name"] != "message" for e in bob_events) or ack["message"]["status"] == "visible"
    assert "card" not in str(bob_events) and "116 123" not in str(bob_events)
    (alert,) = events(mod, "chat_alert")
    assert alert["message_id"] == ack["message"]["id"]
    assert alert["room"]["slug"] == room.slug and alert["risk"] in ("high", "imminent")


def test_crisis_alert_also_reaches_the_review_queues_mod_namespace(app, engine, room, users, connect):
    from flask import g

    from forum.extensions import socketio

    http = app.test_client()
    with http.session_transaction() as sess:
        sess["_user_id"] = login_id(users["moderator"])
    g.pop("_login_user", None)
    queue = socketio.test_client(app, namespace="/mod", flask_test_client=http)
    assert queue.is_connected("/mod")
    queue.get_received("/mod")
    alice = connect(users["member"])
    ack = send(alice, room, IMMINENT)
    alerts = [e["args"] for e in queue.get_received("/mod") if e["name"] == "chat_alert"]
    alerts = [a[0] if isinstance(a, list) else a for a in alerts]
    assert [a["message_id"] for a in alerts] == [ack["message"]["id"]]
    queue.disconnect(namespace="/mod")


def test_concern_tier_still_publishes_with_card_and_alert(engine, room, users, connect):
    alice, bob, mod = in_room(connect, users, room)
    ack = send(alice, room, CONCERN)
    assert ack["card"] is not None
    if ack["message"]["status"] == "visible":
        assert [m["id"] for m in events(bob, "message")] == [ack["message"]["id"]]
    assert events(mod, "chat_alert")[0]["message_id"] == ack["message"]["id"]


def test_resend_of_a_crisis_message_returns_the_card_again(engine, room, users, connect):
    alice = connect(users["member"])
    join(alice, room)
    first = send(alice, room, IMMINENT, client_id="crisis-resend-1")
    again = send(alice, room, IMMINENT, client_id="crisis-resend-1")
    assert again["duplicate"] and again["card"] == first["card"]


def test_blocked_verdict_is_refused_with_the_engines_reason(app, room, users):
    def blocking(text, **_):
        return Verdict(action="block", risk="none", categories=frozenset({"too_long"}), html="", text=text,
                       error="That message is too long to check.")

    with pytest.raises(services.ChatError) as err:
        services.send_message(users["member"], services.SendMessage(room.id, "blocked-000001", "text"),
                              screen=blocking)
    assert err.value.code == "blocked" and "too long" in err.value.message
    assert db.session.scalar(select(ChatMessage.id)) is None


def test_screening_failure_holds_rather_than_publishes(app, room, users, connect):
    """The engine fails safe (hold); chat must honour that and broadcast nothing."""
    def failing(text, **_):
        return Verdict(action="hold", risk="none", categories=frozenset({"screening_error"}),
                       html="<p>escaped</p>", text=text)

    result = services.send_message(users["member"], services.SendMessage(room.id, "failsafe-00001", "hello"),
                                   screen=failing)
    assert result.message.status == ContentStatus.HELD


def test_second_opinion_hides_a_broadcast_message_live_and_queues_it(app, room, users, connect, monkeypatch):
    from forum.models import Review
    from forum.review import services as review

    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    join(bob, room)
    msg_id = send(alice, room, "something the fast path let through")["message"]["id"]
    bob.get_received("/chat")

    def stricter(text, verdict, **_where):
        return Verdict(action="hold", risk="none", categories=frozenset({"toxicity"}), html=verdict.html, text=text)

    monkeypatch.setattr(moderation, "second_opinion", stricter, raising=False)
    review.run_second_opinion("chat_message", msg_id)
    assert events(bob, "hidden") == [{"id": msg_id, "room": room.id}]
    assert db.session.get(ChatMessage, msg_id).status == ContentStatus.HIDDEN
    assert db.session.scalar(select(Review.status).where(Review.target_type == "chat_message",
                                                         Review.target_id == msg_id)) is not None
    assert join(bob, room)["messages"] == []


def test_held_message_approved_elsewhere_appears_live(engine, room, users, connect):
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    join(bob, room)
    msg_id = send(alice, room, CONTACT)["message"]["id"]
    bob.get_received("/chat")
    msg = db.session.get(ChatMessage, msg_id)
    msg.status = ContentStatus.VISIBLE  # what the review queue's approve does
    db.session.commit()
    assert [m["id"] for m in events(bob, "message")] == [msg_id]

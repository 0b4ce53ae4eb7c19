"""A chat message the screening can't read is broadcast, queued for a
moderator at low priority, and its sender gets the international card."""
from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.models import ChatMessage, Review
from tests.chat.conftest import events, join, send

POLISH = "Czuję się bardzo samotny i nie mam z kim porozmawiać."


def test_non_english_chat_message_is_broadcast_flagged_with_international_card(room, users, connect):
    users["member"].region = "UK"
    db.session.commit()
    alice, bob = connect(users["member"]), connect(users["member2"])
    join(alice, room)
    join(bob, room)
    bob.get_received("/chat")
    ack = send(alice, room, POLISH)
    assert ack["ok"] and ack["message"]["status"] == "visible"
    assert [m["id"] for m in events(bob, "message")] == [ack["message"]["id"]]
    card = ack["card"]
    assert card["region"] == "INTL" and [s["name"] for s in card["services"]] == ["Find A Helpline"]
    msg = db.session.scalar(select(ChatMessage))
    assert msg.verdict["action"] == "publish_flagged" and msg.verdict["priority"] == "low"
    review = db.session.scalar(select(Review).where(Review.target_type == "chat_message",
                                                    Review.target_id == msg.id))
    assert review is not None and any(r.get("code") == "language.unsupported" for r in review.reasons)

"""A member with a full life on Kindred, for the data-rights tests."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.boards import services as boards
from forum.chat import services as chat
from forum.extensions import db
from forum.models import ChatMessage, ContentStatus, Escalation, Review
from forum.models import base as clock
from forum.review import services as review
from forum.staff import seal
from tests.conftest import post_reply, post_topic
from tests.review.helpers import post as review_post
from tests.review.helpers import verdict

HANDLE = "MemberPerson"
EMAIL = "quokka.person@example.org"
# Words only the member wrote: none may appear anywhere after erasure.
THEIR_WORDS = ("Quokka opening words", "Quokka topic title", "Quokka reply, edited", "Quokka reply first",
               "Quokka anonymous", "Quokka chat words", "Quokka crisis", "Quokka report details",
               "Quokka private words")
STAFF_ONLY = "Staff-only risk note about protective factors"


@pytest.fixture()
def life(app, users, board):
    """users["member"] has lived a full life on Kindred; users["member2"] quoted them."""
    member, other = users["member"], users["member2"]
    for role in ("moderator", "staff", "admin"):
        users[role].resources_read_at = clock.utcnow()
    member.email = EMAIL
    db.session.commit()
    seal.save_contact(member, "My brother, 07700 900456", consent=True)
    own = post_topic(member, board, title="Quokka topic title", body="Quokka opening words, about my evening.")
    theirs = post_topic(other, board, title="Evenings", body="How are your evenings going?")
    mine = post_reply(member, theirs.topic, body="Quokka reply first version.")
    boards.edit_post(member, boards.PostEdit(post_id=mine.post.id, body="Quokka reply, edited."))
    quote = post_reply(other, theirs.topic, body=f"{HANDLE} wrote:\n> Quokka reply, edited.\n\nThat helps me too.",
                       reply_to_id=mine.post.id)
    post_reply(other, own.topic, body="Thank you for starting this.")
    anon = post_topic(member, board, title="Something hard", body="Quokka anonymous words.", anonymous=True)
    boards.toggle_support(member, theirs.post.id)
    review.flag("post", theirs.post, member, "unkind", "Quokka report details")
    db.session.commit()
    crisis = review_post(member, verdict("hold", "imminent", text="Quokka crisis: I feel like ending it tonight."))
    case = db.session.scalar(select(Escalation).where(Escalation.target_id == crisis.id))
    case.notes = STAFF_ONLY
    room = chat.create_room(users["staff"], chat.RoomInput(name="Evening check-in", slug="evening", access="members"))
    v = verdict("publish", "none", categories=(), text="Quokka chat words for everyone.")
    msg = ChatMessage(room_id=room.id, author_id=member.id, client_id="q-1", body_source=v.text,
                      status=ContentStatus.VISIBLE, created_at=clock.utcnow())
    msg.apply_verdict(v)
    db.session.add(msg)
    db.session.commit()
    # A moderator's warning: a notice to the member and a sanction.
    review.flag("post", own.post, other, "unkind")
    db.session.commit()
    item = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == own.post.id))
    review.perform(item, "warn", users["moderator"], item.version, "Please be gentle with Quokka people.")
    # A private conversation with the moderation team about that item.
    from forum.conversations import services as conversations

    conv = conversations.open_from_review(users["moderator"], item)
    for author, text in ((users["moderator"], "We wanted to check in with you."),
                         (member, "Quokka private words to the team.")):
        quiet = verdict("publish", "none", categories=(), text=text)
        conversations.send(conv, author, text, screen=lambda *a, _v=quiet, **k: _v)
    return {"conversation": conv.id, "own_topic": own.topic.id, "own_post": own.post.id, "their_topic": theirs.topic.id,
            "mine": mine.post.id, "quote": quote.post.id, "anon": anon.post.id, "crisis": crisis.id,
            "case": case.id, "room": room, "message": msg.id}



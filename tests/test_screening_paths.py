"""Every path that screens member text runs the policy of the place it is in.

Issue 19, finding 1: a moderator's edit and the background second opinion
ran under the default policy, so on a young people's (``strict``) board a
lower abuse threshold and holding of active ideation were skipped. Each path
here writes on a strict board and checks the verdict's policy.
"""
from __future__ import annotations

import pytest

import moderation
from forum.boards import services as boards
from forum.chat import services as chat
from forum.extensions import db
from forum.models import Board, ChatRoom
from forum.review import services as review
from tests.review.helpers import review_for

HIGH = "I want to kill myself. I think about it every day now."


@pytest.fixture()
def strict(users):
    board = Board(slug="young", name="Young people", description="", policy_profile="strict")
    db.session.add(board)
    db.session.commit()
    return board


def _policy(row) -> str:
    return row.verdict["engine"]["policy"]


def test_new_topic_reply_and_edit_use_the_boards_policy(strict, users):
    member = users["member"]
    first = boards.create_topic(member, boards.NewTopic(board_id=strict.id, title="Hello", body="A quiet day.")).post
    assert _policy(first) == "strict"
    answer = boards.reply(member, boards.NewReply(topic_id=first.topic_id, body="Still quiet.")).post
    assert _policy(answer) == "strict"
    boards.edit_post(member, boards.PostEdit(post_id=first.id, body="A quiet day, really."))
    assert _policy(db.session.get(boards.Post, first.id)) == "strict"


def test_a_moderators_edit_uses_the_boards_policy(strict, users):
    post = boards.create_topic(users["member"], boards.NewTopic(board_id=strict.id, title="Hi", body=HIGH)).post
    item = review_for(post)
    review.claim(item, users["moderator"], item.version)
    review.perform(item, "edit", users["moderator"], item.version, note="Kept the meaning.", text=HIGH + " Sorry.")
    # Strict holds active ideation; the default policy would have published it.
    assert _policy(post) == "strict" and post.verdict_action == "hold"


def test_chat_in_a_room_of_a_strict_board_uses_its_policy(strict, users):
    room = ChatRoom(slug="young-chat", name="Young chat", board_id=strict.id, access="open")
    db.session.add(room)
    db.session.commit()
    sent = chat.send_message(users["member"], chat.SendMessage(room_id=room.id, client_id="0f6c1e9a-2b7d-4c1e-9a3b-5d2e8f7a6b10", text="hi all"))
    assert _policy(sent.message) == "strict"


def test_the_second_opinion_uses_the_boards_policy(strict, users, monkeypatch):
    posted = boards.create_topic(users["member"], boards.NewTopic(board_id=strict.id, title="Hi", body="Hello."))
    seen = {}

    def second_opinion(text, verdict, **where):
        seen.update(where)
        return None

    monkeypatch.setattr(moderation, "second_opinion", second_opinion)
    review.run_second_opinion("post", posted.post.id)
    assert seen["profile"] == "strict" and seen["kind"] == "post"

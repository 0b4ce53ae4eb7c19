"""Notifications: every kind, anonymity, held content, the page and the header count."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.boards import services as boards
from forum.extensions import db
from forum.models import ContentStatus, Notification, Review, utcnow
from forum.notify import services as notify
from forum.review import services as review
from tests.conftest import PASSWORD, make_board, make_user, post_reply, post_topic


def relay() -> None:
    """The periodic relay's safety net, now: in tests the inline relay can find
    SQLite's write lock taken by the writing request's after-commit work."""
    from forum import outbox

    db.session.commit()
    outbox.relay()
    db.session.expire_all()


def kinds(user) -> list[tuple[str, int | None]]:
    relay()
    return sorted((n.kind, n.post_id) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)))


def login(app, user):
    from flask import g

    g.pop("_login_user", None)  # the fixture's app context caches the last user
    c = app.test_client()
    c.post("/auth/login", data={"handle": user.handle, "password": PASSWORD})
    return c


@pytest.fixture()
def topic(users, board):
    return post_topic(users["member"], board, title="Weekends are hard", body="Does anyone else find that?")


def test_reply_to_your_topic(topic, users):
    reply = post_reply(users["member2"], topic.topic, body="Yes, every Sunday.")
    assert kinds(users["member"]) == [("reply", reply.post.id)]
    assert kinds(users["member2"]) == []  # never about your own post


def test_reply_to_your_post_and_quote(topic, users, board):
    first = post_reply(users["member2"], topic.topic, body="Sundays are the worst for me.")
    third = make_user("ThirdPerson")
    plain = post_reply(third, topic.topic, body="Same here.", reply_to_id=first.post.id)
    quoted = post_reply(third, topic.topic, body="> Sundays are the worst for me.\n\nI know that feeling.",
                        reply_to_id=first.post.id)
    assert kinds(users["member2"]) == sorted([("reply", plain.post.id), ("quote", quoted.post.id)])


def test_mention(topic, users):
    reply = post_reply(users["member2"], topic.topic, body="@ThirdPerson might know, and @nobody-here too.")
    third = make_user("ThirdPerson")
    assert kinds(third) == []  # the account did not exist when the post was written
    reply2 = post_reply(users["member2"], topic.topic, body="Hi @ThirdPerson, what helped you?")
    assert kinds(third) == [("mention", reply2.post.id)]
    assert ("reply", reply.post.id) in kinds(users["member"])


def test_mentions_parsing():
    assert notify.mentioned_handles("hi @Sam and @sam. and mail me at a@b.org, @Jo-Jo!") == ["Sam", "sam", "Jo-Jo"]


def test_one_notification_per_person_per_post(topic, users):
    reply = post_reply(users["member2"], topic.topic, body="@MemberPerson this is for you.",
                       reply_to_id=topic.post.id)
    assert kinds(users["member"]) == [("mention", reply.post.id)]


def test_support_is_batched(topic, users, app):
    # Handles no random CSRF token on the page could contain by chance.
    for handle in ("SupporterAlpha", "SupporterBeta", "SupporterGamma"):
        boards.toggle_support(make_user(handle), topic.post.id)
    relay()
    rows = db.session.scalars(select(Notification).where(Notification.user_id == users["member"].id)).all()
    assert [(n.kind, n.count) for n in rows] == [("support", 3)]
    page = login(app, users["member"]).get("/notifications/").get_data(as_text=True)
    assert "3 people sent support to your post" in page
    assert "SupporterAlpha" not in page and "SupporterBeta" not in page


def test_held_reply_notifies_nobody_until_approved_then_once(app, users):
    careful = make_board("careful", "Careful", premod_first_n=5)
    topic = post_topic(users["moderator"], careful, title="Check-in", body="How is everyone?")
    newcomer = make_user("Newcomer")
    held = post_reply(newcomer, topic.topic, body="Hello @OtherMember, first post here.")
    assert held.post.status == ContentStatus.HELD
    assert kinds(users["moderator"]) == [] and kinds(users["member2"]) == []
    users["moderator"].resources_read_at = utcnow()
    db.session.commit()
    item = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == held.post.id))
    review.perform(item, "approve", users["moderator"], item.version)
    assert kinds(users["moderator"]) == [("reply", held.post.id)]
    assert kinds(users["member2"]) == [("mention", held.post.id)]
    assert kinds(newcomer) == [("approved", held.post.id)]
    # Hidden and published again: nobody hears twice.
    boards.set_post_status(held.post, ContentStatus.HIDDEN)
    db.session.commit()
    boards.set_post_status(held.post, ContentStatus.VISIBLE)
    db.session.commit()
    assert kinds(users["moderator"]) == [("reply", held.post.id)]
    assert kinds(users["member2"]) == [("mention", held.post.id)]


def test_kept_hidden_with_note(app, users):
    careful = make_board("careful", "Careful", premod_first_n=5)
    newcomer = make_user("Newcomer")
    held = post_topic(newcomer, careful, title="First", body="My first post.")
    users["moderator"].resources_read_at = utcnow()
    db.session.commit()
    item = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == held.post.id))
    review.perform(item, "reject", users["moderator"], item.version, author_note="Please share less detail.")
    relay()
    rows = db.session.scalars(select(Notification).where(Notification.user_id == newcomer.id)).all()
    assert [r.kind for r in rows] == ["kept_hidden"] and rows[0].note
    page = login(app, newcomer).get("/notifications/").get_data(as_text=True)
    assert "kept your post in “First” hidden" in page and rows[0].note in page


def test_hidden_topic_reply_notifies_nobody(topic, users):
    boards.set_post_status(topic.post, ContentStatus.HIDDEN)
    db.session.commit()
    # Only the author and moderators can reply to a hidden topic; a moderator's reply stays silent.
    post_reply(users["moderator"], topic.topic, body="@OtherMember have a look")
    assert kinds(users["member"]) == [] and kinds(users["member2"]) == []


def test_conversation_message(app, users):
    from forum.conversations import services as conversations

    sent = conversations.start_by_member(users["member"], "Could someone talk with me?")
    conversations.send(sent.conversation, users["moderator"], "Of course, we're here.")
    conversations.send(sent.conversation, users["moderator"], "Take your time.")
    relay()
    rows = db.session.scalars(select(Notification).where(Notification.user_id == users["member"].id)).all()
    assert [(r.kind, r.count, r.conversation_id) for r in rows] == [("conversation", 2, sent.conversation.id)]
    page = login(app, users["member"]).get("/notifications/").get_data(as_text=True)
    assert "The moderation team wrote to you (2 messages)" in page
    assert "Of course" not in page


def test_anonymous_reply_never_names_its_author(app, users, topic):
    reply = post_reply(users["member2"], topic.topic, body="I feel this too, @MemberPerson.", anonymous=True)
    assert kinds(users["member"]) == [("mention", reply.post.id)]
    row = db.session.scalar(select(Notification).where(Notification.user_id == users["member"].id))
    assert "OtherMember" not in repr(vars(row))
    page = login(app, users["member"]).get("/notifications/").get_data(as_text=True)
    assert "Anonymous member mentioned you" in page and "OtherMember" not in page


def test_reply_to_anonymous_post_tells_its_author_only(app, users, board):
    anon = post_topic(users["member"], board, title="Can't say this anywhere", body="Heavy week.", anonymous=True)
    post_reply(users["member2"], anon.topic, body="Sending you warmth.")
    assert [k for k, _ in kinds(users["member"])] == ["reply"]
    assert kinds(users["member2"]) == []
    replier = login(app, users["member2"])
    for path in ("/notifications/", f"/boards/topic/{anon.topic.id}", "/boards/general/"):
        assert "MemberPerson" not in replier.get(path).get_data(as_text=True), path


def test_page_header_count_and_reading(app, users, topic):
    post_reply(users["member2"], topic.topic, body="One.")
    post_reply(users["member2"], topic.topic, body="Two.")
    relay()
    c = login(app, users["member"])
    home = c.get("/").get_data(as_text=True)
    assert 'data-notify-count>2<' in home
    rows = db.session.scalars(select(Notification).where(Notification.user_id == users["member"].id)
                              .order_by(Notification.id)).all()
    r = c.get(f"/notifications/{rows[0].id}")
    assert r.status_code == 302 and f"/boards/post/{rows[0].post_id}" in r.headers["Location"]
    assert 'data-notify-count>1<' in c.get("/").get_data(as_text=True)
    # Someone else's notification is not there for you.
    other = login(app, users["member2"])
    assert other.get(f"/notifications/{rows[1].id}").status_code == 404
    c = login(app, users["member"])
    c.post("/notifications/read", data={})
    assert notify.unread_count(users["member"].id) == 0
    assert "data-notify-badge hidden" in c.get("/").get_data(as_text=True)


def test_notifications_only_after_commit(topic, users, monkeypatch):
    """A reply that rolls back leaves no notification (the outbox row goes with it)."""
    from forum.boards import services as svc

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(svc, "refresh_counters", boom)
    with pytest.raises(RuntimeError):
        post_reply(users["member2"], topic.topic, body="This never lands.")
    db.session.rollback()
    monkeypatch.undo()
    from forum import outbox

    outbox.relay()
    assert kinds(users["member"]) == []


def test_live_notice_to_connected_author(app, users, topic):
    from forum.extensions import socketio

    c = login(app, users["member"])
    sock = socketio.test_client(app, namespace="/me", flask_test_client=c)
    assert sock.is_connected("/me")
    sock.get_received("/me")
    post_reply(users["member2"], topic.topic, body="Thinking of you.", anonymous=True)
    events = [e for e in sock.get_received("/me") if e["name"] == "notification"]
    assert len(events) == 1
    data = events[0]["args"][0]
    assert data["unread"] == 1 and data["url"].startswith("/notifications/post/")
    assert "OtherMember" not in str(data) and "Thinking of you" not in str(data)
    sock.disconnect("/me")

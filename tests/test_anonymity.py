"""An anonymous post's account is shown on no page, to no role.

Every page that can show anonymous content (boards, topics, post pages,
revisions, profiles, the review queue and item pages, crisis cases, chat
rooms and their history, account pages, and every parameter-free GET page of
every area, so a new page such as search is covered when it lands) is
rendered for each role: visitor, member, moderator, staff and admin. The
author's handle and account link must appear on none of them, staff
included. Staff see the account only in the answer to the audited
"Show who posted this" reveal; every page is checked again after a reveal.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.boards import services
from forum.chat import services as chat
from forum.extensions import db
from forum.models import AuditEvent, ChatMessage, ContentStatus, Escalation, Post, Review, Topic, utcnow
from forum.review import services as review
from tests.conftest import post_reply, post_topic
from tests.review.helpers import post as review_post
from tests.review.helpers import verdict

HANDLE = "MemberPerson"
ROLES = [None, "member2", "moderator", "staff", "admin"]
ANON_TEXTS = ("Anonymous opening words.", "Anonymous reply", "anonymous chat words")


@pytest.fixture()
def anon(app, users, board):
    """users["member"] writes only anonymously: a topic with an edited reply,
    a crisis post with an open case, and a chat message; the topic and the
    chat message are reported and sanctioned."""
    for role in ("moderator", "staff", "admin"):
        users[role].resources_read_at = utcnow()
    db.session.commit()
    topic = post_topic(users["member"], board, title="Something I can't say elsewhere",
                       body="Anonymous opening words.", anonymous=True)
    reply = post_reply(users["member"], topic.topic, body="Anonymous reply words.", anonymous=True)
    services.edit_post(users["member"], services.PostEdit(post_id=reply.post.id, body="Anonymous reply, edited."))
    post_reply(users["member2"], topic.topic, body="Sending you support.")
    # Notifications: member2 is mentioned, quoted and supported by the anonymous
    # author; member2's replies reach the anonymous author's notifications.
    named = post_topic(users["member2"], board, title="My own topic", body="Has anyone tried journaling?")
    post_reply(users["member"], named.topic, body="> Has anyone tried journaling?\n\nYes, @OtherMember, it helps.",
               anonymous=True, reply_to_id=named.post.id)
    services.toggle_support(users["member"], named.post.id)
    from forum import outbox

    outbox.relay()
    db.session.commit()
    crisis = review_post(users["member"], verdict("hold", "imminent"), anonymous=True)
    room = chat.create_room(users["staff"], chat.RoomInput(name="Evening check-in", slug="evening",
                                                            access="members"))
    v = verdict("publish", "none", categories=(), text="Some anonymous chat words tonight.")
    msg = ChatMessage(room_id=room.id, author_id=users["member"].id, is_anonymous=True, client_id="anon-1",
                      body_source=v.text, status=ContentStatus.VISIBLE, created_at=utcnow())
    msg.apply_verdict(v)
    db.session.add(msg)
    db.session.commit()
    for kind, target in (("post", topic.post), ("chat_message", msg)):
        review.flag(kind, target, users["member2"], "unkind")
        db.session.commit()
        item = db.session.scalar(select(Review).where(Review.target_type == kind, Review.target_id == target.id))
        review.perform(item, "warn", users["moderator"], item.version, "Please be gentler with people.")
    # A private conversation about the anonymous crisis post, with the member's reply.
    from forum.conversations import services as conversations

    crisis_item = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == crisis.id))
    conv = conversations.open_from_review(users["moderator"], crisis_item)
    quiet = verdict("publish", "none", categories=(), text="Thank you for writing to me.")
    conversations.send(conv, users["moderator"], "Checking in with you.", screen=lambda *a, **k: quiet)
    conversations.send(conv, users["member"], "Thank you for writing to me.", screen=lambda *a, **k: quiet)
    return {"topic": topic.topic.id, "post": topic.post.id, "reply": reply.post.id, "crisis": crisis.id,
            "room": room.slug, "chat_message": msg.id, "conversation": conv.id}


def _pages(app, ids: dict) -> list[str]:
    pages = ["/boards/", f"/boards/member/{HANDLE}", f"/boards/topic/{ids['topic']}?quote={ids['reply']}",
             f"/chat/{ids['room']}", f"/chat/{ids['room']}/messages"]
    for board_slug in ("general", "support"):
        pages.append(f"/boards/{board_slug}/")
    for t in db.session.scalars(select(Topic)):
        pages.append(f"/boards/topic/{t.id}")
    for p in db.session.scalars(select(Post)):
        pages += [f"/boards/post/{p.id}", f"/boards/post/{p.id}/revisions"]
    for r in db.session.scalars(select(Review)):
        pages.append(f"/review/{r.id}")
    for c in db.session.scalars(select(Escalation)):
        pages.append(f"/staff/cases/{c.id}")
    pages.append(f"/staff/reveal/post/{ids['post']}")
    if ids.get("conversation"):
        pages += [f"/conversations/team/{ids['conversation']}", f"/conversations/{ids['conversation']}"]
    # Every parameter-free GET page of every area (queue, staff pages,
    # account pages, search when it exists...).
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            pages.append(rule.rule)
    return pages


# Pages each role must reach, so the check cannot pass by being refused.
MUST_SEE = {
    None: ["/boards/", "/boards/topic/"],
    "member2": ["/boards/topic/", "/chat/evening", "/account/", "/notifications/"],
    "moderator": ["/review/", "/review/1", "/chat/evening", "/conversations/team/1"],
    "staff": ["/review/1", "/staff/cases/", "/staff/audit", "/staff/reveal/post/", "/conversations/team/1"],
    "admin": ["/review/1", "/staff/cases/", "/staff/audit"],
}


def _check_every_page(client, auth, users, app, ids, viewer) -> None:
    client.get("/")  # settle any redirect
    auth.logout()
    if viewer:
        auth.login_as(users[viewer])
    account_link = f"/staff/members/{users['member'].id}/"
    seen = []
    for url in _pages(app, ids):
        r = client.get(url)
        if r.status_code != 200:
            continue
        seen.append(url)
        body = r.get_data(as_text=True)
        assert account_link not in body, f"{url} links the account to {viewer}"
        if url.startswith("/boards/member/"):
            # The profile names its member, so it must not list the anonymous posts, for any role.
            assert not any(t in body for t in ANON_TEXTS), f"the profile lists anonymous posts to {viewer}"
            continue
        assert HANDLE.casefold() not in body.casefold(), f"{url} reveals the author to {viewer}"
        if url == f"/boards/topic/{ids['topic']}":
            assert "Anonymous member" in body and "Anonymous opening words." in body
    for prefix in MUST_SEE[viewer]:
        assert any(u.startswith(prefix) for u in seen), f"{viewer} never reached {prefix}"


@pytest.mark.parametrize("viewer", ROLES)
def test_no_page_shows_the_account_to_any_role(client, auth, users, anon, app, viewer):
    _check_every_page(client, auth, users, app, anon, viewer)


@pytest.mark.parametrize("viewer", ROLES)
def test_no_page_shows_the_account_after_a_staff_reveal(client, auth, users, anon, app, viewer):
    auth.login_as(users["staff"])
    for kind, key in (("post", "post"), ("chat_message", "chat_message")):
        r = client.post(f"/staff/reveal/{kind}/{anon[key]}", data={"reason": "Checking a pattern of reports"})
        assert r.status_code == 200 and HANDLE in r.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "anonymity.reveal")) == 2
    _check_every_page(client, auth, users, app, anon, viewer)


def test_staff_get_the_reveal_control_not_the_account(client, auth, users, anon):
    auth.login_as(users["staff"])
    topic = client.get(f"/boards/topic/{anon['topic']}").get_data(as_text=True)
    assert "Show who posted this" in topic and HANDLE not in topic
    room = client.get(f"/chat/{anon['room']}").get_data(as_text=True)
    assert 'data-reveal-url="/staff/reveal/chat_message/"' in room
    auth.logout()
    auth.login_as(users["moderator"])
    for url in (f"/boards/topic/{anon['topic']}", f"/chat/{anon['room']}", "/review/1"):
        body = client.get(url).get_data(as_text=True)
        assert "Show who posted this" not in body and "data-reveal-url" not in body
    assert client.post(f"/staff/reveal/post/{anon['post']}", data={"reason": "curious"}).status_code == 403


def test_json_support_response_does_not_reveal_author(client, auth, users, anon):
    auth.login_as(users["member2"])
    r = client.post(f"/boards/post/{anon['post']}/support", headers={"Accept": "application/json"})
    assert HANDLE not in r.get_data(as_text=True)
    assert set(r.get_json()) == {"post_id", "support_count", "supported"}


def test_revision_editor_is_not_unmasked(client, auth, users, anon):
    auth.login_as(users["moderator"])
    body = client.get(f"/boards/post/{anon['reply']}/revisions").get_data(as_text=True)
    assert "Anonymous reply words." in body and "by Anonymous member" in body and HANDLE not in body


def test_notifications_never_name_the_anonymous_author(client, auth, users, anon):
    """member2 was mentioned in, quoted by and supported by the anonymous author:
    the page, the count and the live payloads carry no handle."""
    auth.login_as(users["member2"])
    body = client.get("/notifications/").get_data(as_text=True)
    assert "Anonymous member mentioned you" in body
    assert HANDLE not in body and f"/staff/members/{users['member'].id}/" not in body
    assert 'data-notify-count>2<' in client.get("/").get_data(as_text=True)

"""Watching and muting topics, ignoring members."""
from __future__ import annotations

from flask import g

from forum.extensions import db
from forum.models import TopicLevel
from forum.notify import follow
from tests.conftest import PASSWORD, make_user, post_reply, post_topic
from tests.notify.test_notifications import kinds


def login(app, user):
    g.pop("_login_user", None)
    c = app.test_client()
    c.post("/auth/login", data={"handle": user.handle, "password": PASSWORD})
    return c


def test_watching_tells_of_every_post_muted_of_none(app, users, board):
    topic = post_topic(users["member"], board, title="Garden diary", body="Planted beans today.")
    watcher, muter = make_user("Watcher"), make_user("Muter")
    follow.set_level(watcher, topic.topic, TopicLevel.WATCHING)
    follow.set_level(muter, topic.topic, TopicLevel.MUTED)
    follow.set_level(users["member"], topic.topic, TopicLevel.MUTED)  # even the topic's author may mute it
    reply = post_reply(users["member2"], topic.topic, body="Lovely, @Muter look at this.")
    assert kinds(watcher) == [("reply", reply.post.id)]
    assert kinds(muter) == [] and kinds(users["member"]) == []


def test_muted_topic_hidden_from_board_list(app, users, board):
    topic = post_topic(users["member2"], board, title="Loud topic", body="So much going on here.")
    c = login(app, users["member"])
    assert "Loud topic" in c.get("/boards/general/").get_data(as_text=True)
    r = c.post(f"/notifications/topic/{topic.topic.id}/level", data={"level": "muted"})
    assert r.status_code == 302
    assert "Loud topic" not in c.get("/boards/general/").get_data(as_text=True)
    assert "Loud topic" in login(app, users["member2"]).get("/boards/general/").get_data(as_text=True)
    c = login(app, users["member"])
    c.post(f"/notifications/topic/{topic.topic.id}/level", data={"level": "normal"})
    assert "Loud topic" in c.get("/boards/general/").get_data(as_text=True)
    assert c.post(f"/notifications/topic/{topic.topic.id}/level", data={"level": "loud"}).status_code == 302


def test_ignored_member_cannot_notify_and_is_not_told(app, users, board):
    topic = post_topic(users["member"], board, title="Quiet please", body="Just a calm thread.")
    follow.set_ignore(users["member"], users["member2"], True)
    post_reply(users["member2"], topic.topic, body="@MemberPerson hey, replying and mentioning you.",
               reply_to_id=topic.post.id)
    assert kinds(users["member"]) == []
    # The ignored member sees nothing different anywhere.
    c = login(app, users["member2"])
    for path in ("/notifications/", f"/boards/topic/{topic.topic.id}", "/boards/member/MemberPerson"):
        page = c.get(path).get_data(as_text=True)
        assert "Stop ignoring" not in page and "ignores you" not in page and "you ignore" not in page, path


def test_ignored_posts_collapse_with_show_but_anonymous_ones_never(app, users, board):
    topic = post_topic(users["member"], board, title="Thread", body="Opening words.")
    named = post_reply(users["member2"], topic.topic, body="Named words from the ignored member.")
    anon = post_reply(users["member2"], topic.topic, body="Anonymous words from the same member.", anonymous=True)
    c = login(app, users["member"])
    c.post("/notifications/member/OtherMember/ignore", data={"ignore": "1"})
    page = c.get(f"/boards/topic/{topic.topic.id}").get_data(as_text=True)
    named_html = page.split(f'id="post-{named.post.id}"', 1)[1].split("</article>", 1)[0]
    anon_html = page.split(f'id="post-{anon.post.id}"', 1)[1].split("</article>", 1)[0]
    assert "A post from a member you ignore" in named_html and "<details" in named_html
    assert "Named words from the ignored member." in named_html  # still there, behind "show"
    assert "member you ignore" not in anon_html
    c.post("/notifications/member/OtherMember/ignore", data={"ignore": "0"})
    assert "member you ignore" not in c.get(f"/boards/topic/{topic.topic.id}").get_data(as_text=True)


def test_team_cannot_be_ignored(app, users):
    c = login(app, users["member"])
    r = c.post("/notifications/member/ModeratorPerson/ignore", data={"ignore": "1"}, follow_redirects=True)
    assert "be ignored: messages about safety" in r.get_data(as_text=True)
    assert not follow.ignoring(users["member"].id)
    db.session.rollback()

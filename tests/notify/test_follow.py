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


def test_board_watching_tells_of_new_topics_and_replies_and_topic_level_wins(app, users, board):
    from forum.models import Board

    watcher = make_user("BoardWatcher")
    c = login(app, watcher)
    assert c.post("/notifications/board/general/level", data={"level": "watching"}).status_code == 302
    assert follow.board_level_for(watcher, board.id) == TopicLevel.WATCHING
    first = post_topic(users["member"], board, title="New here", body="Hello everyone.")
    reply = post_reply(users["member2"], first.topic, body="Welcome!")
    assert kinds(watcher) == sorted([("new_topic", first.post.id), ("reply", reply.post.id)])
    page = login(app, watcher).get("/notifications/").get_data(as_text=True)
    assert "New topic in General: “New here”" in page
    # A level set on the topic itself wins over the board's.
    follow.set_level(watcher, first.topic, TopicLevel.MUTED)
    post_reply(users["member2"], first.topic, body="Anyone else around?")
    assert len(kinds(watcher)) == 2
    # Another board is not affected.
    other = Board(slug="other", name="Other", description="Other things.", premod_first_n=0)
    db.session.add(other)
    db.session.commit()
    post_topic(users["member"], other, title="Elsewhere", body="Different board.")
    assert len(kinds(watcher)) == 2


def test_board_muted_silences_its_topics_and_leaves_the_latest_list(app, users, board):
    muter = make_user("BoardMuter")
    topic = post_topic(muter, board, title="Mine", body="My own topic.")
    c = login(app, muter)
    c.post("/notifications/board/general/level", data={"level": "muted"})
    # Their own topic is watched (they wrote it): its own level wins, so they still hear.
    reply = post_reply(users["member2"], topic.topic, body="Replying to you.")
    assert kinds(muter) == [("reply", reply.post.id)]
    other = post_topic(users["member"], board, title="Someone else's", body="Words.")
    post_reply(users["member2"], other.topic, body="@BoardMuter have a look")
    assert kinds(muter) == [("reply", reply.post.id)]
    index = login(app, muter).get("/boards/").get_data(as_text=True)
    assert "Muted" in index and "Someone else's" not in index
    assert "Someone else&#39;s" in login(app, users["member"]).get("/boards/").get_data(as_text=True)


def test_tracking_counts_unread_posts_without_notifying(app, users, board):
    topic = post_topic(users["member"], board, title="Slow thread", body="Posting now and then.")
    tracker = make_user("Tracker")
    c = login(app, tracker)
    c.post(f"/notifications/topic/{topic.topic.id}/level", data={"level": "tracking"})
    assert "tag-unread" not in c.get("/boards/general/").get_data(as_text=True)
    post_reply(users["member2"], topic.topic, body="One.")
    post_reply(users["member2"], topic.topic, body="Two.")
    assert kinds(tracker) == []  # tracking never notifies
    c = login(app, tracker)
    assert "tag-unread\">2 unread<" in c.get("/boards/general/").get_data(as_text=True)
    c.get(f"/boards/topic/{topic.topic.id}")  # reading it
    assert "tag-unread" not in c.get("/boards/general/").get_data(as_text=True)
    # Board tracking: a topic never opened shows as new, then counts.
    c.post("/notifications/board/general/level", data={"level": "tracking"})
    fresh = post_topic(users["member2"], board, title="Fresh topic", body="Brand new.")
    board_page = c.get("/boards/general/").get_data(as_text=True)
    assert board_page.count(">New<") == 1
    c.get(f"/boards/topic/{fresh.topic.id}")
    post_reply(users["member"], fresh.topic, body="A reply.")
    assert "tag-unread\">1 unread<" in login(app, tracker).get("/boards/general/").get_data(as_text=True)


def test_posting_watches_the_topic_unless_turned_off(app, users, board):
    topic = post_topic(users["member2"], board, title="Thread", body="Opening words.")
    post_reply(users["member"], topic.topic, body="My reply.")
    assert follow.level_for(users["member"], topic.topic.id) == TopicLevel.WATCHING
    later = post_reply(make_user("Third"), topic.topic, body="A later reply, not to MemberPerson.")
    assert ("reply", later.post.id) in kinds(users["member"])
    c = login(app, users["member2"])
    c.post("/notifications/settings", data={"email_mode": "off"})  # watch box unticked
    other = post_topic(users["member2"], board, title="Quiet one", body="No watching please.")
    assert follow.level_for(users["member2"], other.topic.id) == TopicLevel.NORMAL
    # A level the member chose is kept when they post again.
    follow.set_level(users["member"], topic.topic, TopicLevel.MUTED)
    post_reply(users["member"], topic.topic, body="Another reply.")
    assert follow.level_for(users["member"], topic.topic.id) == TopicLevel.MUTED

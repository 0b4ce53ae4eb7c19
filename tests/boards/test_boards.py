"""Boards, topics, replies, quotes, edits, deletion, support, pre-moderation."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.errors import NotAllowed
from forum.boards import services
from forum.extensions import db
from forum.models import Board, ContentStatus, Post, PostRevision, Topic
from tests.conftest import make_board, post_reply, post_topic


def _new_topic(client, slug="general", **data):
    form = {"title": "Finding my feet", "body": "Hello *everyone*.", **data}
    return client.post(f"/boards/{slug}/new", data=form)


def test_board_index_shows_descriptions_counts_and_latest(client, users, board):
    posted = post_topic(users["member"], board, title="First steps")
    post_reply(users["member2"], posted.topic)
    html = client.get("/boards/").data
    assert b"About general." in html and b"1 topic" in html and b"2 posts" in html
    assert b"First steps" in html and b"MemberPerson" in html


def test_start_topic_stores_source_and_safe_html(client, auth, users, board):
    auth.login_as(users["member"])
    r = _new_topic(client, body="Hello *everyone*. <script>alert(1)</script>")
    assert r.status_code == 302
    post = db.session.scalar(select(Post))
    assert post.body_source.startswith("Hello *everyone*.")
    assert "<em>everyone</em>" in post.body_html and "<script" not in post.body_html
    assert post.verdict_action == "publish" and post.verdict["action"] == "publish"
    assert post.topic.title_verdict["action"] == "publish"
    page = client.get(r.headers["Location"]).data
    assert b"<em>everyone</em>" in page and b"<script>alert" not in page
    assert b"Your post is up" in page
    db.session.refresh(board)
    assert (board.topic_count, board.post_count) == (1, 1)


def test_title_is_escaped(client, auth, users, board):
    auth.login_as(users["member"])
    _new_topic(client, title="<b>bold</b> title")
    topic = db.session.scalar(select(Topic))
    html = client.get(f"/boards/topic/{topic.id}").data
    assert b"&lt;b&gt;bold&lt;/b&gt; title" in html and b"<b>bold</b>" not in html


def test_topic_pages_render_markdown_once(client, users, board, monkeypatch):
    """The topic page shows stored HTML: neither Markdown nor screening runs on read."""
    posted = post_topic(users["member"], board, body="Some **bold** words")
    import moderation

    def no(*a, **k):
        raise AssertionError("screening or rendering on read")

    monkeypatch.setattr(moderation, "screen", no)
    monkeypatch.setattr("markdown_it.MarkdownIt.render", no)
    assert b"<strong>bold</strong>" in client.get(f"/boards/topic/{posted.topic.id}").data
    assert client.get("/boards/general/").status_code == 200


def test_board_topics_ordered_by_latest_activity_and_paginated(client, users, board, app):
    app.config["TOPICS_PER_PAGE"] = 2
    a = post_topic(users["member"], board, title="Topic A")
    post_topic(users["member"], board, title="Topic B", body="Another hello.")
    post_topic(users["member"], board, title="Topic C", body="A third hello.")
    post_reply(users["member2"], a.topic)  # A becomes the most recent
    first = client.get("/boards/general/").data.decode()
    assert first.index("Topic A") < first.index("Topic C")
    assert "Topic B" not in first and "Page 1 of 2" in first
    assert "Topic B" in client.get("/boards/general/?page=2").data.decode()


def test_replies_paginate_and_redirect_to_last_page(client, auth, users, board, app):
    app.config["POSTS_PER_PAGE"] = 2
    posted = post_topic(users["member"], board)
    post_reply(users["member2"], posted.topic, body="Reply one.")
    auth.login_as(users["member"])
    r = client.post(f"/boards/topic/{posted.topic.id}/reply", data={"body": "Reply two."})
    assert r.status_code == 302 and "page=2" in r.headers["Location"]
    assert b"Reply two." in client.get(r.headers["Location"]).data
    assert b"Reply two." not in client.get(f"/boards/topic/{posted.topic.id}").data


def test_quote_prefills_reply_form(client, auth, users, board):
    posted = post_topic(users["member"], board, body="Line one\nLine two")
    auth.login_as(users["member2"])
    html = client.get(f"/boards/topic/{posted.topic.id}?quote={posted.post.id}").data.decode()
    assert "MemberPerson wrote:\n&gt; Line one\n&gt; Line two" in html
    assert f'value="{posted.post.id}"' in html  # reply_to


def test_quote_of_anonymous_post_stays_anonymous(client, auth, users, board):
    posted = post_topic(users["member"], board, body="Quiet words", anonymous=True)
    auth.login_as(users["member2"])
    html = client.get(f"/boards/topic/{posted.topic.id}?quote={posted.post.id}").data.decode()
    assert "Anonymous member wrote:" in html and "MemberPerson" not in html


def test_edit_keeps_revisions_visible_to_moderators_only(client, auth, users, board):
    posted = post_topic(users["member"], board, body="First version")
    auth.login_as(users["member"])
    r = client.post(f"/boards/post/{posted.post.id}/edit", data={"body": "Second version", "reason": "typo"})
    assert r.status_code == 302
    rev = db.session.scalar(select(PostRevision))
    assert rev.body_source == "First version" and rev.reason == "typo"
    page = client.get(f"/boards/topic/{posted.topic.id}").data
    assert b"Second version" in page and b"edited" in page and b"Revisions" not in page
    assert client.get(f"/boards/post/{posted.post.id}/revisions").status_code == 403
    auth.logout()
    auth.login_as(users["moderator"])
    html = client.get(f"/boards/post/{posted.post.id}/revisions").data
    assert b"First version" in html and b"Second version" in html and b"typo" in html


def test_only_the_author_can_edit_or_delete(client, auth, users, board):
    posted = post_topic(users["member"], board)
    auth.login_as(users["member2"])
    assert client.get(f"/boards/post/{posted.post.id}/edit").status_code == 403
    assert client.post(f"/boards/post/{posted.post.id}/edit", data={"body": "x"}).status_code == 403
    assert client.post(f"/boards/post/{posted.post.id}/delete").status_code == 403
    with pytest.raises(NotAllowed):
        services.edit_post(users["member2"], services.PostEdit(post_id=posted.post.id, body="mine now"))


def test_soft_delete_shows_placeholder(client, auth, users, board):
    posted = post_topic(users["member"], board)
    reply = post_reply(users["member"], posted.topic, body="I regret this reply.")
    auth.login_as(users["member"])
    assert client.post(f"/boards/post/{reply.post.id}/delete").status_code == 302
    db.session.refresh(reply.post)
    assert reply.post.status == ContentStatus.DELETED and reply.post.deleted_at
    auth.logout()
    page = client.get(f"/boards/topic/{posted.topic.id}").data
    assert b"This post was deleted." in page and b"I regret this reply." not in page
    auth.login_as(users["moderator"])
    assert b"I regret this reply." in client.get(f"/boards/topic/{posted.topic.id}").data
    db.session.refresh(board)
    assert board.post_count == 1


def test_support_toggles_with_count_and_json(client, auth, users, board):
    posted = post_topic(users["member"], board)
    auth.login_as(users["member2"])
    url = f"/boards/post/{posted.post.id}/support"
    assert client.post(url).status_code == 302
    assert b'aria-pressed="true"' in client.get(f"/boards/topic/{posted.topic.id}").data
    data = client.post(url, headers={"Accept": "application/json"}).get_json()
    assert data == {"post_id": posted.post.id, "support_count": 0, "supported": False}
    data = client.post(url, headers={"Accept": "application/json"}).get_json()
    assert data["support_count"] == 1 and data["supported"] is True


def test_content_warning_collapses_post(client, users, board):
    posted = post_topic(users["member"], board, body="A hard day.", content_warning="self-harm mention")
    html = client.get(f"/boards/topic/{posted.topic.id}").data.decode()
    assert re.search(r"<details class=\"content-warning\">\s*<summary>.*self-harm mention.*</summary>\s*"
                     r"<div class=\"post-body\"><p>A hard day.</p>", html, re.S)
    assert "<details class=\"content-warning\" open" not in html


def test_premoderation_holds_first_posts(client, auth, users):
    board = make_board("careful", "Careful", premod_first_n=1)
    auth.login_as(users["member"])
    r = _new_topic(client, slug="careful", title="My first topic")
    topic = db.session.scalar(select(Topic))
    assert topic.status == ContentStatus.HELD
    post = db.session.scalar(select(Post))
    assert post.status == ContentStatus.HELD
    author_view = client.get(r.headers["Location"]).data
    assert b"A moderator will review it soon" in author_view
    auth.logout()
    assert client.get(f"/boards/topic/{topic.id}").status_code == 404
    assert b"My first topic" not in client.get("/boards/careful/").data
    auth.login_as(users["member2"])
    assert client.get(f"/boards/topic/{topic.id}").status_code == 404
    auth.logout()
    auth.login_as(users["moderator"])
    assert b"My first topic" in client.get(f"/boards/topic/{topic.id}").data
    db.session.refresh(board)
    assert board.topic_count == 0
    # Approval (the review area calls set_post_status) publishes and counts it.
    services.set_post_status(post, ContentStatus.VISIBLE)
    db.session.commit()
    assert topic.status == ContentStatus.VISIBLE and board.topic_count == 1
    assert users["member"].approved_post_count == 1
    second = post_topic(users["member"], board, title="Second topic", body="Now I'm trusted.")
    assert second.post.status == ContentStatus.VISIBLE


def test_premoderation_does_not_apply_to_moderators(users):
    board = make_board("careful", "Careful", premod_first_n=3)
    assert post_topic(users["moderator"], board).post.status == ContentStatus.VISIBLE


def test_hidden_post_shows_note_to_author_and_revision_goes_back_to_review(client, auth, users, board):
    posted = post_topic(users["member"], board)
    reply = post_reply(users["member"], posted.topic, body="Something that got hidden.")
    services.set_post_status(reply.post, ContentStatus.HIDDEN, note="Please leave out the names of places.")
    db.session.commit()
    auth.login_as(users["member2"])
    assert b"Something that got hidden." not in client.get(f"/boards/topic/{posted.topic.id}").data
    auth.logout()
    auth.login_as(users["member"])
    page = client.get(f"/boards/topic/{posted.topic.id}").data
    assert b"Please leave out the names of places." in page and b"revise it" in page
    client.post(f"/boards/post/{reply.post.id}/edit", data={"body": "Revised without places."})
    db.session.refresh(reply.post)
    assert reply.post.status == ContentStatus.HELD


def test_signposting_panel_shown_to_author_after_posting(client, auth, users, board):
    auth.login_as(users["member"])
    r = _new_topic(client, title="Struggling tonight",
                   body="I have been having suicidal thoughts lately and I feel so alone.")
    post = db.session.scalar(select(Post))
    assert post.verdict.get("signposting"), "the engine should signpost this text"
    html = client.get(r.headers["Location"]).data.decode()
    assert 'class="signposting' in html and post.verdict["signposting"]["headline"] in html.replace("&#39;", "'")
    # Only the author sees the panel, even with the same link.
    auth.logout()
    auth.login_as(users["member2"])
    assert 'class="signposting' not in client.get(r.headers["Location"]).data.decode()


def test_suggested_content_warning_is_offered_not_forced(client, auth, users, board):
    auth.login_as(users["member"])
    r = _new_topic(client, title="Struggling tonight",
                   body="I have been having suicidal thoughts lately and I feel so alone.")
    post = db.session.scalar(select(Post))
    if not post.verdict.get("content_warning"):
        pytest.fail("the engine should suggest a content warning for this text")
    assert post.content_warning is None
    html = client.get(r.headers["Location"]).data.decode()
    assert "add a content warning" in html
    edit = client.get(f"/boards/post/{post.id}/edit?cw=Mentions+suicide").data.decode()
    assert 'value="Mentions suicide"' in edit


def test_blocked_post_keeps_text_and_explains(client, auth, users, board, app):
    auth.login_as(users["member"])
    app.config["KINDRED_MAX_POST_CHARS"] = 50
    r = _new_topic(client, body="word " * 20)
    assert r.status_code == 400 and b"limit is 50" in r.data
    assert b"word word word" in r.data
    assert db.session.scalar(select(Post)) is None


def test_posting_is_rate_limited(client, auth, users, board, app):
    app.config["KINDRED_POST_LIMIT"] = "2 per minute"
    posted = post_topic(users["member"], board)
    auth.login_as(users["member2"])
    for i in range(2):
        assert client.post(f"/boards/topic/{posted.topic.id}/reply", data={"body": f"Reply {i}"}).status_code == 302
    r = client.post(f"/boards/topic/{posted.topic.id}/reply", data={"body": "One more"})
    assert r.status_code == 429 and b"slow down" in r.data


def test_silenced_member_cannot_post(client, auth, users, board):
    from datetime import timedelta

    from forum.models import utcnow

    users["member"].silenced_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    auth.login_as(users["member"])
    r = _new_topic(client)
    assert r.status_code == 400 and b"can&#39;t post at the moment" in r.data


def test_member_profile_lists_public_posts(client, users, board):
    post_topic(users["member"], board, title="Signed topic", body="Signed words.")
    post_topic(users["member"], board, title="Unsigned topic", body="Unsigned words.", anonymous=True)
    html = client.get("/boards/member/MemberPerson").data
    assert b"Signed words." in html and b"Unsigned words." not in html


def test_unknown_things_are_404(client, users, board):
    for url in ("/boards/nope/", "/boards/topic/999", "/boards/post/999", "/boards/member/nobody"):
        assert client.get(url).status_code == 404


def test_topic_page_query_count_is_constant(client, users, board, app):
    """No N+1: the number of queries doesn't grow with the number of posts."""
    from sqlalchemy import event

    posted = post_topic(users["member"], board)
    for i in range(6):
        post_reply(users["member2"] if i % 2 else users["moderator"], posted.topic, body=f"Reply number {i}.")
    counts = []
    for _ in range(2):
        statements: list[str] = []

        def count(*args, **kwargs):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        client.get(f"/boards/topic/{posted.topic.id}")
        event.remove(db.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] <= 4, counts


def test_board_model_counts_stay_consistent(users, board):
    posted = post_topic(users["member"], board)
    post_reply(users["member2"], posted.topic)
    b = db.session.get(Board, board.id)
    assert (b.topic_count, b.post_count, posted.topic.reply_count) == (1, 2, 1)

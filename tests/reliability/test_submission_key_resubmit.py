"""Issue 15, finding 7: a post cut off mid-request is not stored twice.

The member's browser sends a reply (and, separately, a new topic) and the
connection drops before the answer arrives; the server may already have
stored it. The member sends the same form again. With the form's one-time
submission key, the resubmit returns the stored post instead of a
duplicate. Before the fix, 2 of 13 cut-off posts were stored and then
stored again on resubmit.
"""
from __future__ import annotations

import socket
import time
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post, Topic
from tests.conftest import make_board, make_user, post_topic
from tests.live import start_server
from tests.reliability.helpers import form_fields, login

pytestmark = pytest.mark.slow
REPLY = "Sending this again because my train went into a tunnel. Thinking of you all."
TITLE = "Small wins this week"
BODY = "I made it to the shop on my own today. What small wins have you had?"


def cut_off_post(base_url: str, path: str, cookies: dict[str, str], data: dict[str, str]) -> None:
    """Send a whole form POST, then hang up without reading the answer."""
    parts = urlsplit(base_url)
    body = urlencode(data).encode()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    head = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: {cookie}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(head + body)


def wait_for(count, expected: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        got = count()
        db.session.rollback()
        if got >= expected or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_resubmitted_forms_return_the_stored_post(app, test_env, tmp_path):
    board = make_board()
    slug = board.slug
    topic_id = post_topic(make_user("KeyStarter"), board, title="This week", body="How was everyone's week?").topic.id
    member_id = make_user("TunnelMember").id
    db.session.remove()

    server = start_server({**test_env, "KINDRED_SEMANTIC": "0"}, tmp_path, timeout=120)
    try:
        http = login(server.url, "TunnelMember")
        cookies = http.cookies.get_dict()

        reply_form = {**form_fields(http.get(f"{server.url}/boards/topic/{topic_id}", timeout=30).text),
                      "body": REPLY}
        cut_off_post(server.url, f"/boards/topic/{topic_id}/reply", cookies, reply_form)
        replies = lambda: db.session.scalar(  # noqa: E731
            select(func.count(Post.id)).where(Post.topic_id == topic_id, Post.body_source == REPLY))
        assert wait_for(replies, 1) == 1  # stored, though the member never saw the answer
        again = http.post(f"{server.url}/boards/topic/{topic_id}/reply", data=reply_form,
                          allow_redirects=False, timeout=60)

        topic_form = {**form_fields(http.get(f"{server.url}/boards/{slug}/new", timeout=30).text),
                      "title": TITLE, "body": BODY}
        cut_off_post(server.url, f"/boards/{slug}/new", cookies, topic_form)
        # Resubmitted at once: it may race the cut-off original.
        topic_again = http.post(f"{server.url}/boards/{slug}/new", data=topic_form,
                                allow_redirects=False, timeout=60)
        topics = lambda: db.session.scalar(select(func.count(Topic.id)).where(Topic.title == TITLE))  # noqa: E731
        wait_for(topics, 2, timeout=5)
    finally:
        server.stop()

    stored = db.session.scalar(select(Post).where(Post.topic_id == topic_id, Post.body_source == REPLY))
    assert again.status_code == 302 and f"posted={stored.id}" in again.headers["Location"]
    assert replies() == 1

    assert topic_again.status_code == 302, server.log()[-3000:]
    assert topics() == 1
    opening = db.session.scalar(select(Post).join(Topic).where(Topic.title == TITLE))
    assert opening.author_id == member_id and opening.body_source == BODY
    assert f"posted={opening.id}" in topic_again.headers["Location"]

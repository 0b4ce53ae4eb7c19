"""Issue 15, finding 5: a screening failure puts the post at the top, not the bottom.

A real server whose crisis stage raises on every text receives "I can't go
on, I want to end my life tonight". The post is held (right before and
after the fix); now the item must also sort with high-risk items (above
abuse reports), carry the high-risk deadline, alert the connected moderator
live as unscreened, and show the writer gentle signposting, because the
pipeline could not rule risk out. Before the fix it had priority 0, a
24-hour deadline, no alert and no signposting.
"""
from __future__ import annotations

import queue
from datetime import timedelta

import pytest
import socketio
from sqlalchemy import select

from forum.extensions import db
from forum.models import Alert, ContentStatus, Post, Review
from forum.review.services import TIER_BASE
from tests.conftest import make_board, make_user, post_topic
from tests.live import start_server
from tests.reliability.helpers import form_fields, login

pytestmark = pytest.mark.slow
TEXT = "I can't go on, I want to end my life tonight"


def test_unscreened_crisis_post_is_urgent_alerted_and_signposted(app, test_env, tmp_path):
    topic_id = post_topic(make_user("UnscreenedStarter"), make_board(), title="Nights",
                          body="How do you get through the nights?").topic.id
    make_user("UnscreenedWriter")
    make_user("UnscreenedMod", "moderator")
    db.session.remove()

    server = start_server({**test_env, "KINDRED_SEMANTIC": "0"}, tmp_path, timeout=120,
                          module="tests.reliability.broken_crisis_serve")
    events: queue.Queue = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("imminent", lambda data: events.put(data), namespace="/mod")
    try:
        cookie = login(server.url, "UnscreenedMod").cookies["session"]
        sio.connect(server.url, headers={"Cookie": f"session={cookie}"}, namespaces=["/mod"],
                    transports=["websocket"], wait_timeout=10)
        writer = login(server.url, "UnscreenedWriter")
        form = form_fields(writer.get(f"{server.url}/boards/topic/{topic_id}", timeout=30).text)
        res = writer.post(f"{server.url}/boards/topic/{topic_id}/reply", data={**form, "body": TEXT}, timeout=60)
        alert = events.get(timeout=20)
    finally:
        if sio.connected:
            sio.disconnect()
        server.stop()

    # The writer: held, and shown signposting with helplines.
    assert res.status_code == 200, server.log()[-3000:]
    assert 'class="signposting' in res.text and "Samaritans" in res.text

    post = db.session.scalar(select(Post).where(Post.topic_id == topic_id, Post.number == 2))
    assert post.status == ContentStatus.HELD
    assert "screening_error" in post.verdict_categories
    review = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == post.id))
    # Sorted with high-risk items, above any abuse report.
    assert review.priority >= TIER_BASE["high"] > TIER_BASE["abuse"] + 190
    assert review.due_at - review.created_at <= timedelta(seconds=app.config["KINDRED_SLA_HIGH_SECONDS"])
    # Alerted live, marked unscreened.
    assert alert["id"] == review.id and alert["unscreened"] is True
    assert db.session.scalar(select(Alert).where(Alert.review_id == review.id, Alert.kind == "unscreened_item"))

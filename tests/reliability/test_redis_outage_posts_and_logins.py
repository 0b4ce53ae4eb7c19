"""Issue 15, finding 3: a Redis outage must not block posting or logging in.

A real server process keeps its rate limits in a private Redis, which the
test then stops. Logins and a new topic must still succeed (limits fall
back to this process's memory), and the post must be stored exactly once
and answered with its normal redirect, never a 500 after the commit.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Topic
from tests.conftest import make_board, make_user
from tests.live import start_server
from tests.reliability.redis_server import PrivateRedis
from tests.review.live_http import csrf, login, new_topic

pytestmark = pytest.mark.slow


@pytest.fixture()
def redis_and_server(app, test_env, tmp_path):
    private = PrivateRedis(tmp_path).start()
    env = {**test_env, "REDIS_URL": private.url, "KINDRED_RATELIMIT": "1"}
    server = start_server(env, tmp_path, timeout=120)
    yield private, server
    server.stop()
    private.stop()


def test_posts_and_logins_work_while_redis_is_down(app, redis_and_server):
    private, server = redis_and_server
    make_board("outage", "Outage")
    make_user("OutageWriter")
    make_user("OutageReader")

    writer = login(server.url, "OutageWriter")  # limits counted in Redis while it is up
    private.stop()

    # A fresh login during the outage: the limiter must not turn it into an error.
    reader = login(server.url, "OutageReader")
    assert reader.get(server.url + "/", timeout=30).status_code == 200

    title = "Still here during the outage"
    resp = new_topic(writer, server.url, "outage", title, "Writing while the cache is away.")
    assert resp.status_code == 302, (resp.status_code, resp.text[:500], server.log()[-3000:])
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Topic).where(Topic.title == title)) == 1

    # Limits still hold during the outage (kept in memory): the login form keeps answering.
    assert csrf(reader, server.url + "/auth/login")


def test_chat_limits_and_presence_fall_back_to_this_process(tmp_path):
    from forum.chat.state import Presence, RateLimits

    private = PrivateRedis(tmp_path)  # a free port with no Redis behind it
    rate = RateLimits(private.url, "2 per minute", timeout=0.5)
    assert [rate.hit(7) for _ in range(3)] == [True, True, False]
    presence = Presence(private.url, timeout=0.5)
    assert presence.join(1, "sid-a") == 1
    assert presence.join(1, "sid-b") == 2
    assert presence.count(1) == 2
    assert presence.leave(1, "sid-a") == 1

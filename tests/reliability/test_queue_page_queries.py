"""Issue 15, finding 9: the review queue page is slow under load.

The page must run a constant number of SQL statements however many items
are open (no query per row for its content, author or claimer), so 1,000
open items cost what 10 do, and it must render within a small multiple of
the 10-item page in the same run.
"""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import event

from forum.extensions import db
from forum.models import Post, Review, Topic, utcnow
from forum.review import services
from tests.conftest import make_user
from tests.review.helpers import board, verdict


def _seed(authors, claimer, n: int, start: int = 0) -> None:
    b = board()
    v = verdict()
    for i in range(start, start + n):
        author = authors[i % len(authors)]
        anonymous = i % 7 == 0
        topic = Topic(board=b, author=author, is_anonymous=anonymous, title=f"A hard day {i}", status="visible",
                      created_at=utcnow(), last_activity_at=utcnow())
        p = Post(topic=topic, number=1, author=author, is_anonymous=anonymous, body_source=v.text,
                 status="visible", created_at=utcnow())
        p.apply_verdict(v)
        db.session.add_all([topic, p])
        db.session.flush()
        review = services.on_screened("post", p, v, board_id=b.id)
        if i % 5 == 0:
            review.claimed_by_id = claimer.id
            review.claimed_until = utcnow() + timedelta(minutes=10)
        if i % 100 == 99:
            db.session.commit()
    db.session.commit()


def _statements_and_time(client) -> tuple[int, float, str]:
    count = 0

    def before(*_args):
        nonlocal count
        count += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        started = time.perf_counter()
        resp = client.get("/review/")
        elapsed = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert resp.status_code == 200
    return count, elapsed, resp.get_data(as_text=True)


def test_queue_page_runs_constant_queries_with_1000_open_items(app, client, auth):
    moderator = make_user("QueueMod", "moderator", resources_read_at=utcnow())
    claimer = make_user("QueueClaimer", "moderator")
    authors = [make_user(f"QueueAuthor{i}") for i in range(20)]
    _seed(authors, claimer, 10)
    auth.login_as(moderator)
    client.get("/review/")  # warm templates and caches

    small = [_statements_and_time(client) for _ in range(3)]
    _seed(authors, claimer, 990, start=10)
    assert db.session.query(Review).filter(Review.status == "pending").count() == 1000
    large = [_statements_and_time(client) for _ in range(3)]

    small_queries, large_queries = small[-1][0], large[-1][0]
    print(f"queue page: {small_queries} statements / {min(t for _, t, _ in small) * 1000:.1f} ms with 10 open items, "
          f"{large_queries} / {min(t for _, t, _ in large) * 1000:.1f} ms with 1000")
    assert large_queries == small_queries, (small_queries, large_queries)
    assert large_queries <= 15, large_queries
    html = large[-1][2]
    assert "claimed by QueueClaimer" in html and "Anonymous member" in html

    # 200 rows are shown against 10: the rows themselves must be cheap.
    small_time = min(t for _, t, _ in small)
    large_time = min(t for _, t, _ in large)
    assert large_time <= 25 * small_time, (small_time, large_time)

"""A post the screening can't read is published, flagged for a person at low
priority, and its writer sees the international helplines."""
from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.models import ContentStatus, Post, Review
from forum.models.base import utcnow

SPANISH = "Hola a todos. Hoy me siento muy triste y no sé con quién hablar, ya no quiero seguir así."


def test_non_english_post_is_published_flagged_low_with_international_signposting(client, auth, users, board):
    users["member"].region = "UK"
    users["moderator"].resources_read_at = utcnow()
    db.session.commit()
    auth.login_as(users["member"])
    r = client.post(f"/boards/{board.slug}/new", data={"title": "Hola", "body": SPANISH})
    assert r.status_code == 302
    post = db.session.scalar(select(Post))
    assert post.status == ContentStatus.VISIBLE and post.verdict_action == "publish_flagged"
    assert "language.unsupported" in post.verdict["categories"]
    assert post.verdict["priority"] == "low"

    # The writer: the international list, not their region's.
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert '<section class="signposting' in page
    panel = page.split('<section class="signposting', 1)[1].split("</section>", 1)[0]
    assert "Find A Helpline" in panel and "Samaritans" not in panel

    # Other members see it at once.
    auth.logout()
    auth.login_as(users["member2"])
    assert "no sé con quién hablar" in client.get(r.headers["Location"]).get_data(as_text=True)

    # A moderator: one queue item, lowest tier, with the reason in plain words.
    review = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == post.id))
    assert review is not None and review.status == "pending" and review.risk == "none"
    auth.logout()
    auth.login_as(users["moderator"])
    item = client.get(f"/review/{review.id}").get_data(as_text=True).replace("&#39;", "'")
    assert "Written in a language the screening can't read (Spanish?)" in item

"""A post its author deleted is never republished from a stale queue item.

The moderator loaded the item while the post was live; the author then
deleted it. Approving (or restoring, or hiding) from that page must be
refused by ``perform`` itself with a clear 409, and the item page offers
"Close" instead.
"""
from __future__ import annotations

import pytest

from forum.errors import StaleItem
from forum.boards import services as boards
from forum.extensions import db
from forum.models import ContentStatus, Post, Review, utcnow
from forum.review import services
from tests.review.helpers import post, review_for, verdict


@pytest.fixture()
def mod_client(client, auth, users):
    users["moderator"].resources_read_at = utcnow()
    db.session.commit()
    auth.login_as(users["moderator"])
    return client


def _deleted_after_loading(users):
    p = post(users["member"], verdict("hold", "concern"))
    r = review_for(p)
    version = r.version  # what the moderator's open page holds
    boards.delete_post(users["member"], p.id)
    return p.id, r.id, version


def test_approving_a_deleted_post_is_refused_and_it_stays_deleted(mod_client, users):
    post_id, review_id, version = _deleted_after_loading(users)
    resp = mod_client.post(f"/review/{review_id}/act",
                           data={"action": "approve", "version": version, "note": "looked fine to me"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "The author has deleted this post, so it can&#39;t be approved" in page
    # The moderator's note is kept, in the form that is now offered.
    assert 'value="looked fine to me"' in page and "Close the item" in page
    assert "Approve and publish" not in page
    db.session.expire_all()
    assert db.session.get(Post, post_id).status == ContentStatus.DELETED


@pytest.mark.parametrize("action", ["approve", "restore", "reject", "edit", "content_warning"])
def test_perform_refuses_content_actions_on_a_deleted_item(app, users, action):
    post_id, review_id, version = _deleted_after_loading(users)
    review = db.session.get(Review, review_id)
    with pytest.raises(StaleItem) as exc:
        services.perform(review, action, users["staff"], version, "note", text="new words",
                         content_warning="cw")
    assert "deleted" in exc.value.reason
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Post, post_id).status == ContentStatus.DELETED


def test_a_deleted_item_offers_close_and_closing_leaves_it_deleted(mod_client, users):
    post_id, review_id, version = _deleted_after_loading(users)
    review = db.session.get(Review, review_id)
    acts = services.available_actions(review, users["moderator"])
    assert "close" in acts and not set(acts) & {"approve", "restore", "reject", "edit"}
    resp = mod_client.post(f"/review/{review_id}/act", data={"action": "close", "version": version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Review, review_id).status == "closed"
    assert db.session.get(Post, post_id).status == ContentStatus.DELETED
    # A closed item on deleted content offers no restore either.
    assert "restore" not in services.available_actions(db.session.get(Review, review_id),
                                                       users["moderator"])

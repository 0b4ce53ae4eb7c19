"""The shared support toggle: one row per member, counter moved in SQL."""
from forum import reactions
from forum.extensions import db
from forum.models import PostSupport
from tests.conftest import post_topic


def test_toggle_adds_then_removes_and_never_goes_below_zero(users, board):
    post = post_topic(users["member2"], board, body="Thank you all for being here.").post
    assert reactions.toggle_support(post, PostSupport, "post_id", users["member"].id) is True
    assert post.support_count == 1
    # A counter that drifted to 0 stays at 0 when the support is taken back.
    post.support_count = 0
    db.session.flush()
    assert reactions.toggle_support(post, PostSupport, "post_id", users["member"].id) is False
    assert post.support_count == 0
    assert db.session.get(PostSupport, (post.id, users["member"].id)) is None

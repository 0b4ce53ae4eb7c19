"""Issue 14.9: three fresh accounts hid Staff Sam's helpline post. Reports
from brand-new accounts don't count towards hiding, and member reports never
hide a moderator's or staff member's named post: it goes to the queue."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ContentStatus, Review, utcnow
from forum.review import services
from tests.conftest import make_user
from tests.review.helpers import post, verdict


def _established(handle: str):
    return make_user(handle, created_at=utcnow() - timedelta(days=60), approved_post_count=20)


def _report(p, reporters):
    for reporter in reporters:
        services.flag("post", p, reporter, "unkind")
        db.session.commit()


def test_fresh_accounts_cannot_hide_a_post(app, users):
    app.config["KINDRED_AUTO_HIDE_FLAGS"] = 3
    p = post(users["member"], verdict("publish", "none", ()))
    _report(p, [make_user(f"fresh{i}") for i in range(5)])
    assert p.status == ContentStatus.VISIBLE
    review = db.session.scalar(select(Review).where(Review.target_id == p.id))
    assert review.status in services.OPEN_STATUSES  # still reaches a moderator


def test_an_old_account_without_posts_does_not_count_either(app, users):
    app.config["KINDRED_AUTO_HIDE_FLAGS"] = 2
    p = post(users["member"], verdict("publish", "none", ()))
    idle = [make_user(f"idle{i}", created_at=utcnow() - timedelta(days=365)) for i in range(3)]
    _report(p, idle)
    assert p.status == ContentStatus.VISIBLE


def test_established_members_still_hide_a_member_post(app, users):
    app.config["KINDRED_AUTO_HIDE_FLAGS"] = 3
    p = post(users["member"], verdict("publish", "none", ()))
    _report(p, [make_user("fresh"), _established("old1"), _established("old2")])
    assert p.status == ContentStatus.VISIBLE
    _report(p, [_established("old3")])
    assert p.status == ContentStatus.HIDDEN


@pytest.mark.parametrize("role", ["moderator", "staff"])
def test_member_reports_never_hide_a_staff_post(app, users, role):
    app.config["KINDRED_AUTO_HIDE_FLAGS"] = 3
    helpline_post = post(users[role], verdict("publish", "none", ()),
                         )
    _report(helpline_post, [_established(f"old{i}") for i in range(5)])
    assert helpline_post.status == ContentStatus.VISIBLE
    review = db.session.scalar(select(Review).where(Review.target_id == helpline_post.id))
    assert review.status in services.OPEN_STATUSES
    assert "not_auto_hidden" in [r["code"] for r in review.reasons]

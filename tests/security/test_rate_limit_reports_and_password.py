"""Issue 14.9: reports and password changes are rate-limited per account
(KINDRED_REPORT_LIMIT, KINDRED_PASSWORD_CHANGE_LIMIT)."""
from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Flag
from tests.review.helpers import post, verdict


def test_reports_are_limited_per_account(client, auth, users, app):
    app.config["KINDRED_REPORT_LIMIT"] = "3 per hour"
    posts = [post(users["member"], verdict("publish", "none", ()), enqueue=False) for _ in range(5)]
    auth.login_as(users["member2"])
    for p in posts[:3]:
        assert client.post(f"/review/flag/post/{p.id}", data={"reason": "unkind"}).status_code == 302
    r = client.post(f"/review/flag/post/{posts[3].id}", data={"reason": "unkind"})
    assert r.status_code == 429
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 3
    # Another member's reports are theirs: not throttled by member2's.
    auth.logout()
    auth.login_as(users["admin"])
    assert client.post(f"/review/flag/post/{posts[4].id}", data={"reason": "unkind"}).status_code == 302


def test_password_changes_are_limited_per_account(client, auth, users, app):
    app.config["KINDRED_PASSWORD_CHANGE_LIMIT"] = "3 per hour"
    auth.login_as(users["member"])
    for _ in range(3):
        r = client.post("/account/password", data={"current_password": "wrong guess here",
                                                   "new_password": "another long one"})
        assert r.status_code == 400
    r = client.post("/account/password", data={"current_password": "wrong guess here",
                                               "new_password": "another long one"})
    assert r.status_code == 429
    assert b"another long one" not in r.data and b"wrong guess here" not in r.data  # never echoed

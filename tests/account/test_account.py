"""The account area: settings, password, closing an account, own posts."""
from __future__ import annotations

from forum.auth.passwords import verify_password
from forum.extensions import db
from tests.conftest import PASSWORD, post_topic


def test_account_requires_login(client):
    r = client.get("/account/")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_update_region_and_email(client, auth, users):
    auth.login_as(users["member"])
    r = client.post("/account/profile", data={"email": "me@example.org", "region": "US"})
    assert r.status_code == 302
    db.session.refresh(users["member"])
    assert users["member"].region == "US" and users["member"].email == "me@example.org"
    # The region now drives the help page.
    assert b"988" in client.get("/help").data


def test_bad_email_is_explained(client, auth, users):
    auth.login_as(users["member"])
    r = client.post("/account/profile", data={"email": "not-an-email", "region": ""})
    assert r.status_code == 400 and b"look like an email" in r.data


def test_change_password(client, auth, users):
    auth.login_as(users["member"])
    r = client.post("/account/password", data={"current_password": "wrong", "new_password": "another long one"})
    assert r.status_code == 400 and b"current password" in r.data
    r = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "another long one"})
    assert r.status_code == 302
    db.session.refresh(users["member"])
    assert verify_password(users["member"].password_hash, "another long one")


def test_close_account(client, auth, users):
    auth.login_as(users["member"])
    assert client.post("/account/deactivate", data={"kind": "close", "password": "nope"}).status_code == 400
    r = client.post("/account/deactivate", data={"kind": "close", "password": PASSWORD})
    assert r.status_code == 200 and b"Log in before then" in r.data
    assert client.get("/account/").status_code == 302  # logged out everywhere
    # Within the grace period, logging in restores the account (tests/rights/test_erasure.py).
    assert auth.login_as(users["member"]).status_code == 302


def test_own_posts_list_includes_anonymous_and_held(client, auth, users, board):
    post_topic(users["member"], board, title="Mine, anonymously", anonymous=True)
    auth.login_as(users["member"])
    page = client.get("/account/").data
    assert b"Mine, anonymously" in page and b"posted anonymously" in page

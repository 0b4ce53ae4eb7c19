"""Registration, login, logout, handle warnings, throttling."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import AuditEvent, User, utcnow
from tests.conftest import PASSWORD, config_class

GOOD = {"handle": "quiet_otter", "password": "a long enough password", "age_confirmed": "y",
        "guidelines_accepted": "y", "health_consent": "y"}


def test_register_creates_member_and_logs_in(client):
    r = client.post("/auth/register", data=GOOD)
    assert r.status_code == 302
    user = db.session.scalar(select(User).where(User.handle_key == "quiet_otter"))
    assert user.role == "member" and user.email is None
    assert user.password_hash.startswith("$argon2id$")
    assert user.age_confirmed_at and user.guidelines_accepted_at
    assert b"quiet_otter" in client.get("/boards/").data  # logged in


@pytest.mark.parametrize("field", ["age_confirmed", "guidelines_accepted"])
def test_register_requires_age_and_guidelines(client, field):
    data = {k: v for k, v in GOOD.items() if k != field}
    r = client.post("/auth/register", data=data)
    assert r.status_code == 400
    assert (b"16 and over" if field == "age_confirmed" else b"accept the community guidelines") in r.data
    assert db.session.scalar(select(User)) is None
    assert b'value="quiet_otter"' in r.data  # the member's input is kept


@pytest.mark.parametrize("handle, words", [
    ("sam@example.org", b"email address"),
    ("call 07700900123", b"phone number"),
    ("Jane Smith", b"real first and last name"),
])
def test_identifying_handles_warn_then_proceed_when_kept(client, handle, words):
    r = client.post("/auth/register", data={**GOOD, "handle": handle})
    assert r.status_code == 400 and words in r.data and b"Keep this name anyway" in r.data
    assert db.session.scalar(select(User)) is None
    r = client.post("/auth/register", data={**GOOD, "handle": handle, "keep_handle": "y"})
    assert r.status_code == 302
    assert db.session.scalar(select(User.handle)) == handle


def test_handle_is_unique_ignoring_case(client, make_member):
    r = client.post("/auth/register", data={**GOOD, "handle": "MEMBERPERSON"})
    assert r.status_code == 400 and b"already uses that name" in r.data


def test_short_password_and_bad_handle_are_explained(client):
    r = client.post("/auth/register", data={**GOOD, "handle": "<b>", "password": "short"})
    assert r.status_code == 400
    assert b"at least 10 characters" in r.data and b"letters, numbers" in r.data


@pytest.fixture()
def make_member(users):
    return users["member"]


def test_login_logout_and_remember_me(client, auth, users):
    r = auth.login("memberperson", remember=True)  # handles are case-insensitive
    assert r.status_code == 302
    assert any(c.key == "remember_token" for c in client._cookies.values())
    assert b"Log out" in client.get("/").data
    auth.logout()
    assert b"Log in" in client.get("/").data


def test_wrong_password_gives_one_vague_message(client, auth, users):
    for handle in ("MemberPerson", "nobody-here"):
        r = auth.login(handle, "wrong password!!")
        assert r.status_code == 400
        assert b"don&#39;t match an account" in r.data


def test_suspended_member_cannot_log_in(client, auth, users):
    from datetime import timedelta

    users["member"].suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    r = auth.login("MemberPerson")
    assert r.status_code == 400 and b"suspended" in r.data


@pytest.mark.parametrize("target, expected", [
    ("/boards/", "/boards/"), ("https://evil.example/", "/boards/"), ("//evil.example/", "/boards/"),
    ("/\\evil.example", "/boards/"),
])
def test_login_next_is_same_site_only(client, users, target, expected):
    r = client.post(f"/auth/login?next={target}", data={"handle": "MemberPerson", "password": PASSWORD})
    assert r.headers["Location"] == expected


def test_logout_requires_post(client, auth, users):
    auth.login_as(users["member"])
    assert client.get("/auth/logout").status_code == 405


def test_login_is_throttled_with_friendly_page(client, app):
    app.config["KINDRED_LOGIN_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.post("/auth/login", data={"handle": "x", "password": "y"}).status_code == 400
    r = client.post("/auth/login", data={"handle": "x", "password": "y"})
    assert r.status_code == 429
    assert b"slow down a little" in r.data


def test_register_is_throttled(client, app):
    app.config["KINDRED_REGISTER_LIMIT"] = "2 per minute"
    for _ in range(2):
        client.post("/auth/register", data={"handle": "x"})
    assert client.post("/auth/register", data={"handle": "x"}).status_code == 429


def test_csrf_is_enforced_when_enabled(app_config):
    from forum import create_app

    app = create_app(config_class(app_config, WTF_CSRF_ENABLED=True))
    with app.app_context():
        try:
            r = app.test_client().post("/auth/login", data={"handle": "x", "password": "y"})
            assert r.status_code == 400
        finally:
            db.session.remove()
            db.engine.dispose()  # this app has its own pool: close it, or a GC'd connection warns later


def test_cli_users_create_and_set_role_are_audited(runner, app):
    r = runner.invoke(args=["users", "create", "--role", "staff", "--password", "a long enough password",
                            "Night Staff"])
    assert r.exit_code == 0, r.output
    user = db.session.scalar(select(User).where(User.handle_key == "night staff"))
    assert user.role == "staff"
    r = runner.invoke(args=["users", "set-role", "Night Staff", "admin", "--reason", "rota"])
    assert r.exit_code == 0, r.output
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.create", "user.role_change"]


def test_cli_users_create_prompts_for_password(runner, app):
    r = runner.invoke(args=["users", "create", "calm_owl"], input="a long enough password\na long enough password\n")
    assert r.exit_code == 0, r.output
    assert db.session.scalar(select(User.role).where(User.handle_key == "calm_owl")) == "member"


def test_cli_rejects_bad_input(runner, app):
    r = runner.invoke(args=["users", "create", "--password", "short", "calm_owl"])
    assert r.exit_code != 0 and "at least 10" in r.output

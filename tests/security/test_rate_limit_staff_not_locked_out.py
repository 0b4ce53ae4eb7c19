"""Issue 14.9: someone else's failed logins never lock a moderator or staff
member out (staff must acknowledge an imminent case within 5 minutes)."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

ATTACKER = "203.0.113.66"
STAFF_DESK = "198.51.100.20"


def _login(client, handle: str, password: str, address: str):
    return client.post("/auth/login", data={"handle": handle, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("role", ["staff", "moderator"])
def test_failures_on_a_staff_account_from_elsewhere_do_not_lock_it(client, users, app, role):
    account = users[role]
    for _ in range(40):
        _login(client, account.handle, "wrong password!", ATTACKER)
    # The attacker's own address is slowed down on that account...
    assert _login(client, account.handle, "wrong password!", ATTACKER).status_code == 429
    # ...but the real person, elsewhere, logs straight in.
    assert _login(client, account.handle, PASSWORD, STAFF_DESK).status_code == 302


def test_a_flood_from_a_shared_address_does_not_lock_staff_out(client, users, app):
    """When every client shares one address (no proxy configuration), the
    address limit trips for members, but never for a staff account whose own
    failures are not the ones counted."""
    app.config["KINDRED_LOGIN_LIMIT"] = "10 per minute"
    shared = "127.0.0.1"
    for i in range(30):
        _login(client, f"guess{i}", "wrong password!", shared)
    assert _login(client, users["member"].handle, PASSWORD, shared).status_code == 429
    assert _login(client, users["staff"].handle, PASSWORD, shared).status_code == 302


def _storages():
    """Memory always; Redis too when TEST_REDIS_URL names one (CI's second pass)."""
    import os

    uris = ["memory://"]
    if os.environ.get("TEST_REDIS_URL"):
        uris.append(os.environ["TEST_REDIS_URL"])
    return uris


@pytest.mark.parametrize("storage", _storages())
def test_behind_the_proxy_each_client_has_its_own_address(_schema, app_config, storage):
    """With KINDRED_PROXY_HOPS=1 (the README's nginx), every request reaches
    Kindred from 127.0.0.1; the limits must see the client's address."""
    from forum import create_app
    from forum.extensions import db, limiter
    from tests.conftest import config_class, make_user

    proxied = create_app(config_class(app_config, KINDRED_PROXY_HOPS=1, RATELIMIT_STORAGE_URI=storage,
                                      KINDRED_LOGIN_LIMIT="10 per minute"))
    with proxied.app_context():
        limiter.reset()
        try:
            member = make_user("ProxiedMember")
            client = proxied.test_client()

            def login(handle, password, client_address):
                return client.post("/auth/login", data={"handle": handle, "password": password},
                                   environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                   headers={"X-Forwarded-For": client_address})

            for i in range(12):
                login(f"guess{i}", "wrong password!", ATTACKER)
            assert login("guess-more", "wrong password!", ATTACKER).status_code == 429
            assert login(member.handle, PASSWORD, STAFF_DESK).status_code == 302
        finally:
            limiter.reset()
            db.session.remove()
            db.session.execute(db.text("DELETE FROM users WHERE handle_key = 'proxiedmember'"))
            db.session.commit()

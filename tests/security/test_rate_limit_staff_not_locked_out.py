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
            db.session.remove()
            db.engine.dispose()  # this app's own pool: no connection left for the GC to find


def test_even_from_the_same_address_a_known_device_is_not_locked_out(app, users):
    """Without proxy configuration staff and an attacker share one address.
    The staff member's own device, where they logged in before, carries a
    signed cookie, and the attacker's failures are not counted against it."""
    shared = "127.0.0.1"
    staff_device, attacker = app.test_client(), app.test_client()
    staff = users["staff"]
    assert _login(staff_device, staff.handle, PASSWORD, shared).status_code == 302
    staff_device.post("/auth/logout")
    for _ in range(40):
        _login(attacker, staff.handle, "wrong password!", shared)
    assert _login(attacker, staff.handle, PASSWORD, shared).status_code == 429
    assert _login(staff_device, staff.handle, PASSWORD, shared).status_code == 302


def test_the_device_cookie_names_no_account_and_only_works_for_its_own(app, users):
    from forum.auth import services

    staff_device = app.test_client()
    r = _login(staff_device, users["staff"].handle, PASSWORD, "127.0.0.1")
    cookie = staff_device.get_cookie(services.DEVICE_COOKIE, path="/auth/login")
    assert cookie is not None and cookie.http_only
    payload = services._device_serializer().loads(cookie.value)
    assert set(payload) == {"n", "m"}  # a nonce and a keyed MAC: no account id or name
    staff_device.post("/auth/logout")
    # Someone else's account gains nothing from it: it still waits on that address.
    other = users["moderator"]
    for _ in range(10):
        _login(app.test_client(), other.handle, "wrong password!", "127.0.0.1")
    assert _login(staff_device, other.handle, PASSWORD, "127.0.0.1").status_code == 429
    assert r.status_code == 302

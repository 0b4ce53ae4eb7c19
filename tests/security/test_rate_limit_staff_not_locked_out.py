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

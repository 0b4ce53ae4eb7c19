"""Issue 14.9: failed logins are limited per address and per account, with a
growing wait on one account; one address's failures don't lock out people
at other addresses."""
from __future__ import annotations

import pytest

from forum.auth import throttle
from tests.conftest import PASSWORD


def _login(client, handle: str, password: str, address: str):
    return client.post("/auth/login", data={"handle": handle, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_one_account_waits_longer_after_each_failure(client, users, app):
    member = users["member"]
    for _ in range(throttle.FREE_FAILURES):
        assert _login(client, member.handle, "wrong password!", "10.0.0.1").status_code == 400
    # The next failure starts a wait; the account answers 429 even with the
    # right password, from any address, until it is over.
    assert _login(client, member.handle, "wrong password!", "10.0.0.2").status_code == 400
    r = _login(client, member.handle, PASSWORD, "10.0.0.3")
    assert r.status_code == 429 and b"wait 2 seconds" in r.data
    assert b'value="' + member.handle.encode() + b'"' in r.data  # the typed name is kept
    # The wait doubles with each further failure (shown as a count of seconds).
    from forum.extensions import limiter

    key = f"kindred-login-acct/{member.handle_key}"
    limiter.storage.clear(key + "/lock")
    assert _login(client, member.handle, "wrong password!", "10.0.0.4").status_code == 400
    assert b"wait 4 seconds" in _login(client, member.handle, PASSWORD, "10.0.0.4").data
    limiter.storage.clear(key + "/lock")
    assert _login(client, member.handle, "wrong password!", "10.0.0.4").status_code == 400
    assert b"wait 8 seconds" in _login(client, member.handle, PASSWORD, "10.0.0.4").data


def test_wait_is_capped(client, users, app):
    from forum.extensions import limiter

    app.config["KINDRED_LOGIN_MAX_DELAY_SECONDS"] = 5
    app.config["KINDRED_LOGIN_LIMIT"] = "1000 per minute"
    member = users["member"]
    key = f"kindred-login-acct/{member.handle_key}"
    for _ in range(throttle.FREE_FAILURES + 6):
        limiter.storage.clear(key + "/lock")
        _login(client, member.handle, "wrong password!", "10.0.0.1")
    assert throttle.wait_seconds(member.handle_key, "10.0.0.1", False) <= 5


def test_success_forgets_failures(client, users, app):
    member = users["member"]
    for _ in range(throttle.FREE_FAILURES):
        _login(client, member.handle, "wrong password!", "10.0.0.1")
    assert _login(client, member.handle, PASSWORD, "10.0.0.1").status_code == 302
    client.post("/auth/logout")
    for _ in range(throttle.FREE_FAILURES):
        assert _login(client, member.handle, "wrong password!", "10.0.0.1").status_code == 400


def test_one_address_failing_does_not_lock_out_other_addresses(client, users, app):
    """Behind the README's nginx every client was 127.0.0.1 to the limiter:
    ten bad logins from anyone locked everyone out."""
    app.config["KINDRED_LOGIN_LIMIT"] = "10 per minute"
    for i in range(10):
        _login(client, f"nobody{i}", "wrong password!", "203.0.113.9")
    assert _login(client, "nobody-else", "wrong password!", "203.0.113.9").status_code == 429
    r = _login(client, users["member"].handle, PASSWORD, "198.51.100.7")
    assert r.status_code == 302


def test_unknown_names_wait_like_real_ones(client, users, app):
    """The wait must not reveal whether a name has an account."""
    app.config["KINDRED_LOGIN_LIMIT"] = "1000 per minute"
    for _ in range(throttle.FREE_FAILURES + 1):
        _login(client, "no such member", "wrong password!", "10.0.0.1")
    assert _login(client, "no such member", "wrong password!", "10.0.0.1").status_code == 429

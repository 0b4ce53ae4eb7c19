"""Sessions end: logout, password change and reset, role change, suspension and
"log out everywhere" end the other sessions AND their remember-me cookies.

An abusive partner who once had the member's phone may hold a copy of the
session cookie or the remember-me cookie; these tests play that copy back
from a second client after each event.
"""
from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select

from forum.auth import services as auth_services
from forum.auth import sessions
from forum.extensions import db
from forum.models import UserSession, utcnow
from forum.review import services as review_services
from tests.conftest import PASSWORD
from tests.review.helpers import post, review_for

NEW_PASSWORD = "a brand new passphrase"
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36"
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _request(client, method: str, url: str, **kwargs):
    g.pop("_login_user", None)  # the suite's shared app context caches the user on g
    response = client.open(url, method=method, **kwargs)
    g.pop("_login_user", None)
    return response


def logged_in(client) -> bool:
    response = _request(client, "GET", "/account/")
    return response.status_code == 200


def login(app, handle: str, *, remember: bool = False, user_agent: str = LAPTOP):
    client = app.test_client()
    data = {"handle": handle, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = _request(client, "POST", "/auth/login", data=data, headers={"User-Agent": user_agent})
    assert response.status_code == 302, response.data
    return client


def copy_of(app, client, *names: str):
    """A second browser holding copies of ``client``'s cookies (the partner's phone)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def test_password_change_ends_every_other_session_and_remember_cookie(app, users):
    member = users["member"]
    me = login(app, member.handle)
    phone = login(app, member.handle, remember=True, user_agent=PHONE)
    session_copy = copy_of(app, phone, "session")
    remember_copy = copy_of(app, phone, "remember_token")
    assert logged_in(session_copy) and logged_in(remember_copy)

    r = _request(me, "POST", "/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 302
    assert logged_in(me)  # the device that changed it stays in
    assert not logged_in(phone)
    assert not logged_in(session_copy)
    assert not logged_in(remember_copy)


def test_password_reset_ends_every_session(app, users):
    member = users["member"]
    phone = login(app, member.handle, remember=True, user_agent=PHONE)
    remember_copy = copy_of(app, phone, "remember_token")
    token = auth_services.password_reset_token(member)
    anyone = app.test_client()
    assert _request(anyone, "POST", f"/auth/reset/{token}", data={"new_password": NEW_PASSWORD}).status_code == 302
    assert not logged_in(phone) and not logged_in(remember_copy)


def test_logout_ends_copies_of_the_session_and_remember_cookies(app, users):
    phone = login(app, users["member"].handle, remember=True, user_agent=PHONE)
    copies = copy_of(app, phone, "session", "remember_token")
    assert logged_in(copies)
    assert _request(phone, "POST", "/auth/logout").status_code == 302
    assert not logged_in(phone)
    assert not logged_in(copies)
    assert not logged_in(copy_of(app, copies, "remember_token"))


def test_role_change_and_suspension_end_sessions(app, users):
    mod = login(app, users["moderator"].handle)
    auth_services.set_role(users["moderator"], "member", reason="stepping back")
    assert not logged_in(mod)

    member = users["member"]
    phone = login(app, member.handle)
    for u in users.values():
        u.resources_read_at = utcnow()
    db.session.commit()
    r = review_for(post(member))
    review_services.perform(r, "suspend", users["staff"], r.version, "Repeated abuse", days=7)
    assert not logged_in(phone)
    member.suspended_until = None  # the suspension is over: the old session still doesn't come back
    db.session.commit()
    assert not logged_in(phone)


def test_log_out_everywhere_lists_devices_and_ends_them_all(app, users):
    handle = users["member"].handle
    phone = login(app, handle, remember=True, user_agent=PHONE)
    laptop = login(app, handle, user_agent=LAPTOP)
    page = _request(laptop, "GET", "/account/").get_data(as_text=True)
    assert "Chrome on Android" in page and "Firefox on Linux" in page and "this device" in page
    assert "127.0.0.1" not in page  # no IP address is shown (or kept)

    r = _request(laptop, "POST", "/account/sessions/end-all")
    assert r.status_code == 302
    assert not logged_in(laptop) and not logged_in(phone)
    rows = db.session.scalars(select(UserSession)).all()
    assert rows and all(row.revoked_at is not None and row.revoked_reason == "everywhere" for row in rows)


def test_remember_me_token_rotates_on_use(app, users):
    phone = login(app, users["member"].handle, remember=True, user_agent=PHONE)
    old = copy_of(app, phone, "remember_token")
    stolen = copy_of(app, phone, "remember_token")
    # The member's browser comes back after its session cookie expired.
    returning = copy_of(app, phone, "remember_token")
    assert logged_in(returning)
    new_cookie = returning.get_cookie("remember_token")
    assert new_cookie is not None and new_cookie.value != old.get_cookie("remember_token").value
    assert logged_in(returning)
    assert logged_in(copy_of(app, returning, "remember_token"))
    # The copy taken before the rotation no longer logs anyone in.
    assert not logged_in(stolen)


def test_a_cookie_with_a_bare_user_id_is_refused(app, users):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(users["member"].id)  # the format every old cookie carried
    assert not logged_in(client)


@pytest.mark.parametrize("ua,label", [(PHONE, "Chrome on Android"), (LAPTOP, "Firefox on Linux"),
                                      ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
                                       "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
                                       "Safari on iPhone"),
                                      (None, "A browser")])
def test_device_labels(ua, label):
    assert sessions.device_label(ua) == label

"""Issue 14.8: a new handle may not pass for staff, a moderator, Kindred or a
helpline, nor look like an existing handle (NFKC, invisible characters
refused, Unicode TR39 confusables skeleton)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.errors import FieldErrors
from forum.auth import handles, services
from forum.extensions import db
from forum.models import User

FORM = {"password": "a long enough password", "age_confirmed": "y", "guidelines_accepted": "y", "health_consent": "y"}


@pytest.fixture()
def staff_and_moderator(app):
    services.create_user("Staff Sam", "a long enough password", "staff")
    services.create_user("Moderator Maya", "a long enough password", "moderator")
    services.create_user("willow", "a long enough password", "member")


def _register(client, handle: str):
    return client.post("/auth/register", data={**FORM, "handle": handle})


@pytest.mark.parametrize("handle", [
    "Staff Sam\u3164",                 # Hangul filler: renders as nothing
    "Staff Sam\u115f",                 # Hangul choseong filler
    "Staff\u200bSam",                  # zero-width space
    "Staff Sam\ufe0f",                 # variation selector
    "Wil\u00adlow",                    # soft hyphen
])
def test_invisible_characters_are_refused(client, staff_and_moderator, handle):
    r = _register(client, handle)
    assert r.status_code == 400
    assert b"invisible character" in r.data
    assert db.session.scalar(select(func.count()).select_from(User)) == 3


@pytest.mark.parametrize("handle", [
    "M\u043ederator Maya",             # Cyrillic о
    "\uff33\uff54\uff41\uff46\uff46 \uff33\uff41\uff4d",  # full-width "Staff Sam"
    "\U0001d412\U0001d42d\U0001d41a\U0001d41f\U0001d41f \U0001d412\U0001d41a\U0001d426",  # bold maths letters
    "staff_sam",
    "St\u0430ff.Sam",                  # Cyrillic а and a dot
    "wilIow",                          # capital I for l
    "wi1low",                          # digit one for l
    "WILLOW",
])
def test_lookalikes_of_staff_moderators_and_members_are_refused(client, staff_and_moderator, handle):
    r = _register(client, handle)
    assert r.status_code == 400, handle
    assert b"looks just like it" in r.data or b"already uses that name" in r.data or b"can&#39;t be used" in r.data
    assert db.session.scalar(select(func.count()).select_from(User)) == 3


@pytest.mark.parametrize("handle", [
    "Staff Jo", "Mоd Kim", "admin", "The Moderator", "KindredTeam", "K\u0456ndred helper",
    "Samaritans", "Samaritans Volunteer", "Shout", "Crisis Text Line", "official_helpline",
])
def test_reserved_words_and_helpline_names_are_refused(client, app, handle):
    r = _register(client, handle)
    assert r.status_code == 400, handle
    assert b"can&#39;t be used" in r.data
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("handle", ["Staffordshire lass", "badminton fan", "quiet_fox", "Zoë", "山田 花子"])
def test_ordinary_handles_still_work(client, staff_and_moderator, handle):
    r = client.post("/auth/register", data={**FORM, "handle": handle, "keep_handle": "y"})
    assert r.status_code == 302, handle


def test_handle_is_stored_nfkc_with_its_skeleton(client, app):
    assert _register(client, "\uff51uiet fox").status_code == 302  # full-width q
    user = db.session.scalar(select(User))
    assert user.handle == "quiet fox" and user.handle_skeleton == handles.skeleton("quiet fox")


def test_a_race_cannot_create_two_lookalikes(app):
    """The unique index on users.handle_skeleton holds even when the service
    check is passed by two sign-ups at once."""
    from sqlalchemy.exc import IntegrityError

    db.session.add(User(handle="river", handle_key="river", password_hash="x", role="member"))
    db.session.commit()
    db.session.add(User(handle="r\u0456ver", handle_key="r\u0456ver", password_hash="x", role="member"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_staff_can_still_be_created_with_a_role_word_but_not_twice(app, staff_and_moderator):
    with pytest.raises(FieldErrors):
        services.create_user("St\u0430ff Sam", "a long enough password", "staff")
    assert services.create_user("Staff Priya", "a long enough password", "staff").role == "staff"

"""Finding a member by handle, before and after they leave (issue 20).

A closed account's posts stay, shown as "Former member"; nothing may link
them back to the handle: not a search by member, not the member page, not
the staff subject-access search. An erased member's former handle finds
nothing at all. Once the quarantine is over and someone new takes the
handle, it finds only the newcomer."""
from __future__ import annotations

from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import base as clock
from forum.rights import erasure
from tests.conftest import make_user, post_topic
from tests.rights.conftest import HANDLE
from tests.rights.test_erasure import _after_grace, _request, _resolve

BY_HANDLE = f"/search/?q=Quokka&by={HANDLE}"


def _found(client, auth, users, viewer: str = "member2") -> dict[str, bool]:
    auth.logout()
    auth.login_as(users[viewer])
    search = client.get(BY_HANDLE).get_data(as_text=True)
    member_page = client.get(f"/boards/member/{HANDLE}").status_code
    auth.logout()
    auth.login_as(users["staff"])
    staff = client.get(f"/staff/privacy/requests?handle={HANDLE}").get_data(as_text=True)
    return {"search": "opening words" in search, "member page": member_page == 200,
            "staff search": "Open a request" in staff or f"{HANDLE}</" in staff}


def test_a_member_is_found_by_handle_while_they_are_here(client, auth, users, life):
    assert _found(client, auth, users) == {"search": True, "member page": True, "staff search": True}
    # Anonymous posts never match a search by member.
    auth.logout()
    auth.login_as(users["member2"])
    assert "Something hard" not in client.get(f"/search/?q=Quokka+anonymous&by={HANDLE}").get_data(as_text=True)
    assert "Something hard" in client.get("/search/?q=Quokka+anonymous").get_data(as_text=True)


@pytest.mark.parametrize("kind", ["close", "erase"])
def test_the_former_handle_finds_nothing(client, auth, users, life, board, monkeypatch, kind):
    _resolve(life["case"], users["staff"])
    _request(client, auth, users["member"], kind)
    later = _after_grace(monkeypatch)
    db.session.expire_all()
    assert _found(client, auth, users) == {"search": False, "member page": False, "staff search": False}
    auth.logout()
    auth.login_as(users["member2"])
    anywhere = client.get("/search/?q=Quokka+opening").get_data(as_text=True)
    # A closed account's posts stay findable by their words, as "Former member" only.
    assert (f'href="/boards/post/{life["own_post"]}"' in anywhere) == (kind == "close")
    assert HANDLE not in anywhere
    # After the quarantine someone new may take the handle; it finds only them.
    much_later = later + timedelta(days=client.application.config["KINDRED_HANDLE_QUARANTINE_DAYS"] + 1)
    monkeypatch.setattr(clock, "utcnow", lambda: much_later)
    assert erasure.release_handles() == 1
    newcomer = make_user(HANDLE)
    post_topic(newcomer, board, title="Hello", body="Quokka newcomer words.")
    page = client.get(BY_HANDLE).get_data(as_text=True)
    assert "newcomer words" in page and "opening words" not in page

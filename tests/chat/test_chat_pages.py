"""Chat pages: the room list, a room (no-JS message, guidelines), staff forms."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import g
from sqlalchemy import select

from forum.auth.sessions import login_id
from forum.chat import policy, services
from forum.extensions import db
from forum.models import AuditEvent, ChatRoom


def _login(client, user):
    g.pop("_login_user", None)  # the suite's shared app context caches the user on g
    with client.session_transaction() as sess:
        sess["_user_id"] = login_id(user)


def test_room_page_shows_guidelines_and_no_js_message(client, room, users):
    _login(client, users["member"])
    page = client.get(f"/chat/{room.slug}").get_data(as_text=True)
    assert "Be kind." in page and "Room guidelines" in page
    assert "<noscript>" in page and "Live chat needs JavaScript" in page and 'href="/boards/"' in page
    assert 'role="log"' in page and 'aria-live="polite"' in page
    assert "vendor/socket.io/socket.io.min.js" in page and "<script>" not in page


def test_members_room_is_not_readable_when_signed_out(client, room):
    res = client.get(f"/chat/{room.slug}")
    assert res.status_code == 403 and "log in" in res.get_data(as_text=True).lower()
    assert client.get(f"/chat/{room.slug}/messages").status_code == 403


def test_room_list(client, room, users):
    page = client.get("/chat/").get_data(as_text=True)
    assert room.name in page and "Members only" in page


def test_staff_create_room_with_hours_and_members_cannot(client, users):
    form = {"name": "Night owls", "slug": "night-owls", "description": "Late talk", "guidelines": "Be gentle",
            "board_id": "0", "access": "open", "min_approved_posts": "0", "tz": "Europe/London",
            "hours": "Daily 22:00-02:00"}
    _login(client, users["member"])
    assert client.post("/chat/rooms/new", data=form).status_code == 403
    _login(client, users["staff"])
    assert client.get("/chat/rooms/new").status_code == 200
    res = client.post("/chat/rooms/new", data=form)
    assert res.status_code == 302
    room = db.session.scalar(select(ChatRoom).where(ChatRoom.slug == "night-owls"))
    assert room.schedule == {"tz": "Europe/London", "windows": [{"days": list(range(7)), "start": "22:00",
                                                                  "end": "02:00"}]}
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target_id == room.id)) == "chat.room_create"
    edit = client.get("/chat/night-owls/edit").get_data(as_text=True)
    assert "Daily 22:00-02:00" in edit


def test_bad_hours_keep_the_form_and_explain(client, users):
    _login(client, users["staff"])
    res = client.post("/chat/rooms/new", data={"name": "X", "slug": "x", "access": "members", "board_id": "0",
                                               "tz": "Europe/London", "hours": "Someday 9-5",
                                               "description": "kept text"})
    page = res.get_data(as_text=True)
    assert res.status_code == 400 and "Line 1" in page and "kept text" in page


def test_schedule_windows_cross_midnight():
    room = ChatRoom(slug="r", name="r", schedule={"tz": "UTC", "windows": [{"days": [4], "start": "22:00",
                                                                             "end": "02:00"}]})
    friday_late = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)   # a Friday
    saturday_early = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    saturday_late = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert policy.is_open(room, friday_late) and policy.is_open(room, saturday_early)
    assert not policy.is_open(room, saturday_late)
    assert policy.parse_schedule("Mon-Wed,Fri 09:00-17:00", "UTC")["windows"][0]["days"] == [0, 1, 2, 4]


def test_seed_demo_rooms_is_repeatable(app, users):
    made = services.seed_demo_rooms(users["staff"])
    assert {r.slug for r in made} == {d.slug for d in services.DEMO_ROOMS}
    assert services.seed_demo_rooms(users["staff"]) == []

"""Numbers too large for the database give a 404 or a clear error, never a 500.

An id beyond what an INTEGER column holds used to reach the database,
which failed (SQLite: the value does not fit; PostgreSQL: out of range),
and the member saw a server error. Every ``<int:...>`` route, the numeric
query arguments, and every number in a chat event are covered.
"""
from __future__ import annotations

import re

import pytest

from forum.web import DB_INT_MAX
from tests.chat.conftest import app_config, connect, room  # noqa: F401  (chat fixtures)
from tests.chat.conftest import join, send
from tests.conftest import post_topic

HUGE = [str(DB_INT_MAX + 1), str(2**63), str(10**30), "9" * 5000]


def _int_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        routes.append((rule.rule, method))
    assert len(routes) >= 10, "expected the boards, review and staff id routes"
    return sorted(routes)


def _fill(rule: str, number: str) -> str:
    path = re.sub(r"<int:\w+>", number, rule)
    return re.sub(r"<(?:\w+:)?\w+>", "post", path)


@pytest.mark.parametrize("number", HUGE, ids=["2^31", "2^63", "10^30", "5000-digits"])
def test_every_int_route_answers_404(app, client, auth, users, number):
    auth.login_as(users["admin"])
    failures = []
    for rule, method in _int_routes(app):
        path = _fill(rule, number)
        status = client.open(path, method=method).status_code
        if status != 404:
            failures.append(f"{method} {rule}: {status}")
    assert not failures, "not 404: " + "; ".join(failures)


def test_in_range_ids_still_route(app, client, auth, users, board):
    posted = post_topic(users["member"], board)
    auth.login_as(users["member"])
    assert client.get(f"/boards/topic/{posted.topic.id}").status_code == 200
    assert client.get(f"/boards/topic/{DB_INT_MAX}").status_code == 404  # routed, just not there


@pytest.mark.parametrize("number", HUGE[1:], ids=["2^63", "10^30", "5000-digits"])
def test_numeric_query_arguments_are_ignored_or_refused(app, client, auth, users, board, room, number):
    posted = post_topic(users["member"], board)
    auth.login_as(users["member"])
    topic = posted.topic.id
    assert client.get(f"/boards/general/?page={number}").status_code == 200
    assert client.get(f"/boards/topic/{topic}?posted={number}&quote={number}&page={number}").status_code == 200
    assert client.get(f"/account/?page={number}").status_code == 200
    reply = client.post(f"/boards/topic/{topic}/reply", data={"body": "Thank you.", "reply_to": str(number)})
    assert reply.status_code == 302
    for arg in ("before", "after", "limit"):
        r = client.get(f"/chat/{room.slug}/messages?{arg}={number}")
        assert r.status_code == 400 and r.json["error"] == "bad_request", arg
    auth.logout()
    auth.login_as(users["moderator"])
    assert client.get(f"/review/?board={number}").status_code in (200, 302)


def _events(room_id: int, msg_id: int, bad) -> list[tuple[str, dict, str]]:
    return [
        ("join", {"room": bad}, "room"),
        ("join", {"room": room_id, "after": bad}, "after"),
        ("join", {"room": room_id, "shown": [msg_id, bad]}, "shown"),
        ("history", {"room": bad}, "room"),
        ("history", {"room": room_id, "before": bad}, "before"),
        ("history", {"room": room_id, "after": bad}, "after"),
        ("leave", {"room": bad}, "room"),
        ("typing", {"room": bad}, "room"),
        ("send", {"room": bad, "client_id": "oversized-1", "text": "hello"}, "room"),
        ("send", {"room": room_id, "client_id": "oversized-2", "text": "hello", "reply_to": bad}, "reply_to"),
        ("support", {"id": bad}, "id"),
        ("hide", {"id": bad}, "id"),
        ("mute", {"id": bad, "minutes": 5}, "id"),
        ("mute", {"id": msg_id, "minutes": bad}, "minutes"),
        ("slow", {"room": bad, "seconds": 5}, "room"),
        ("slow", {"room": room_id, "seconds": bad}, "seconds"),
        ("lock", {"room": bad, "locked": True}, "room"),
        ("pin", {"room": bad, "id": msg_id}, "room"),
        ("pin", {"room": room_id, "id": bad}, "id"),
    ]


@pytest.mark.parametrize("bad", [2**63, 10**30, "9" * 5000, "99999999999", -1],
                         ids=["2^63", "10^30", "5000-digit-string", "11-digit-string", "negative"])
def test_every_chat_event_refuses_out_of_range_numbers_clearly(room, users, connect, bad):
    mod = connect(users["moderator"])
    assert join(mod, room)["ok"]
    msg_id = send(mod, room, "Welcome, everyone.")["message"]["id"]
    failures = []
    for event, data, field in _events(room.id, msg_id, bad):
        ack = mod.emit(event, data, namespace="/chat", callback=True)
        if not (ack.get("error") == "bad_request" and ack.get("field") == field and "out of range" in ack["message"]):
            failures.append(f"{event} {field}: {ack}")
    assert not failures, "\n".join(failures)
    assert send(mod, room, "Still here.")["ok"]

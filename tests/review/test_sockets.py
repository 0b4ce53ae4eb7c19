"""Live events on /mod and /staff with the Flask-SocketIO test client."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db, socketio
from forum.models import Presence
from forum.review import services
from tests.review.helpers import post, review_for, verdict


@pytest.fixture(scope="session")
def app_config(app_config):
    # Flask-SocketIO's test client cannot run over a message queue; the Redis
    # path is covered by test_live_socketio.py against a real server process.
    return {**app_config, "REDIS_URL": None}


def connect(app, client, namespace, **kw):
    return socketio.test_client(app, namespace=namespace, flask_test_client=client, **kw)


def events(sio, namespace, name):
    return [e["args"][0] for e in sio.get_received(namespace) if e["name"] == name]


def test_anonymous_and_members_are_refused(app, client, auth, users):
    assert not connect(app, client, "/mod").is_connected("/mod")
    auth.login_as(users["member"])
    assert not connect(app, client, "/mod").is_connected("/mod")
    assert not connect(app, client, "/staff").is_connected("/staff")


def test_foreign_origin_is_refused(app, client, auth, users):
    auth.login_as(users["moderator"])
    sio = connect(app, client, "/mod", headers={"Origin": "https://evil.example"})
    assert not sio.is_connected("/mod")


def test_moderator_gets_new_items_counters_and_claims_live(app, client, auth, users):
    auth.login_as(users["moderator"])
    sio = connect(app, client, "/mod", headers={"Origin": "http://localhost"})
    assert sio.is_connected("/mod")
    assert events(sio, "/mod", "counters")[0]["pending"] == 0
    # Presence is shared through the database: out-of-hours mode ends.
    assert db.session.scalar(select(func.count()).select_from(Presence)) == 1
    assert services.moderators_online() == 1
    assert not services.effective_action(verdict("publish_flagged", "high"), kind="post") == "hold"

    p = post(users["member"], verdict("hold", "imminent"))
    received = sio.get_received("/mod")
    names = [e["name"] for e in received]
    assert "item" in names and "imminent" in names
    item = next(e["args"][0] for e in received if e["name"] == "item")
    r = review_for(p)
    assert item["id"] == r.id and item["risk"] == "imminent" and item["new"] is True
    assert "kill" not in str(item)  # no member text over the socket
    counters = [e["args"][0] for e in received if e["name"] == "counters"][-1]
    # The imminent item opened a crisis case, so it counts as with staff.
    assert counters["escalated"] == 1 and counters["pending"] == 0
    assert counters["imminent"] == 1 and counters["open_cases"] == 1

    services.claim(r, users["moderator"], r.version)
    claim = events(sio, "/mod", "item")[-1]
    assert claim["claimed_by"] == users["moderator"].handle

    ack = sio.emit("heartbeat", namespace="/mod", callback=True)
    assert ack["escalated"] == 1
    sio.disconnect(namespace="/mod")
    assert services.moderators_online() == 0


def test_staff_get_new_cases(app, client, auth, users):
    auth.login_as(users["staff"])
    sio = connect(app, client, "/staff")
    assert sio.is_connected("/staff")
    post(users["member"], verdict("hold", "imminent"))
    cases = events(sio, "/staff", "case")
    assert cases and cases[0]["new"] and cases[0]["risk"] == "imminent"


def test_rolled_back_changes_emit_nothing(app, client, auth, users):
    auth.login_as(users["moderator"])
    sio = connect(app, client, "/mod")
    sio.get_received("/mod")
    post(users["member"], verdict("publish", "none", ()), enqueue=False)
    p = post(users["member"], verdict("publish", "none", ()), enqueue=False)
    services.flag("post", p, users["member2"], "spam")
    db.session.rollback()
    assert events(sio, "/mod", "item") == []


def test_sync_returns_open_rows_newer_than_the_page_that_it_does_not_show(app, client, auth, users):
    auth.login_as(users["moderator"])
    mod = connect(app, client, "/mod", headers={"Origin": "http://localhost"})
    after = services.latest_review_id()
    first = review_for(post(users["member"], verdict("hold", "imminent")))
    second = review_for(post(users["member"], verdict("publish_flagged", "high")))
    res = mod.emit("sync", {"after": after, "shown": [first.id]}, namespace="/mod", callback=True)
    assert res["ok"] and [i["id"] for i in res["items"]] == [second.id]
    assert "kill" not in str(res)  # no member text over the socket
    assert mod.emit("sync", {"after": "x"}, namespace="/mod", callback=True) == {"ok": False, "error": "bad_after"}



def test_staff_sync_returns_unresolved_cases_the_page_does_not_show(app, client, auth, users):
    auth.login_as(users["staff"])
    staff = connect(app, client, "/staff")
    assert staff.is_connected("/staff")
    post(users["member"], verdict("hold", "imminent"))
    res = staff.emit("sync", {"after": 0, "shown": []}, namespace="/staff", callback=True)
    assert res["ok"] and len(res["cases"]) == 1 and res["cases"][0]["risk"] == "imminent"
    res = staff.emit("sync", {"after": 0, "shown": [res["cases"][0]["id"]]}, namespace="/staff", callback=True)
    assert res == {"ok": True, "cases": []}

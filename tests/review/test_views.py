"""Review pages over HTTP: onboarding, queue, item actions (incl. 409), flags."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AuditEvent, Flag, utcnow
from tests.review.helpers import post, review_for, verdict


@pytest.fixture()
def mod_client(client, auth, users):
    users["moderator"].resources_read_at = utcnow()
    db.session.commit()
    auth.login_as(users["moderator"])
    return client


def test_queue_needs_moderator(client, auth, users):
    assert client.get("/review/").status_code == 302  # to login
    auth.login_as(users["member"])
    assert client.get("/review/").status_code == 403


def test_onboarding_prompt_before_queue(client, auth, users):
    auth.login_as(users["moderator"])
    resp = client.get("/review/")
    assert resp.status_code == 302 and "/review/resources" in resp.headers["Location"]
    page = client.get("/review/resources").get_data(as_text=True)
    assert "Response templates" in page and "I've read this" in page
    client.post("/review/resources", data={"next": "/review/"})
    assert users["moderator"].resources_read_at is not None
    assert client.get("/review/").status_code == 200


def test_queue_and_item_show_reasons_with_escaped_highlight(mod_client, users):
    text = "<script>x</script> I want to kill myself tonight"
    p = post(users["member"], verdict("publish_flagged", "high", text=text))
    r = review_for(p)
    page = mod_client.get("/review/").get_data(as_text=True)
    assert f"Item #{r.id}" in page and "<details class=\"sensitive\">" in page
    item = mod_client.get(f"/review/{r.id}").get_data(as_text=True)
    assert "<mark title=\"self_harm\">kill myself</mark>" in item
    assert "&lt;script&gt;x&lt;/script&gt;" in item and "<script>x</script>" not in item


def test_anonymous_author_hidden_from_moderators(mod_client, users):
    r = review_for(post(users["member"], anonymous=True))
    page = mod_client.get(f"/review/{r.id}").get_data(as_text=True)
    assert "Anonymous member" in page and users["member"].handle not in page
    assert "Anonymous member's history hidden" in page


def test_act_and_stale_version_is_409(mod_client, users):
    p = post(users["member"], verdict("hold", "concern"))
    r = review_for(p)
    v = r.version
    resp = mod_client.post(f"/review/{r.id}/act", data={"action": "approve", "version": v})
    assert resp.status_code == 302
    resp = mod_client.post(f"/review/{r.id}/act", data={"action": "reject", "version": v})
    assert resp.status_code == 409
    assert "Someone else has just changed this item" in resp.get_data(as_text=True)


def test_claim_and_staff_only_action_is_403(mod_client, users):
    r = review_for(post(users["member"]))
    assert mod_client.post(f"/review/{r.id}/claim", data={"version": r.version}).status_code == 302
    db.session.refresh(r)
    assert r.claimed_by_id == users["moderator"].id
    resp = mod_client.post(f"/review/{r.id}/act", data={"action": "suspend", "version": r.version,
                                                        "note": "x", "days": 3})
    assert resp.status_code == 403


def test_invalid_input_keeps_the_moderators_text(mod_client, users):
    r = review_for(post(users["member"]))
    resp = mod_client.post(f"/review/{r.id}/act", data={"action": "edit", "version": r.version,
                                                        "text": "My careful rewrite", "note": ""})
    assert resp.status_code == 400
    assert "My careful rewrite" in resp.get_data(as_text=True)


def test_member_flag_form(client, auth, users):
    p = post(users["member"], verdict("publish", "none", ()), enqueue=False)
    auth.login_as(users["member2"])
    page = client.get(f"/review/flag/post/{p.id}").get_data(as_text=True)
    assert "worried about this person" in page
    resp = client.post(f"/review/flag/post/{p.id}", data={"reason": "other", "details": ""})
    assert resp.status_code == 400
    resp = client.post(f"/review/flag/post/{p.id}", data={"reason": "worried"})
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1
    assert client.get("/review/flag/post/999999").status_code == 404


def test_reporter_never_shown_to_reported_member(client, auth, users):
    p = post(users["member"], verdict("publish", "none", ()), enqueue=False)
    auth.login_as(users["member2"])
    client.post(f"/review/flag/post/{p.id}", data={"reason": "unkind"})
    auth.logout()
    auth.login_as(users["member"])
    for url in ("/account/notices", f"/boards/post/{p.id}"):
        resp = client.get(url, follow_redirects=True)
        assert users["member2"].handle not in resp.get_data(as_text=True)


def test_member_sees_notice_and_badge(client, auth, users):
    from forum.review import services

    users["moderator"].resources_read_at = utcnow()
    r = review_for(post(users["member"]))
    services.perform(r, "message", users["moderator"], r.version, message="Thinking of you tonight.")
    auth.login_as(users["member"])
    home = client.get("/").get_data(as_text=True)
    assert "Messages" in home and "badge-count" in home
    page = client.get("/account/notices").get_data(as_text=True)
    assert "Thinking of you tonight." in page and users["moderator"].handle not in page


def test_out_of_hours_banner(client, users):
    from moderation import signposting

    page = client.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert "moderators are away" in page
    first = signposting.helplines("UK")[0]
    assert first.name in page.replace("&#39;", "'").replace("&amp;", "&")
    # With a moderator connected (fresh presence row) the banner goes.
    from forum.models import Presence

    db.session.add(Presence(sid="s1", user_id=users["moderator"].id, namespace="/mod"))
    db.session.commit()
    assert "moderators are away" not in client.get("/").get_data(as_text=True)


def test_debrief_and_new_shift(mod_client, users):
    resp = mod_client.post("/review/debrief", data={"note": "That one stayed with me"})
    assert resp.status_code == 302
    assert db.session.scalar(select(AuditEvent.action)) == "debrief.requested"
    assert mod_client.post("/review/shift").status_code == 302


def test_flagging_a_chat_message_returns_to_its_room(client, auth, users):
    from forum.chat import services as chat

    room = chat.create_room(users["staff"], chat.RoomInput(
        name="Flag room", slug="flag-room", description="d", guidelines="g", access="members"))
    sent = chat.send_message(users["member"], chat.SendMessage(room.id, "flag-test-0001", "Hello everyone"))
    db.session.commit()
    auth.login_as(users["member2"])
    resp = client.post(f"/review/flag/chat_message/{sent.message.id}", data={"reason": "unkind"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/chat/flag-room")


def test_staff_see_the_reporters_handle_and_moderators_do_not(client, auth, users):
    p = post(users["member"], verdict("publish", "none", ()), enqueue=False)
    auth.login_as(users["member2"])
    client.post(f"/review/flag/post/{p.id}", data={"reason": "unkind"})
    review = review_for(p)
    for role, shown in (("moderator", False), ("staff", True)):
        users[role].resources_read_at = utcnow()
        db.session.commit()
        auth.logout()
        auth.login_as(users[role])
        page = client.get(f"/review/{review.id}").get_data(as_text=True)
        assert (f"by {users['member2'].handle}" in page) is shown, role

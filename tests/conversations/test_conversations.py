"""Issue 17 item 3: private support conversations between a member and the
moderation team (services and views, on the real database).

Verdicts are fixed where a test is about routing (tests.review.helpers);
the crisis test goes through the real moderation pipeline.
"""
from __future__ import annotations

import pytest

from tests.review.conftest import smtp  # noqa: F401 - fixture
from sqlalchemy import select

from forum.conversations import services
from forum.extensions import db
from forum.models import AuditEvent, Escalation, Outbox, Review, SupportConversation, SupportMessage, utcnow
from tests.review.helpers import post, review_for, verdict

CLEAN = "Thank you for checking on me, I'm doing a little better today."


def fixed(v):
    return lambda text, region=None: v


def clean(text: str = CLEAN):
    return fixed(verdict("publish", "none", categories=(), text=text))


@pytest.fixture()
def team(users):
    for role in ("moderator", "staff", "admin"):
        users[role].resources_read_at = utcnow()
    db.session.commit()
    return users


@pytest.fixture()
def item(team):
    """A named member's high-risk post in the queue."""
    return review_for(post(team["member"], verdict("publish_flagged", "high")))


def _open_and_write(users, review, text="Hi, we read your post and wanted to check in. How are you doing?"):
    conv = services.open_from_review(users["moderator"], review)
    services.send(conv, users["moderator"], text, screen=clean(text))
    return conv


def test_moderator_opens_from_review_item_and_the_member_sees_a_badge(client, auth, team, item):
    conv = _open_and_write(team, item)
    assert conv.review_id == item.id and conv.member_id == team["member"].id
    assert services.unread_for_member(team["member"]) == 1
    auth.login_as(team["member"])
    home = client.get("/boards/").get_data(as_text=True)
    assert 'class="notice-badge"' in home and 'href="/conversations/"' in home
    page = client.get(f"/conversations/{conv.id}").get_data(as_text=True)
    assert "wanted to check in" in page and "Moderation team" in page
    assert team["moderator"].handle not in page  # the member never learns which moderator wrote
    assert services.unread_for_member(team["member"]) == 0
    # Opening again (another moderator, the same item) returns to the same conversation.
    assert services.open_from_review(team["staff"], item).id == conv.id


def test_member_replies_without_javascript_and_the_team_sees_it(client, auth, team, item):
    conv = _open_and_write(team, item)
    auth.login_as(team["member"])
    r = client.post(f"/conversations/{conv.id}/reply", data={"message": CLEAN, "submission_key": "k1"})
    assert r.status_code == 302 and f"/conversations/{conv.id}?sent=" in r.headers["Location"]
    client.post(f"/conversations/{conv.id}/reply", data={"message": CLEAN, "submission_key": "k1"})  # resubmitted
    assert db.session.scalar(select(db.func.count()).select_from(SupportMessage)
                             .where(SupportMessage.from_team.is_(False))) == 1
    assert services.waiting_for_team() == 1
    auth.logout()
    auth.login_as(team["moderator"])
    assert "1 waiting for a reply" in client.get("/review/").get_data(as_text=True)
    page = client.get(f"/conversations/team/{conv.id}").get_data(as_text=True)
    assert CLEAN in page and team["member"].handle in page
    assert services.waiting_for_team() == 0


def test_a_rejected_reply_comes_back_with_the_text(client, auth, team, item, app):
    conv = _open_and_write(team, item)
    auth.login_as(team["member"])
    long_text = "word " * (app.config["KINDRED_MAX_POST_CHARS"] // 5 + 10)
    r = client.post(f"/conversations/{conv.id}/reply", data={"message": long_text})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "the limit is" in body and long_text.strip()[:200] in body


def test_a_crisis_message_in_a_conversation_is_treated_like_any_crisis_text(client, auth, team, item):
    """The real pipeline: a review item, a crisis case, and the signposting panel first."""
    conv = _open_and_write(team, item)
    auth.login_as(team["member"])
    text = "I want to kill myself tonight. I can't do this any more."
    r = client.post(f"/conversations/{conv.id}/reply", data={"message": text}, follow_redirects=False)
    assert r.headers["Location"].endswith("#signposting")
    msg = db.session.scalar(select(SupportMessage).where(SupportMessage.from_team.is_(False)))
    assert msg.verdict_risk == "imminent"
    review = db.session.scalar(select(Review).where(Review.target_type == "support_message",
                                                    Review.target_id == msg.id))
    assert review is not None and review.risk == "imminent"
    assert db.session.scalar(select(Escalation).where(Escalation.review_id == review.id)) is not None
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="signposting"' in page and "alerted now" in page
    # The moderators' item page links back to the whole conversation.
    auth.logout()
    auth.login_as(team["moderator"])
    assert f"/conversations/team/{conv.id}" in client.get(f"/review/{review.id}").get_data(as_text=True)


def test_a_team_message_screening_holds_waits_for_a_second_moderator(client, auth, team, item):
    conv = services.open_from_review(team["moderator"], item)
    rude = verdict("hold", "none", categories=("insult",), text="Some unkind words.")
    services.send(conv, team["moderator"], "Some unkind words.", screen=fixed(rude))
    assert services.unread_for_member(team["member"]) == 0
    auth.login_as(team["member"])
    assert "Some unkind words" not in client.get(f"/conversations/{conv.id}").get_data(as_text=True)
    msg = db.session.scalar(select(SupportMessage))
    review = db.session.scalar(select(Review).where(Review.target_type == "support_message"))
    from forum.review import services as review_services

    review_services.perform(review, "approve", team["staff"], review.version)
    assert db.session.get(SupportMessage, msg.id).status == "visible"
    assert services.unread_for_member(team["member"]) == 1


def test_team_safety_questions_are_not_held_or_opened_as_a_case(team, item):
    conv = services.open_from_review(team["moderator"], item)
    text = "Are you thinking about suicide right now?"
    sent = services.send(conv, team["moderator"], text,
                         screen=fixed(verdict("hold", "high", categories=("crisis.ideation",), text=text)))
    assert sent.message.status == "visible"
    assert db.session.scalar(select(db.func.count()).select_from(Escalation)) == 0


def test_opened_from_a_case_and_shown_in_the_case_page_slot(client, auth, team):
    case_item = review_for(post(team["member"], verdict("hold", "imminent")))
    case = db.session.scalar(select(Escalation).where(Escalation.review_id == case_item.id))
    auth.login_as(team["staff"])
    page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "Start a private conversation with the member" in page
    r = client.post("/conversations/open", data={"case": case.id})
    conv = db.session.scalar(select(SupportConversation))
    assert r.status_code == 302 and conv.escalation_id == case.id and conv.review_id == case_item.id
    r = client.post(f"/conversations/team/{conv.id}/reply",
                    data={"message": CLEAN, "back": f"/staff/cases/{case.id}"})
    assert r.headers["Location"].endswith(f"/staff/cases/{case.id}#conv-h")
    page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert CLEAN in page and "Send to the member" in page
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"conversation.opened", "conversation.message"} <= actions


def test_anonymous_item_conversation_never_names_the_account(client, auth, team):
    anon_item = review_for(post(team["member"], verdict("publish_flagged", "high"), anonymous=True))
    conv = _open_and_write(team, anon_item)
    assert conv.is_anonymous
    services.send(conv, team["member"], CLEAN, screen=clean())
    assert db.session.scalar(select(SupportMessage).where(SupportMessage.from_team.is_(False))).is_anonymous
    for viewer in ("moderator", "staff"):
        auth.logout()
        auth.login_as(team[viewer])
        for url in (f"/conversations/team/{conv.id}", "/conversations/team/", f"/review/{anon_item.id}"):
            body = client.get(url).get_data(as_text=True)
            assert team["member"].handle not in body, (viewer, url)
            assert f"/staff/members/{team['member'].id}/" not in body
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("conversation.%"))):
        assert event.actor_id != team["member"].id
        assert not {"member_id", "user_id", "member"} & set(event.data or {}), event.data


def test_member_starts_a_conversation_talk_to_a_moderator(client, auth, team):
    auth.login_as(team["member"])
    page = client.get("/conversations/new").get_data(as_text=True)
    assert "Talk to a moderator" in page
    r = client.post("/conversations/new", data={"message": ""})
    assert r.status_code == 400 and "Please write a message" in r.get_data(as_text=True)
    r = client.post("/conversations/new", data={"message": CLEAN, "anonymous": "1"})
    conv = db.session.scalar(select(SupportConversation))
    assert r.status_code == 302 and conv.opened_by_id is None and conv.is_anonymous
    auth.logout()
    auth.login_as(team["moderator"])
    listing = client.get("/conversations/team/").get_data(as_text=True)
    assert "Anonymous member" in listing and "Started by the member" in listing
    assert team["member"].handle not in listing


def test_staff_join_and_it_is_audited(client, auth, team, item):
    conv = _open_and_write(team, item)
    auth.login_as(team["staff"])
    assert "Join this conversation" in client.get(f"/conversations/team/{conv.id}").get_data(as_text=True)
    client.post(f"/conversations/team/{conv.id}/join")
    assert {p.user_id for p in services.participants(conv)} == {team["moderator"].id, team["staff"].id}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "conversation.joined")).actor_id \
        == team["staff"].id


def test_only_the_member_and_the_team_can_read_it(client, auth, team, item):
    conv = _open_and_write(team, item)
    auth.login_as(team["member2"])
    assert client.get(f"/conversations/{conv.id}").status_code == 404
    assert client.post(f"/conversations/{conv.id}/reply", data={"message": "hi"}).status_code == 404
    assert client.get(f"/conversations/team/{conv.id}").status_code == 403
    auth.logout()
    auth.login_as(team["moderator"])
    assert client.get(f"/conversations/{conv.id}").status_code == 404  # the member's own page


def test_email_says_the_team_wrote_never_what(app, team, item, smtp):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
    member = team["member"]
    member.email, member.email_team_messages = "member@example.org", True
    db.session.commit()
    secret = "Hi, we read your post and wanted to check in."
    _open_and_write(team, item, secret)
    row = db.session.scalar(select(Outbox).where(Outbox.kind == "conversation.email"))
    assert row is not None and secret not in str(row.payload)
    assert row.processed_at is not None  # relayed in immediate mode
    assert len(smtp.messages) == 1
    assert "The moderation team has written to you." in smtp.messages[0] and secret not in smtp.messages[0]


def test_no_email_without_the_members_choice(team, item):
    team["member"].email = "member@example.org"
    db.session.commit()
    _open_and_write(team, item)
    assert db.session.scalar(select(Outbox).where(Outbox.kind == "conversation.email")) is None


def test_export_for_member_is_the_members_view(team, item):
    conv = _open_and_write(team, item, "We're here if you want to talk.")
    services.send(conv, team["member"], CLEAN, screen=clean())
    (exported,) = services.export_for_member(team["member"])
    assert [m["from"] for m in exported["messages"]] == ["Moderation team", "You"]
    assert exported["started_by"] == "the moderation team"
    assert team["moderator"].handle not in str(exported)

"""Members who joined before registration asked for health-data consent are
asked at their next login (issue 20, part 5): explicit, linked to the notice,
recorded with its time; until they say yes they can read and reach helplines
but not post; a "no" is recorded and leads to closing or erasing."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_migrate import upgrade
from sqlalchemy import select, text

from forum import create_app
from forum.chat import policy as chat_policy
from forum.conversations import services as conversations
from forum.extensions import db
from forum.models import AuditEvent, User
from forum.models import base as clock
from tests.conftest import PASSWORD, config_class, make_user, post_topic
from tests.test_migrations import empty_database_url  # noqa: F401 - fixture

REPLY = "Quokka words I typed before answering"


def _earlier_member() -> User:
    return make_user("EarlyMember", health_consent_at=None)


def test_login_asks_first_and_keeps_where_they_were_going(client, auth, app, board):
    member = _earlier_member()
    r = auth.login("EarlyMember")
    assert r.status_code == 302 and r.headers["Location"].startswith("/account/consent?next=")
    auth.logout()
    r = client.post("/auth/login?next=/help", data={"handle": member.handle, "password": PASSWORD})
    assert r.headers["Location"] == "/account/consent?next=/help"
    # The question is explicit and links to the notice.
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/help"' in page
    assert "Do you agree that Kindred may process what you share about your health" in page
    assert 'href="/privacy"' in page and 'href="/help"' in page
    assert "Yes, I agree" in page and "No, I don't agree" in page


def test_until_they_answer_they_read_and_reach_help_but_do_not_post(client, auth, app, board):
    member = _earlier_member()
    topic = post_topic(make_user("OtherMember2"), board, title="Evenings", body="How are your evenings?").topic
    auth.login_as(member)
    for path in (f"/boards/topic/{topic.id}", "/help", "/boards/", "/privacy"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "Answer now" in r.get_data(as_text=True), path
    r = client.post(f"/boards/topic/{topic.id}/reply", data={"body": REPLY})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Before you can post" in page and REPLY in page  # their text comes back


def test_chat_refuses_with_the_same_words(app, users):
    member = make_user("EarlyChatter", health_consent_at=None)
    from forum.chat import services as chat

    room = chat.create_room(users["staff"], chat.RoomInput(name="Evening check-in", slug="evening", access="members"))
    code, message = chat_policy.write_denial(room, member, clock.utcnow())
    assert code == "consent" and "Before you can post" in message
    member.health_consent_at = clock.utcnow()
    assert chat_policy.write_denial(room, member, clock.utcnow()) is None


def test_yes_is_recorded_with_its_time_and_posting_opens(client, auth, app, board):
    member = _earlier_member()
    auth.login_as(member)
    before = clock.utcnow()
    r = client.post("/account/consent", data={"answer": "yes", "next": "/boards/"})
    assert r.status_code == 302 and r.headers["Location"] == "/boards/"
    db.session.refresh(member)
    assert member.health_consent_at is not None and member.health_consent_at >= before.replace(microsecond=0)
    assert not member.needs_health_consent
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.health_given",
                                                      AuditEvent.target_id == member.id)) is not None
    assert "Answer now" not in client.get("/boards/").get_data(as_text=True)
    r = client.post(f"/boards/{board.slug}/new", data={"title": "Back again", "body": "Glad to be back here."})
    assert r.status_code == 302


def test_no_is_recorded_and_offers_closing_or_erasing(client, auth, app, board):
    member = _earlier_member()
    auth.login_as(member)
    r = client.post("/account/consent", data={"answer": "no", "next": "/boards/"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    db.session.refresh(member)
    assert member.health_consent_declined_at is not None and member.health_consent_at is None
    assert "You said no" in page and "Close your account" in page and "#close-title" in page
    assert "Download your data" in page and 'href="/help"' in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.health_declined")) is not None
    r = client.post(f"/boards/{board.slug}/new", data={"title": "Hello", "body": "Trying to post."})
    assert r.status_code == 400 and "Trying to post." in r.get_data(as_text=True)
    # They can still change their answer.
    client.post("/account/consent", data={"answer": "yes"})
    db.session.refresh(member)
    assert member.health_consent_at is not None and member.health_consent_declined_at is None


def test_no_answer_is_a_clear_error(client, auth, app):
    auth.login_as(_earlier_member())
    r = client.post("/account/consent", data={"next": "/boards/"})
    assert r.status_code == 400 and "Please choose one of the two answers" in r.get_data(as_text=True)


def test_a_member_who_has_not_answered_can_still_reach_the_team(app):
    """Private conversations with the moderation team stay open: a member
    must be able to reply to a moderator checking on their safety."""
    member = _earlier_member()
    sent = conversations.start_by_member(member, "I'm not sure how to answer that question, can someone help?")
    assert sent.message.id is not None


def test_members_from_before_consent_existed_are_asked_after_the_migration(empty_database_url, app_config):  # noqa: F811
    """A database from before the consent column: its members come through the
    upgrade with no consent assumed, and are asked."""
    app = create_app(config_class(app_config, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade(revision="5e0b7c4d2a91")  # the schema before health-data consent existed
        now = datetime(2026, 11, 1, tzinfo=timezone.utc).isoformat()
        db.session.execute(text(
            "INSERT INTO users (handle, handle_key, handle_skeleton, password_hash, role, created_at, "
            "age_confirmed_at, guidelines_accepted_at, approved_post_count, is_deactivated) "
            "VALUES ('OldTimer', 'oldtimer', 'oldtimer', 'x', 'member', :now, :now, :now, 3, :no)"),
            {"now": now, "no": False})
        db.session.commit()
        upgrade()
        db.session.remove()
        old = db.session.scalar(select(User).where(User.handle_key == "oldtimer"))
        assert old.health_consent_at is None and old.health_consent_declined_at is None
        assert old.needs_health_consent and old.approved_post_count == 3
        db.session.remove()
        db.engine.dispose()

"""Closing and erasing an account: grace period, "nothing remains", quotes,
safeguarding holds, handle quarantine.

The "nothing remains" test renders every page the anonymity matrix renders
(every parameter-free GET page of every area, plus the member's former
topic, post, revision, profile, review and case pages) as each role, and
the chat history payload, the audit CSV and the member-notices page, and
looks for the member's handle, email and every text they wrote.
"""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from forum import outbox
from forum.chat import payloads
from forum.chat import services as chat
from forum.extensions import db
from forum.models import (AccountClosure, AuditEvent, ChatMessage, DataExport, Escalation, Flag,
                          MemberNotice, Notification, Post, PostRevision, PostSupport, Topic, User, UserSession)
from forum.models import SupportConversation, SupportMessage
from forum.models import base as clock
from forum.review import services as review
from forum.rights import erasure
from tests.conftest import PASSWORD
from tests.rights.conftest import EMAIL, HANDLE, THEIR_WORDS
ROLES = [None, "member2", "moderator", "staff", "admin"]


def _resolve(case_id: int, staff: User, follow_up=None) -> None:
    case = db.session.get(Escalation, case_id)
    review.update_case(case, "resolve", staff, case.version, outcome="Spoke with them; safe now.",
                       follow_up_at=follow_up)
    db.session.commit()


def _request(client, auth, user, kind: str):
    auth.login_as(user)
    r = client.post("/account/deactivate", data={"kind": kind, "password": PASSWORD})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_data(as_text=True)


def _after_grace(monkeypatch, days: int = 15):
    later = clock.utcnow() + timedelta(days=days)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    outbox.relay()  # the row written with the request is due now
    return later


def _pages(app, ids) -> list[str]:
    from tests.test_anonymity import _pages as every_page

    pages = every_page(app, {"topic": ids["own_topic"], "reply": ids["mine"], "post": ids["own_post"],
                             "room": "evening", "conversation": ids["conversation"]})
    pages += [f"/boards/topic/{ids['own_topic']}", f"/boards/topic/{ids['their_topic']}",
              f"/boards/post/{ids['mine']}", f"/boards/post/{ids['mine']}/revisions",
              f"/boards/post/{ids['anon']}", f"/boards/post/{ids['crisis']}", f"/staff/cases/{ids['case']}",
              "/staff/audit.csv", "/chat/evening/messages", "/account/notices", "/notifications/",
              "/search/?q=Quokka", "/search/?q=walk+evening",
              f"/conversations/{ids['conversation']}", f"/conversations/team/{ids['conversation']}"]
    return pages


def _assert_nothing_remains(client, auth, users, app, ids, viewer) -> int:
    auth.logout()
    if viewer:
        auth.login_as(users[viewer])
    seen = 0
    for url in _pages(app, ids):
        r = client.get(url)
        if r.status_code != 200:
            continue
        seen += 1
        body = r.get_data(as_text=True)
        assert HANDLE.casefold() not in body.casefold(), f"{url} still names the member to {viewer}"
        assert EMAIL not in body, f"{url} shows the member's email to {viewer}"
        for words in THEIR_WORDS:
            assert words not in body, f"{url} still shows {words!r} to {viewer}"
    return seen


def test_erase_leaves_nothing_of_the_member(client, auth, users, life, app, monkeypatch):
    member = users["member"]
    _resolve(life["case"], users["staff"])  # a resolved case holds nothing
    auth.login_as(member)
    client.post("/account/data/export")
    zip_file = erasure.export_dir() / db.session.scalar(select(DataExport)).filename
    assert zip_file.is_file()
    about_them = select(func.count()).select_from(Notification).where(
        Notification.post_id.in_([life["mine"], life["own_post"]]))
    assert db.session.scalar(about_them) > 0  # member2 was told of their reply
    page = _request(client, auth, member, "erase")
    assert "will be erased" in page and "Part of your request will wait" not in page
    assert db.session.scalar(select(func.count()).select_from(UserSession)
                             .where(UserSession.user_id == member.id, UserSession.revoked_at.is_(None))) == 0
    _after_grace(monkeypatch)
    closure = db.session.scalar(select(AccountClosure))
    assert closure.status == "done"
    # Every page, as every role.
    for viewer in ROLES:
        assert _assert_nothing_remains(client, auth, users, app, life, viewer) > 5
    # The chat history (the Socket.IO "join" and "history" payload) as another member.
    history = chat.history(life["room"], users["member2"])
    assert not any("Quokka" in json.dumps(m) for m in history["messages"])
    assert json.dumps(payloads.room_state(life["room"], open_now=True, pinned=None)).find("Quokka") < 0
    # The database itself: what they wrote is gone; the reply that quoted them says "removed".
    db.session.expire_all()
    gone = db.session.get(User, member.id)
    assert gone.handle == erasure.FORMER_LABEL and gone.email is None and gone.safety_contact_sealed is None
    assert gone.password_hash == erasure.UNUSABLE_PASSWORD and gone.is_deactivated
    assert db.session.scalar(select(PostSupport).where(PostSupport.user_id == member.id)) is None
    assert db.session.scalar(select(DataExport)) is None and not zip_file.exists()  # no export remains
    assert db.session.get(ChatMessage, life["message"]) is None
    assert db.session.get(Topic, life["own_topic"]).title == erasure.REMOVED_TITLE  # member2 replied in it
    assert db.session.scalar(select(func.count()).select_from(PostRevision)
                             .where(PostRevision.post_id == life["mine"])) == 0
    assert db.session.scalar(select(Flag).where(Flag.reporter_id == member.id)) is None
    assert db.session.scalar(select(MemberNotice).where(MemberNotice.user_id == member.id)) is None
    assert db.session.scalar(about_them) == 0
    assert db.session.scalar(select(Notification).where(Notification.user_id == member.id)) is None
    assert db.session.get(SupportConversation, life["conversation"]) is None
    assert db.session.scalar(select(SupportMessage).where(SupportMessage.author_id == member.id)) is None
    assert db.session.get(Escalation, life["case"]) is None
    quote = db.session.get(Post, life["quote"])
    assert "Quote removed" in quote.body_html and "That helps me too." in quote.body_html
    assert "Quokka" not in quote.body_source + quote.body_html + json.dumps(quote.verdict)
    texts = [p.body_source + p.body_html + json.dumps(p.verdict) for p in db.session.scalars(select(Post))]
    assert not any("Quokka" in t or HANDLE in t for t in texts)
    # The audit keeps a tombstone: the request and the erasure, with no content.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.target_type == "user",
                                                         AuditEvent.target_id == member.id)).all()
    assert {"account.closure_requested", "account.erased"} <= {e.action for e in events}
    assert not any("Quokka" in json.dumps(e.data) + (e.reason or "") for e in db.session.scalars(select(AuditEvent)))
    # Logging in no longer works.
    auth.logout()
    assert auth.login(HANDLE).status_code == 400


def test_logging_in_during_the_grace_period_restores_everything(client, auth, users, life, monkeypatch):
    member = users["member"]
    _request(client, auth, member, "erase")
    later = clock.utcnow() + timedelta(days=13)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    r = auth.login(HANDLE)
    assert r.status_code == 302
    assert "Your account is restored" in client.get("/boards/").get_data(as_text=True)
    _after_grace(monkeypatch, days=20)
    db.session.expire_all()
    assert db.session.scalar(select(AccountClosure)).status == "cancelled"
    assert db.session.get(User, member.id).email == EMAIL
    assert "Quokka opening words" in db.session.get(Post, life["own_post"]).body_source
    assert erasure.run_due() == 0  # idempotent: nothing is due


def test_close_keeps_posts_as_former_member_and_releases_the_handle(client, auth, users, life, monkeypatch):
    member = users["member"]
    page = _request(client, auth, member, "close")
    assert "Your posts stay" in page
    _after_grace(monkeypatch)
    db.session.expire_all()
    topic = client.get(f"/boards/topic/{life['their_topic']}").get_data(as_text=True)
    assert "Quokka reply, edited." in topic and "Former member" in topic and HANDLE not in topic
    quote = db.session.get(Post, life["quote"])
    assert f"{HANDLE} wrote:" not in quote.body_source and "Former member wrote:" in quote.body_html
    assert client.get(f"/boards/member/{HANDLE}").status_code == 404
    gone = db.session.get(User, member.id)
    assert gone.email is None and gone.safety_contact_sealed is None and gone.region is None
    assert db.session.scalar(select(MemberNotice).where(MemberNotice.user_id == member.id)) is None
    # The handle stays reserved during the quarantine, then anyone may take it.
    form = {"handle": HANDLE, "password": "a long enough password", "age_confirmed": "y",
            "guidelines_accepted": "y", "health_consent": "y"}
    assert client.post("/auth/register", data=form).status_code == 400
    assert erasure.release_handles() == 0
    much_later = clock.utcnow() + timedelta(days=app_days(client) + 1)
    monkeypatch.setattr(clock, "utcnow", lambda: much_later)
    assert erasure.release_handles() == 1
    assert erasure.release_handles() == 0  # idempotent
    assert client.post("/auth/register", data=form).status_code == 302


def app_days(client) -> int:
    return client.application.config["KINDRED_HANDLE_QUARANTINE_DAYS"]


def test_an_open_case_holds_its_content_and_the_rest_goes(client, auth, users, life, monkeypatch):
    member = users["member"]
    page = _request(client, auth, member, "erase")
    assert "Part of your request will wait" in page and "until staff have finished with it" in page
    _after_grace(monkeypatch)
    db.session.expire_all()
    closure = db.session.scalar(select(AccountClosure))
    assert closure.status == "held" and closure.hold_until is None
    # Held: the case and the post it is about. Gone: everything else.
    assert db.session.get(Escalation, life["case"]) is not None
    assert "Quokka crisis" in db.session.get(Post, life["crisis"]).body_source
    assert db.session.get(Post, life["own_post"]).body_source == ""
    assert db.session.get(ChatMessage, life["message"]) is None
    assert db.session.get(User, member.id).email is None
    # Staff see the hold on the erasure queue.
    auth.logout()
    auth.login_as(users["staff"])
    queue = client.get("/staff/privacy/erasures").get_data(as_text=True)
    assert f"case #{life['case']}" in queue and "when the open case is resolved" in queue
    # Resolved with a follow-up date: the hold ends on that date.
    follow_up = clock.utcnow() + timedelta(days=7)
    _resolve(life["case"], users["staff"], follow_up=follow_up)
    assert erasure.finish_holds() == 0
    db.session.expire_all()
    assert db.session.scalar(select(AccountClosure)).hold_until == follow_up
    assert follow_up.strftime("%-d %b %Y") in client.get("/staff/privacy/erasures").get_data(as_text=True)
    after = follow_up + timedelta(minutes=1)
    monkeypatch.setattr(clock, "utcnow", lambda: after)
    assert erasure.finish_holds() == 1
    assert erasure.finish_holds() == 0  # idempotent
    db.session.expire_all()
    assert db.session.get(Escalation, life["case"]) is None
    assert db.session.get(Post, life["crisis"]) is None or db.session.get(Post, life["crisis"]).body_source == ""
    assert db.session.scalar(select(AccountClosure)).status == "done"
    for viewer in ROLES:
        _assert_nothing_remains(client, auth, users, client.application, life, viewer)


def test_closing_needs_a_choice_and_the_password(client, auth, users):
    auth.login_as(users["member"])
    r = client.post("/account/deactivate", data={"password": PASSWORD})
    assert r.status_code == 400 and "keep your posts or erase them" in r.get_data(as_text=True)
    r = client.post("/account/deactivate", data={"kind": "erase", "password": "nope"})
    assert r.status_code == 400 and "isn&#39;t your password" in r.get_data(as_text=True)
    assert db.session.scalar(select(AccountClosure)) is None

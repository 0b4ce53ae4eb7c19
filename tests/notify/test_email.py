"""Notification emails: off by default, immediate or a daily digest, no post
text, never a hint of an anonymous author, nothing for held content, and an
unsubscribe link that needs no login. Mail is captured by the app's file
backend (no SMTP server anywhere)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from forum import mail
from forum.extensions import db
from forum.models import ContentStatus, EmailMode, NotificationSettings, Review, utcnow
from forum.notify import email
from forum.review import services as review
from tests.conftest import make_board, make_user, post_reply, post_topic
from tests.notify.test_notifications import login, relay

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = ROOT / ".venv" / "bin" / "huey_consumer"


@pytest.fixture()
def outbox_dir(app, tmp_path):
    folder = tmp_path / "mail"
    app.config.update(MAIL_BACKEND="file", MAIL_DIR=str(folder))
    return folder


def sent(folder) -> list:
    relay()
    return mail.sent(folder) if Path(folder).exists() else []


def choose(app, user, mode: str, watch: bool = True):
    c = login(app, user)
    data = {"email_mode": mode}
    if watch:
        data["watch_own_topics"] = "1"
    return c, c.post("/notifications/settings", data=data, follow_redirects=True)


@pytest.fixture()
def author(users):
    users["member"].email = "member@example.org"
    db.session.commit()
    return users["member"]


def test_off_by_default(app, users, board, author, outbox_dir):
    topic = post_topic(author, board, title="Weekends are hard", body="Does anyone else find that?")
    post_reply(users["member2"], topic.topic, body="Yes, every Sunday.")
    assert email.settings_for(author.id).email_mode == EmailMode.OFF
    assert sent(outbox_dir) == []


def test_immediate_email_says_what_and_where_and_nothing_else(app, users, board, author, outbox_dir):
    _, page = choose(app, author, "immediate")
    assert "Your notification settings are saved." in page.get_data(as_text=True)
    topic = post_topic(author, board, title="Weekends are hard", body="Does anyone else find that?")
    post_reply(users["member2"], topic.topic, body="Yes, every Sunday is heavy for me.")
    [msg] = sent(outbox_dir)
    text = msg.as_string()
    assert msg["To"] == "member@example.org"
    assert "Someone replied to your topic in General." in msg.get_content()
    for private in ("Weekends are hard", "every Sunday", users["member2"].handle, author.handle):
        assert private not in text
    assert "/notifications/" in msg.get_content()
    # RFC 8058: a one-click link a mail client can POST to.
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = msg["List-Unsubscribe"].strip().strip("<>")
    assert link.startswith("http://localhost/notifications/unsubscribe/") and link in msg.get_content()


def test_anonymous_reply_and_anonymous_topic(app, users, board, author, outbox_dir):
    users["member2"].email = "member2@example.org"
    db.session.commit()
    choose(app, author, "immediate")
    choose(app, users["member2"], "immediate")
    anon = post_topic(author, board, title="Can't say this anywhere", body="Heavy week.", anonymous=True)
    post_reply(users["member2"], anon.topic, body="Sending you strength, friend.", anonymous=True)
    post_reply(author, anon.topic, body="Thank you, @OtherMember.", anonymous=True)
    mails = sent(outbox_dir)
    assert sorted(m["To"] for m in mails) == ["member2@example.org", "member@example.org"]
    for m in mails:
        # Nobody's handle, in either direction: the email only says "someone".
        assert author.handle not in m.as_string() and users["member2"].handle not in m.as_string()
        assert "strength" not in m.as_string() and "Heavy" not in m.as_string()


def test_held_reply_emails_nobody_until_published(app, users, author, outbox_dir):
    careful = make_board("careful", "Careful", premod_first_n=5)
    choose(app, author, "immediate")
    topic = post_topic(author, careful, title="Check-in", body="How is everyone?")
    # The author's own first posts are pre-moderated too: publish it.
    users["moderator"].resources_read_at = utcnow()
    db.session.commit()
    item = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == topic.post.id))
    if item is not None and topic.post.status == ContentStatus.HELD:
        review.perform(item, "approve", users["moderator"], item.version)
    newcomer = make_user("Newcomer")
    held = post_reply(newcomer, topic.topic, body="Hello, first post here.")
    assert held.post.status == ContentStatus.HELD
    assert sent(outbox_dir) == []
    item = db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == held.post.id))
    review.perform(item, "approve", users["moderator"], item.version)
    [msg] = sent(outbox_dir)
    assert "Someone replied to your topic in Careful." in msg.get_content()


def test_read_on_the_site_first_means_no_email(app, users, board, author, outbox_dir):
    from forum import outbox
    from forum.models import Notification, Outbox

    choose(app, author, "immediate")
    topic = post_topic(author, board)
    relay()
    # Stop the relay before the email row: the member reads the notification first.
    jobs_kick, outbox._Queue.relay = outbox._Queue.relay, staticmethod(lambda: None)
    try:
        post_reply(users["member2"], topic.topic, body="Hello there.")
        db.session.commit()
        outbox.relay(kinds=frozenset({"notify.post"}))
        assert db.session.scalar(select(Outbox).where(Outbox.kind == "notify.email")) is not None
        n = db.session.scalar(select(Notification).where(Notification.user_id == author.id))
        login(app, author).get(f"/notifications/{n.id}")
    finally:
        outbox._Queue.relay = jobs_kick
    assert sent(outbox_dir) == []


def test_choosing_email_needs_an_address(app, users):
    _, page = choose(app, users["member2"], "daily")
    assert "Add an email address" in page.get_data(as_text=True)
    # No SMTP server and no file backend here: the page says so.
    assert "sending email at the moment" in page.get_data(as_text=True)
    assert email.settings_for(users["member2"].id).email_mode == EmailMode.OFF


def test_unsubscribe_needs_no_login_and_no_session(app, users, author, outbox_dir):
    choose(app, author, "immediate")
    author.email_team_messages = True
    db.session.commit()
    token = email.unsubscribe_token(author.id)
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the token alone must be enough
    try:
        anonymous = app.test_client()
        page = anonymous.get(f"/notifications/unsubscribe/{token}")
        # A link scanner's GET changes nothing: the page asks for one click.
        assert page.status_code == 200 and "Stop these emails" in page.get_data(as_text=True)
        assert email.settings_for(author.id).email_mode == EmailMode.IMMEDIATE
        done = anonymous.post(f"/notifications/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                              content_type="application/x-www-form-urlencoded")
        assert done.status_code == 200 and "won't email you" in done.get_data(as_text=True)
        db.session.expire_all()
        assert email.settings_for(author.id).email_mode == EmailMode.OFF and not author.email_team_messages
        # Again (a second click, a retrying mail client): still fine.
        assert anonymous.post(f"/notifications/unsubscribe/{token}").status_code == 200
        assert anonymous.post("/notifications/unsubscribe/forged.token").status_code == 404
        assert anonymous.get("/notifications/unsubscribe/forged.token").status_code == 404
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_digest_collects_the_day_and_skips_what_was_read(app, users, board, author, outbox_dir):
    from forum import jobs

    choose(app, author, "daily")
    topic = post_topic(author, board, title="Weekends are hard", body="Does anyone else find that?")
    post_reply(users["member2"], topic.topic, body="Yes.")
    post_reply(make_user("ThirdPerson"), topic.topic, body="@MemberPerson me too.")
    relay()
    assert sent(outbox_dir) == []  # nothing until the digest
    assert jobs.run_digests() == 0  # not due yet: the day starts when they chose it
    row = db.session.get(NotificationSettings, author.id)
    row.digest_from = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert jobs.run_digests() == 1
    [msg] = sent(outbox_dir)
    body = msg.get_content()
    assert msg["Subject"] == "Kindred: 2 new notifications today"
    assert "Someone replied to your topic in General." in body and "Someone mentioned you in General." in body
    assert "Weekends" not in body and "me too" not in body and "ThirdPerson" not in body
    assert jobs.run_digests() == 0  # one a day


def test_digest_sends_nothing_when_all_read(app, users, board, author, outbox_dir):
    from forum import jobs

    choose(app, author, "daily")
    topic = post_topic(author, board)
    post_reply(users["member2"], topic.topic, body="Yes.")
    relay()
    login(app, author).post("/notifications/read")
    row = db.session.get(NotificationSettings, author.id)
    row.digest_from = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert jobs.run_digests() == 1
    assert sent(outbox_dir) == []


ENQUEUE = textwrap.dedent("""
    import forum.jobs as j
    assert not j.huey.immediate
    j.digest_task()
""")


def test_digest_through_a_real_consumer(app, users, board, author, test_env, tmp_path):
    """The job as production runs it: queued on huey, run by a huey consumer process, mail captured in files."""
    choose(app, author, "daily")
    topic = post_topic(author, board)
    post_reply(users["member2"], topic.topic, body="Yes.")
    relay()
    row = db.session.get(NotificationSettings, author.id)
    row.digest_from = utcnow() - timedelta(hours=25)
    db.session.commit()
    folder = tmp_path / "consumer-mail"
    folder.mkdir()
    env = {**os.environ, **test_env, "KINDRED_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "test",
           "KINDRED_BASE_URL": "http://127.0.0.1", "KINDRED_MAIL_BACKEND": "file", "KINDRED_MAIL_DIR": str(folder),
           "HF_HUB_OFFLINE": "1"}
    env.pop("REDIS_URL", None)
    q = subprocess.run([sys.executable, "-c", ENQUEUE], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    assert q.returncode == 0, q.stderr
    consumer = None
    try:
        with open(tmp_path / "consumer.log", "wb") as log:
            consumer = subprocess.Popen([str(CONSUMER), "forum.jobs.huey", "-w", "1", "-k", "thread"], cwd=ROOT,
                                        env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not list(folder.glob("*.eml")):
            time.sleep(0.3)
        mails = mail.sent(folder)
        assert len(mails) == 1, (tmp_path / "consumer.log").read_text()
        assert "Someone replied to your topic in General." in mails[0].get_content()
        assert mails[0]["List-Unsubscribe"].strip().startswith("<http://127.0.0.1/notifications/unsubscribe/")
    finally:
        if consumer is not None:
            consumer.terminate()
            consumer.wait(timeout=20)


def test_closing_the_account_removes_the_settings_and_the_link_stops(app, client, auth, author, monkeypatch):
    from forum import outbox
    from forum.models import base as clock
    from tests.conftest import PASSWORD

    choose(app, author, "daily")
    token = email.unsubscribe_token(author.id)
    auth.login_as(author)
    assert client.post("/account/deactivate", data={"kind": "close", "password": PASSWORD}).status_code == 200
    later = clock.utcnow() + timedelta(days=40)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    outbox.relay()
    db.session.expire_all()
    assert db.session.get(NotificationSettings, author.id) is None
    assert app.test_client().get(f"/notifications/unsubscribe/{token}").status_code == 404

"""Password reset by email: a real local SMTP server receives the link."""
from __future__ import annotations

import re
from email import message_from_string, policy

import pytest

from forum.extensions import db
from tests.conftest import PASSWORD, make_user
from tests.review.servers import SMTPSink

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture()
def smtp(app):
    sink = SMTPSink()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port)
    yield sink
    sink.stop()


def reset_link(sink: SMTPSink) -> str:
    assert len(sink.messages) == 1, sink.messages
    body = message_from_string(sink.messages[0], policy=policy.default).get_content()
    return re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)


def test_reset_link_sets_a_new_password_once(client, auth, smtp):
    make_user("Resetter", email="Resetter@Example.org")
    response = client.post("/auth/forgot", data={"email": "resetter@example.org"})
    assert b"we've sent it a link" in response.data
    link = reset_link(smtp)

    assert client.post(link, data={"new_password": NEW_PASSWORD}).status_code == 302
    assert auth.login("Resetter", NEW_PASSWORD).status_code == 302
    auth.logout()
    assert auth.login("Resetter", PASSWORD).status_code == 400

    # The link dies with the password it was issued for.
    again = client.post(link, data={"new_password": "yet another passphrase"})
    assert again.status_code == 400 and b"expired or has already been used" in again.data


def test_unknown_email_gets_the_same_answer_and_no_mail(client, smtp):
    make_user("Someone", email="someone@example.org")
    response = client.post("/auth/forgot", data={"email": "nobody@example.org"})
    assert b"we've sent it a link" in response.data
    assert smtp.messages == []


def test_tampered_token_and_weak_password_are_refused_kindly(client, smtp):
    make_user("Resetter", email="r@example.org")
    client.post("/auth/forgot", data={"email": "r@example.org"})
    link = reset_link(smtp)
    tampered = client.post(link[:-3] + "abc", data={"new_password": NEW_PASSWORD})
    assert tampered.status_code == 400 and b"expired" in tampered.data
    weak = client.post(link, data={"new_password": "short"})
    assert weak.status_code == 400 and b"new password" in weak.data.lower()


def test_without_smtp_the_page_says_reset_is_unavailable(client, app):
    app.config["SMTP_HOST"] = None
    assert b"isn't set up" in client.get("/auth/forgot").data


def test_closed_accounts_get_no_link(client, smtp):
    user = make_user("Closed", email="closed@example.org")
    user.is_deactivated = True
    db.session.commit()
    client.post("/auth/forgot", data={"email": "closed@example.org"})
    assert smtp.messages == []

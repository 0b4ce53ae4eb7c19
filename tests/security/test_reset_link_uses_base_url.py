"""Password-reset links come from KINDRED_BASE_URL, never from the Host header.

A forged Host header (``Host: attacker.example``) must not put the
attacker's address in the member's reset email; with TRUSTED_HOSTS set, the
forged request is refused outright.
"""
from __future__ import annotations

import re
from email import message_from_string, policy

import pytest

from forum.outbox import relay
from tests.conftest import make_user
from tests.review.servers import SMTPSink

BASE = "https://kindred.example.org"


@pytest.fixture()
def smtp(app):
    sink = SMTPSink()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, KINDRED_BASE_URL=BASE)
    yield sink
    sink.stop()


def _links(sink: SMTPSink) -> list[str]:
    bodies = [message_from_string(m, policy=policy.default).get_content() for m in sink.messages]
    return [link for body in bodies for link in re.findall(r"https?://\S+", body)]


def test_forged_host_header_does_not_reach_the_reset_email(app, client, smtp):
    make_user("Resetter", email="resetter@example.org")
    response = client.post("/auth/forgot", data={"email": "resetter@example.org"},
                           headers={"Host": "attacker.example"})
    assert response.status_code == 200
    relay()  # the job consumer's turn (inline in tests already; harmless if nothing is due)
    links = _links(smtp)
    assert len(links) == 1, smtp.messages
    assert links[0].startswith(BASE + "/auth/reset/"), links
    assert "attacker.example" not in "".join(smtp.messages)


def test_forged_host_is_refused_when_trusted_hosts_are_set(app, client, smtp):
    app.config["TRUSTED_HOSTS"] = ["kindred.example.org"]
    make_user("Resetter", email="resetter@example.org")
    forged = client.post("/auth/forgot", data={"email": "resetter@example.org"},
                         headers={"Host": "attacker.example"})
    assert forged.status_code == 400
    assert smtp.messages == []
    assert client.get("/auth/forgot", headers={"Host": "kindred.example.org"}).status_code == 200

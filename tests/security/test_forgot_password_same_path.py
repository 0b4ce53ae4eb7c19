"""Forgot-password takes the same path for known and unknown addresses.

The reset email used to be sent over SMTP inside the request, so a
registered address answered later than an unknown one (a timing oracle for
"is this person a member?"). Now the request only writes an outbox row, for
both, and the job queue sends the mail.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum import outbox
from forum.extensions import db
from forum.models import Outbox
from tests.conftest import make_user
from tests.review.servers import SMTPSink


class CountingSMTPSink(SMTPSink):
    """The test SMTP server, counting connections as they arrive."""

    def __init__(self) -> None:
        self.connections = 0
        super().__init__()

    def verify_request(self, request, client_address) -> bool:  # socketserver hook, per connection
        self.connections += 1
        return True


@pytest.fixture()
def smtp(app):
    sink = CountingSMTPSink()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port)
    yield sink
    sink.stop()


@pytest.fixture()
def queued(monkeypatch):
    """The job queue as the web process sees it: a kick is recorded, and the
    consumer (``outbox.relay``) runs only when the test says so."""
    kicks: list[int] = []
    monkeypatch.setattr(outbox, "kick_relay", lambda: kicks.append(1))
    return kicks


def test_known_and_unknown_addresses_take_the_same_path(app, client, smtp, queued):
    make_user("Resetter", email="resetter@example.org")
    answers = {}
    for address in ("resetter@example.org", "nobody@example.org"):
        response = client.post("/auth/forgot", data={"email": address})
        answers[address] = response.data
        assert response.status_code == 200
        # Nothing touched SMTP inside the request, whoever the address belongs to.
        assert smtp.connections == 0 and smtp.messages == []
    assert answers["resetter@example.org"] == answers["nobody@example.org"]

    rows = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert [(r.kind, sorted(r.payload)) for r in rows] == [("password_reset", ["email"])] * 2
    assert len(queued) == 2

    assert outbox.relay() == 2  # the consumer delivers both rows
    assert len(smtp.messages) == 1 and "resetter@example.org" in smtp.messages[0]
    # Once sent, the addresses (a member's, or a stranger's typo) are not kept.
    db.session.expire_all()
    assert [r.payload for r in db.session.scalars(select(Outbox))] == [{}, {}]


def test_a_failed_send_is_retried_by_the_outbox(app, client, queued):
    make_user("Resetter", email="resetter@example.org")
    sink = CountingSMTPSink()
    port = sink.port
    sink.stop()  # nothing listens: the send fails
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    assert client.post("/auth/forgot", data={"email": "resetter@example.org"}).status_code == 200
    assert outbox.relay() == 0
    row = db.session.scalar(select(Outbox))
    assert row.processed_at is None and row.last_error

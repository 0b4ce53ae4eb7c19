"""An escalation survives a crash between the commit and the relay.

Process 1 commits an imminent post (case + outbox row in one transaction)
and dies (os._exit) at the exact point where it would kick the relay.
Process 2 is a fresh job-consumer process: its periodic check delivers the
alert to real local SMTP and webhook servers.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import select

from forum.extensions import db
from forum.models import Alert, Escalation, Outbox
from tests.review.servers import SMTPSink, WebhookSink

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import os, sys
    from forum import create_app, outbox
    from forum.extensions import db
    from forum.models import User
    from tests.review.helpers import post, verdict

    app = create_app({"HUEY_IMMEDIATE": True, "TESTING": True})
    # Die exactly between the commit and the relay kick.
    outbox.kick_relay = lambda: os._exit(137)
    with app.app_context():
        member = db.session.get(User, int(sys.argv[1]))
        post(member, verdict("hold", "imminent"))
    print("not reached")
""")

CONSUMER = textwrap.dedent("""
    from forum.jobs import run_periodic_checks
    print(run_periodic_checks())
""")


def test_escalation_survives_crash_between_commit_and_relay(users, test_env, tmp_path):
    smtp, hook = SMTPSink(), WebhookSink()
    try:
        env = {**os.environ, **test_env, "SECRET_KEY": "test", "HF_HUB_OFFLINE": "1",
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
               "KINDRED_ONCALL_EMAILS": "oncall@example.org", "KINDRED_ONCALL_WEBHOOK_URL": hook.url,
               "KINDRED_BASE_URL": "http://127.0.0.1"}
        env.pop("REDIS_URL", None)  # huey stays on SQLite in instance/ for the consumer
        writer = subprocess.run([sys.executable, "-c", WRITER, str(users["member"].id)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert writer.returncode == 137, writer.stderr
        db.session.expire_all()
        case = db.session.scalar(select(Escalation))
        row = db.session.scalar(select(Outbox).where(Outbox.kind == "escalation.opened"))
        assert case is not None and case.status == "open"
        assert row.processed_at is None and smtp.messages == [] and hook.payloads == []

        consumer = subprocess.run([sys.executable, "-c", CONSUMER], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=120)
        assert consumer.returncode == 0, consumer.stderr
        db.session.expire_all()
        row = db.session.get(Outbox, row.id)
        assert row.processed_at is not None
        assert len(smtp.messages) == 1 and f"case #{case.id}" in smtp.messages[0]
        assert hook.payloads[0]["escalation_id"] == case.id
        channels = db.session.scalars(select(Alert.channel).where(Alert.escalation_id == case.id)).all()
        assert {"email", "webhook"} <= set(channels)
    finally:
        smtp.stop()
        hook.stop()

"""On-call emails and webhooks carry absolute links built from KINDRED_BASE_URL,
which is read from the environment and required whenever mail or a webhook
is configured."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from forum.models import base as clock
from forum.models import utcnow
from forum.review import deadlines
from tests.review.helpers import post, review_for, verdict
from tests.review.servers import SMTPSink, WebhookSink

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://kindred.example.org"


@pytest.fixture()
def oncall(app):
    smtp, hook = SMTPSink(), WebhookSink()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, ONCALL_EMAILS=["oncall@example.org"],
                      ONCALL_WEBHOOK_URL=hook.url, KINDRED_BASE_URL=BASE)
    yield smtp, hook
    smtp.stop()
    hook.stop()


def _links(text: str) -> list[str]:
    return re.findall(r"(?m)^(\S*/(?:staff/cases|review)/\d+)$", text)


def test_case_and_deadline_notifications_link_absolutely(users, oncall, monkeypatch):
    smtp, hook = oncall
    p = post(users["member"], verdict("hold", "imminent"))        # case opened
    r = review_for(post(users["member"], verdict("publish_flagged", "high")))
    later = utcnow() + timedelta(minutes=20)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    deadlines.check(later)                                           # case re-alert + missed item
    texts = smtp.messages + [h["text"] for h in hook.payloads]
    links = [link for t in texts for link in _links(t.replace("\r\n", "\n"))]
    assert len(links) >= 5, texts
    assert all(link.startswith(BASE + "/") for link in links), links
    assert any(link.endswith(f"/review/{r.id}") for link in links)
    assert p.id


def _start(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = textwrap.dedent("""
        from forum import create_app
        app = create_app()
        print(app.config["KINDRED_BASE_URL"], app.config["TRUSTED_HOSTS"])
    """)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "SECRET_KEY": "test", **env})


def test_base_url_is_read_from_the_environment_and_required_with_mail(test_env):
    env = {"DATABASE_URL": test_env["DATABASE_URL"], "KINDRED_INSTANCE_DIR": test_env["KINDRED_INSTANCE_DIR"],
           "SMTP_HOST": "127.0.0.1", "KINDRED_ONCALL_EMAILS": "oncall@example.org"}
    refused = _start(env)
    assert refused.returncode != 0
    assert "KINDRED_BASE_URL must be set" in refused.stderr

    hooked = _start({**env, "SMTP_HOST": "", "KINDRED_ONCALL_WEBHOOK_URL": "http://127.0.0.1:9/hook"})
    assert hooked.returncode != 0 and "KINDRED_BASE_URL must be set" in hooked.stderr

    started = _start({**env, "KINDRED_BASE_URL": BASE + "/"})
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == [BASE, "['kindred.example.org']"]

    bad = _start({**env, "KINDRED_BASE_URL": "kindred.example.org"})
    assert bad.returncode != 0 and "KINDRED_BASE_URL=" in bad.stderr and "http" in bad.stderr

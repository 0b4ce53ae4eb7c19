"""Background jobs: forum.jobs imports cleanly, and a real huey consumer
process delivers an escalation kicked by another process's commit."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sqlalchemy import select

from forum.extensions import db
from forum.models import Outbox
from tests.live import start_server
from tests.review.servers import WebhookSink

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = ROOT / ".venv" / "bin" / "huey_consumer"


def test_jobs_module_has_no_side_effects_beyond_huey(tmp_path):
    code = ("import forum.jobs as j; from huey import SqliteHuey; "
            "assert j._app is None; assert isinstance(j.huey, SqliteHuey); "
            "assert 'forum.jobs.periodic_checks' in str(j.huey._registry._registry); print('ok')")
    env = {**os.environ, "KINDRED_INSTANCE_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr


def test_retries_are_configured():
    from forum import jobs

    assert jobs.relay_outbox_task.s().retries == 5
    assert jobs.periodic_checks.s().retries == 2


WRITER = textwrap.dedent("""
    import sys
    from forum import create_app
    from forum.extensions import db
    from forum.models import User
    from tests.review.helpers import post, verdict

    app = create_app({"TESTING": True})   # not immediate: the kick enqueues for the consumer
    with app.app_context():
        post(db.session.get(User, int(sys.argv[1])), verdict("hold", "imminent"))
""")


@pytest.fixture()
def queued_escalation(users, test_env, tmp_path):
    """Another process commits an escalation and queues its relay job on the
    SQLite huey in ``tmp_path``; nothing has consumed it yet."""
    hook = WebhookSink()
    env = {**os.environ, **test_env, "KINDRED_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "test",
           "KINDRED_ONCALL_WEBHOOK_URL": hook.url, "KINDRED_BASE_URL": "http://127.0.0.1",
           "HF_HUB_OFFLINE": "1"}
    env.pop("REDIS_URL", None)
    try:
        w = subprocess.run([sys.executable, "-c", WRITER, str(users["member"].id)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
        assert w.returncode == 0, w.stderr
        yield env, hook
    finally:
        hook.stop()


def wait_for_payload(hook: WebhookSink, log: str | Callable[[], str]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not hook.payloads:
        time.sleep(0.2)
    assert hook.payloads, log() if callable(log) else log
    return hook.payloads[0]


def test_consumer_process_delivers_kicked_relay(queued_escalation, tmp_path):
    assert CONSUMER.exists(), "huey_consumer missing: pip install -r requirements.txt"
    env, hook = queued_escalation
    consumer = None
    try:
        with open(tmp_path / "consumer.log", "wb") as log:
            consumer = subprocess.Popen([str(CONSUMER), "forum.jobs.huey", "-w", "1", "-k", "thread"], cwd=ROOT,
                                        env=env, stdout=log, stderr=subprocess.STDOUT)
        payload = wait_for_payload(hook, lambda: (tmp_path / "consumer.log").read_text())
        assert payload["kind"] == "case_opened"
        db.session.expire_all()
        row = db.session.scalar(select(Outbox).where(Outbox.kind == "escalation.opened"))
        for _ in range(50):
            if row.processed_at is not None:
                break
            time.sleep(0.1)
            db.session.expire_all()
            row = db.session.get(Outbox, row.id)
        assert row.processed_at is not None
    finally:
        if consumer is not None:
            consumer.terminate()
            consumer.wait(timeout=20)


def test_embedded_server_runs_the_consumer_in_process(queued_escalation, tmp_path):
    """``python -m forum.serve --worker`` (what ``make run`` starts) delivers
    queued jobs itself, so its re-alerts reach the sockets it serves."""
    env, hook = queued_escalation
    server = start_server({k: env[k] for k in ("KINDRED_INSTANCE_DIR", "SECRET_KEY", "DATABASE_URL",
                                               "KINDRED_ONCALL_WEBHOOK_URL", "KINDRED_BASE_URL")},
                          tmp_path, timeout=120, extra_args=("--worker",))
    try:
        assert wait_for_payload(hook, server.log)["kind"] == "case_opened"
    finally:
        server.stop()

"""Issue 15, finding 6: a SQLite write lock held for 15 s loses no post.

A second process holds the database's write lock for 15 s, longer than
SQLite's 10 s busy timeout. Meanwhile a member posts an imminent-risk reply
to one server (default retry budget) and another member posts to a second
server whose budget is shorter than the lock. The first reply must be
stored with its crisis case once the lock goes; the second member must get
their form back with their text and a calm message, never a bare error.
Always on its own SQLite file: the finding is about SQLite's lock.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests
from sqlalchemy import select

from forum.extensions import db
from forum.models import Escalation, Post
from tests.conftest import make_board, make_user, post_topic
from tests.live import start_server
from tests.reliability.helpers import form_fields, login, sqlite_app

pytestmark = pytest.mark.slow
HOLD_SECONDS = 15
IMMINENT = "I can't go on, I want to end my life tonight."
ORDINARY = "Thank you for posting this, it helped me feel less alone today."

HOLDER = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE users SET region = region")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("COMMIT")
""")


def test_lock_held_for_fifteen_seconds_loses_no_post(tmp_path):
    path, instance = tmp_path / "locked.sqlite3", tmp_path / "instance"
    instance.mkdir()
    app = sqlite_app(path, instance)
    with app.app_context():
        topic_id = post_topic(make_user("LockStarter"), make_board(), title="Tonight",
                              body="Is anyone around tonight?").topic.id
        make_user("PatientMember")
        make_user("ShortBudgetMember")
        db.session.remove()
        db.engine.dispose()

    env = {"DATABASE_URL": f"sqlite:///{path}", "KINDRED_INSTANCE_DIR": str(instance), "KINDRED_WARM_UP": "1",
           "KINDRED_SEMANTIC": "0"}  # the crisis rules alone find this imminent post; faster start
    patient = start_server(env, tmp_path, timeout=180)
    short = start_server({**env, "KINDRED_DB_RETRY_SECONDS": "2"}, tmp_path, timeout=180)
    holder = None
    try:
        sessions = {"patient": login(patient.url, "PatientMember"), "short": login(short.url, "ShortBudgetMember")}
        urls = {"patient": patient.url, "short": short.url}
        forms = {k: form_fields(s.get(f"{urls[k]}/boards/topic/{topic_id}", timeout=30).text)
                 for k, s in sessions.items()}
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(HOLD_SECONDS)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()
        results: dict[str, tuple[requests.Response, float]] = {}

        def send(key: str, body: str) -> None:
            res = sessions[key].post(f"{urls[key]}/boards/topic/{topic_id}/reply",
                                     data={**forms[key], "body": body}, allow_redirects=False, timeout=120)
            results[key] = (res, time.monotonic() - locked_at)

        threads = [threading.Thread(target=send, args=("patient", IMMINENT)),
                   threading.Thread(target=send, args=("short", ORDINARY))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert holder.wait(timeout=30) == 0
    finally:
        if holder is not None:
            if holder.poll() is None:
                holder.kill()
                holder.wait()
            holder.stdout.close()
        patient.stop()
        short.stop()

    res, took = results["patient"]
    assert res.status_code == 302, f"{res.status_code} after {took:.1f}s\n{patient.log()[-3000:]}"
    assert took >= HOLD_SECONDS - 1  # it really waited for the lock

    res, took = results["short"]
    assert res.status_code == 503, f"{res.status_code}\n{short.log()[-3000:]}"
    assert "we couldn't save this" in res.text.lower()
    assert ORDINARY.replace("'", "&#39;") in res.text
    assert "Get help now" in res.text

    with app.app_context():
        bodies = db.session.scalars(select(Post.body_source).where(Post.topic_id == topic_id)).all()
        assert IMMINENT in bodies and ORDINARY not in bodies
        post_id = db.session.scalar(select(Post.id).where(Post.body_source == IMMINENT))
        assert db.session.scalar(select(Escalation).where(Escalation.target_id == post_id,
                                                          Escalation.target_type == "post")) is not None
        db.session.remove()
        db.engine.dispose()

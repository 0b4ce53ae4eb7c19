"""Issue 15, finding 2: error pages work when the database is gone.

A member logs in on a working server; then the same site (same secret key)
is served by processes whose database cannot be reached: a SQLite file that
cannot be opened, and a PostgreSQL server that is down. Every page must
still come back as a proper page with "Get help now" and the helplines for
the region in the request (Accept-Language), and a reply the member sends
must come back as a form holding their text with a calm message. Before the
fix the error page itself read ``current_user`` from the failed database
and the member got a bare "Internal Server Error" with their text gone.
"""
from __future__ import annotations

import html

import pytest

from forum.extensions import db
from tests.conftest import make_board, make_user, post_topic
from tests.live import free_port, start_server
from tests.reliability.helpers import form_fields, login, sqlite_app

pytestmark = pytest.mark.slow
REPLY = "I've had a rough week, but reading this thread helped. Thank you all."
US = {"Accept-Language": "en-US,en;q=0.8"}


@pytest.fixture(scope="module")
def logged_in(tmp_path_factory):
    """A session cookie and reply form from a working server, and its env."""
    root = tmp_path_factory.mktemp("nodb")
    path, instance = root / "ok.sqlite3", root / "instance"
    instance.mkdir()
    app = sqlite_app(path, instance)
    with app.app_context():
        topic_id = post_topic(make_user("NoDbStarter"), make_board(), title="Weekends",
                              body="What helps you at the weekend?").topic.id
        make_user("NoDbMember")
        db.session.remove()
        db.engine.dispose()
    env = {"DATABASE_URL": f"sqlite:///{path}", "KINDRED_INSTANCE_DIR": str(instance), "KINDRED_SEMANTIC": "0"}
    server = start_server(env, root, timeout=120)
    try:
        http = login(server.url, "NoDbMember")
        form = form_fields(http.get(f"{server.url}/boards/topic/{topic_id}", timeout=30).text)
    finally:
        server.stop()
    return http, form, topic_id, env, root


@pytest.mark.parametrize("database", ["sqlite-unopenable", "postgresql-down"])
def test_pages_and_forms_survive_a_missing_database(logged_in, database):
    http, form, topic_id, env, root = logged_in
    url = (f"sqlite:///{root}/no-such-dir/kindred.sqlite3" if database == "sqlite-unopenable"
           else f"postgresql://postgres@127.0.0.1:{free_port()}/kindred")
    server = start_server({**env, "DATABASE_URL": url}, root, timeout=120)
    try:
        page = http.get(f"{server.url}/boards/", headers=US, timeout=30)
        reply = http.post(f"{server.url}/boards/topic/{topic_id}/reply", data={**form, "body": REPLY},
                          headers=US, allow_redirects=False, timeout=60)
        missing = http.get(f"{server.url}/no-such-page", headers=US, timeout=30)
    finally:
        server.stop()

    for res in (page, reply, missing):
        assert "Get help now" in res.text, f"{res.status_code}: {res.text[:300]}\n{server.log()[-2000:]}"
    assert page.status_code == 503
    assert "988 Suicide &amp; Crisis Lifeline" in page.text and "911" in page.text

    assert reply.status_code == 503
    assert "we couldn't save this, please try again" in html.unescape(reply.text).lower()
    assert REPLY in html.unescape(reply.text)
    assert f'action="/boards/topic/{topic_id}/reply"' in reply.text
    assert "988 Suicide &amp; Crisis Lifeline" in reply.text

    # A 404 is rendered without the database too (no account menu, no 500).
    assert missing.status_code == 404

"""Invalid UTF-8 in a form is reported with the text kept, with CSRF on.

The suite's TestConfig turns CSRF off, which hid a production bug: the
CSRF check read the form first, with Werkzeug's strict parser, so the
member's text was dropped or stored as literal ``%FF%FE``. These tests
run with CSRF protection on, as production does.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post
from tests.conftest import PASSWORD, post_topic

FORM = "application/x-www-form-urlencoded"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@pytest.fixture(scope="session")
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _token(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} gave {page.status_code}"
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no csrf_token field on {path}"
    return match.group(1) or match.group(2)


@pytest.fixture()
def setup(app, client, users, board):
    assert app.config["WTF_CSRF_ENABLED"] is True
    posted = post_topic(users["member"], board)
    login = client.post("/auth/login", data={"handle": users["member"].handle, "password": PASSWORD,
                                             "csrf_token": _token(client, "/auth/login")})
    assert login.status_code == 302, "log-in with a CSRF token failed"
    return {
        "new": "/boards/general/new",
        "reply": f"/boards/topic/{posted.topic.id}/reply",
        "edit": f"/boards/post/{posted.post.id}/edit",
        "token": _token(client, "/boards/general/new"),
    }


def _bodies() -> list[str]:
    return list(db.session.scalars(select(Post.body_source)))


@pytest.mark.parametrize("kind", ["new", "reply", "edit"])
@pytest.mark.parametrize("raw", [b"body=Hello+\xff\xfe+there", b"body=Hello+%FF%FE+there"])
def test_invalid_utf8_is_reported_and_kept_with_csrf_on(client, setup, kind, raw):
    extra = b"&title=A+title" if kind == "new" else b""
    before = db.session.scalar(select(func.count(Post.id)))
    data = raw + extra + b"&csrf_token=" + setup["token"].encode()
    r = client.post(setup[kind], data=data, content_type=FORM)
    html = r.get_data(as_text=True)
    assert r.status_code == 400, f"expected the form again with an error, got {r.status_code}"
    assert "couldn&#39;t be read" in html or "couldn't be read" in html
    assert "Hello \ufffd\ufffd there" in html
    assert db.session.scalar(select(func.count(Post.id))) == before
    assert not any("%FF" in body or "\ufffd" in body for body in _bodies())


def test_csrf_is_really_on_and_valid_text_posts(client, setup):
    refused = client.post(setup["reply"], data={"body": "No token here."})
    assert refused.status_code == 400
    ok = client.post(setup["reply"], data={"body": "Caf\u00e9 tonight, with a token.", "csrf_token": setup["token"]})
    assert ok.status_code == 302
    assert "Caf\u00e9 tonight, with a token." in _bodies()

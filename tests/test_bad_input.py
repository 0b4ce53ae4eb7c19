"""Bad input never loses the member's text: a clear form error, text kept.

Covers empty and over-long bodies, invalid UTF-8 sent as raw bytes, and
NUL bytes, on the new-topic, reply and edit forms.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post
from tests.conftest import post_topic

FORM = "application/x-www-form-urlencoded"


@pytest.fixture()
def setup(client, auth, users, board):
    posted = post_topic(users["member"], board)
    auth.login_as(users["member"])
    return {
        "new": "/boards/general/new",
        "reply": f"/boards/topic/{posted.topic.id}/reply",
        "edit": f"/boards/post/{posted.post.id}/edit",
    }


def _count() -> int:
    return db.session.scalar(select(func.count(Post.id)))


def _extra(kind: str) -> dict[str, str]:
    return {"title": "A title"} if kind == "new" else {}


@pytest.mark.parametrize("kind", ["new", "reply", "edit"])
@pytest.mark.parametrize("body", ["", "   \n  "])
def test_empty_body(client, setup, kind, body):
    before = _count()
    r = client.post(setup[kind], data={"body": body, **_extra(kind)})
    assert r.status_code == 400 and b"Please write something before posting." in r.data
    assert _count() == before


@pytest.mark.parametrize("kind", ["new", "reply", "edit"])
def test_over_long_body_is_kept(client, setup, app, kind):
    app.config["KINDRED_MAX_POST_CHARS"] = 100
    text = "I wanted to write a lot today. " * 5
    before = _count()
    r = client.post(setup[kind], data={"body": text, **_extra(kind)})
    assert r.status_code == 400
    assert b"the limit is 100" in r.data
    assert text.strip().encode() in r.data
    assert _count() == before


def test_empty_and_over_long_title(client, setup, app):
    r = client.post(setup["new"], data={"title": "", "body": "My words stay."})
    assert r.status_code == 400 and b"give your topic a title" in r.data and b"My words stay." in r.data
    r = client.post(setup["new"], data={"title": "t" * 200, "body": "My words stay."})
    assert r.status_code == 400 and b"keep the title under" in r.data and b"My words stay." in r.data


@pytest.mark.parametrize("kind", ["new", "reply", "edit"])
@pytest.mark.parametrize("raw", [b"body=Hello+\xff\xfe+there", b"body=Hello+%FF%FE+there"])
def test_invalid_utf8_is_reported_and_text_kept(client, setup, kind, raw):
    extra = b"&title=A+title" if kind == "new" else b""
    before = _count()
    r = client.post(setup[kind], data=raw + extra, content_type=FORM)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "couldn&#39;t be read" in html or "couldn't be read" in html
    assert "Hello \ufffd\ufffd there" in html  # the rest of the text is kept, bad bytes marked
    assert _count() == before


@pytest.mark.parametrize("kind", ["new", "reply", "edit"])
def test_nul_bytes_are_reported_and_text_kept(client, setup, kind):
    before = _count()
    r = client.post(setup[kind], data={"body": "Before\x00after", **_extra(kind)})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "NUL" in html and "Beforeafter" in html and "\x00" not in html
    assert _count() == before


def test_nul_in_title_and_content_warning(client, setup):
    r = client.post(setup["new"], data={"title": "Ti\x00tle", "body": "Fine words.", "content_warning": "c\x00w"})
    assert r.status_code == 400 and b"NUL" in r.data and b'value="Title"' in r.data and b"Fine words." in r.data


def test_corrected_text_then_posts(client, setup):
    client.post(setup["reply"], data={"body": "Before\x00after"})
    r = client.post(setup["reply"], data={"body": "Beforeafter"})
    assert r.status_code == 302

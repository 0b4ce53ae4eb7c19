"""An anonymous post's account is visible to staff only.

Every page that can show the post is rendered for each kind of viewer and
searched for the author's handle: logged-out visitors, other members and
moderators (volunteers) must never see it; staff and admins must.
"""
from __future__ import annotations

import pytest

from forum.boards import services
from forum.extensions import db
from tests.conftest import post_reply, post_topic

HANDLE = "MemberPerson"


@pytest.fixture()
def anon(app, users, board):
    """An anonymous topic with an anonymous, edited reply, by users["member"]."""
    topic = post_topic(users["member"], board, title="Something I can't say elsewhere",
                       body="Anonymous opening words.", anonymous=True)
    reply = post_reply(users["member"], topic.topic, body="Anonymous reply words.", anonymous=True)
    services.edit_post(users["member"], services.PostEdit(post_id=reply.post.id, body="Anonymous reply, edited."))
    post_reply(users["member2"], topic.topic, body="Sending you support.")
    db.session.commit()
    return {"topic": topic.topic.id, "post": topic.post.id, "reply": reply.post.id}


def _pages(app, ids: dict[str, int]) -> list[str]:
    pages = [
        "/boards/", "/boards/general/", f"/boards/topic/{ids['topic']}",
        f"/boards/topic/{ids['topic']}?quote={ids['reply']}",
        f"/boards/member/{HANDLE}", f"/boards/post/{ids['reply']}/revisions",
    ]
    # Plus every parameter-free GET page of every area (review queue, staff
    # pages, chat...), so a new page showing posts is covered automatically.
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            pages.append(rule.rule)
    return pages


@pytest.mark.parametrize("viewer", [None, "member2", "moderator"])
def test_anonymous_author_hidden_from_everyone_but_staff(client, auth, users, anon, app, viewer):
    if viewer:
        auth.login_as(users[viewer])
    seen = 0
    for url in _pages(app, anon):
        r = client.get(url)
        if r.status_code != 200:
            continue
        seen += 1
        body = r.get_data(as_text=True)
        if url.startswith("/boards/member/"):
            # The profile names its member, so it must not list the anonymous posts at all.
            assert "Anonymous opening words." not in body and "Anonymous reply" not in body
            continue
        assert HANDLE not in body and HANDLE.casefold() not in body.casefold(), f"{url} reveals the author to {viewer}"
        if url == f"/boards/topic/{anon['topic']}":
            assert "Anonymous member" in body and "Anonymous opening words." in body
    assert seen >= 5


def test_json_support_response_does_not_reveal_author(client, auth, users, anon):
    auth.login_as(users["member2"])
    r = client.post(f"/boards/post/{anon['post']}/support", headers={"Accept": "application/json"})
    assert HANDLE not in r.get_data(as_text=True)
    assert set(r.get_json()) == {"post_id", "support_count", "supported"}


@pytest.mark.parametrize("viewer", ["staff", "admin"])
def test_staff_see_the_account(client, auth, users, anon, viewer):
    auth.login_as(users[viewer])
    body = client.get(f"/boards/topic/{anon['topic']}").get_data(as_text=True)
    assert HANDLE in body and "posted anonymously" in body
    profile = client.get(f"/boards/member/{HANDLE}").get_data(as_text=True)
    assert "Anonymous opening words." in profile


def test_revision_editor_is_not_unmasked(client, auth, users, anon):
    auth.login_as(users["moderator"])
    body = client.get(f"/boards/post/{anon['reply']}/revisions").get_data(as_text=True)
    assert "Anonymous reply words." in body and "by Anonymous member" in body and HANDLE not in body

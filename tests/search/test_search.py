"""Search: visibility for every role, anonymity, filters, snippets (both databases).

Runs on SQLite FTS5 by default and on PostgreSQL full-text search with
TEST_DATABASE_URL set: the same tests hold for both back-ends.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import Markup

from forum.boards import services as board_services
from forum.extensions import db
from forum.models import ChatMessage, ChatRoom, ContentStatus, utcnow
from forum.search import services as search
from tests.conftest import make_board, make_user, post_reply, post_topic

WORD = "lighthouse"


def _find(viewer, text=WORD, **kw):
    return [h.post.id for h in search.search(viewer, search.SearchQuery(text=text, **kw)).hits]


class _Nobody:
    is_authenticated = False


NOBODY = _Nobody()


@pytest.fixture()
def posted(app, users, board):
    return post_topic(users["member2"], board, title="Evenings by the sea",
                      body=f"Walking to the {WORD} every evening helps me breathe.")


def test_finds_visible_post_for_everyone(posted, users):
    for viewer in (NOBODY, users["member"], users["member2"], users["moderator"], users["staff"]):
        assert _find(viewer) == [posted.post.id]


def test_finds_by_title_and_by_stem(posted, users):
    assert _find(NOBODY, "sea evenings") == [posted.post.id]
    assert _find(NOBODY, "walk") == [posted.post.id]  # stemming: "walking"


def test_every_word_must_match(posted):
    assert _find(NOBODY, f"{WORD} volcano") == []


@pytest.mark.parametrize("status", [ContentStatus.HELD, ContentStatus.HIDDEN])
def test_held_and_hidden_found_only_by_author_and_moderators(posted, users, status):
    board_services.set_post_status(posted.post, status, note="A kind note")
    db.session.commit()
    assert _find(NOBODY) == []
    assert _find(users["member"]) == []
    assert _find(users["member2"]) == [posted.post.id]  # the author
    for role in ("moderator", "staff", "admin"):
        assert _find(users[role]) == [posted.post.id]


def test_held_reply_in_visible_topic(posted, users):
    reply = post_reply(users["member"], posted.topic, body=f"I know that {WORD} too, it is lovely.")
    board_services.set_post_status(reply.post, ContentStatus.HELD)
    db.session.commit()
    assert _find(users["member2"]) == [posted.post.id]
    assert set(_find(users["member"])) == {posted.post.id, reply.post.id}


def test_deleted_found_by_nobody(posted, users):
    board_services.delete_post(users["member2"], posted.post.id)
    for viewer in (NOBODY, users["member"], users["member2"], users["moderator"], users["admin"]):
        assert _find(viewer) == []


def test_moderator_notes_are_not_searchable(posted, users):
    board_services.set_post_status(posted.post, ContentStatus.HIDDEN, note="Quarantined for zebracrossing reasons")
    db.session.commit()
    for viewer in (users["member2"], users["moderator"]):
        assert _find(viewer, "zebracrossing") == []


def test_chat_messages_are_not_searchable(posted, users):
    room = ChatRoom(slug="lounge", name="Lounge", access="open")
    db.session.add(room)
    db.session.flush()
    db.session.add(ChatMessage(room_id=room.id, client_id="c1", author_id=users["member"].id, body_source="a marmalade moment",
                               body_html="<p>a marmalade moment</p>", status="visible", verdict_action="publish"))
    db.session.commit()
    assert _find(users["moderator"], "marmalade") == []


def test_anonymous_post_found_by_words_never_by_author(app, users, board):
    shy = make_user("ShyWriter")
    anon = post_topic(shy, board, title="Nobody knows", body=f"The {WORD} is where I go alone.", anonymous=True)
    named = post_topic(shy, board, title="Named post", body=f"A named {WORD} post.")
    for viewer in (NOBODY, users["member"], users["moderator"], users["admin"], shy):
        assert set(_find(viewer)) == {anon.post.id, named.post.id}
        # The by-member filter never lists the anonymous post, not even to its author.
        assert _find(viewer, author="ShyWriter") == [named.post.id]
        # The handle is not in the index: searching for it finds nothing.
        assert _find(viewer, "ShyWriter") == []


def test_anonymous_result_page_shows_no_handle(app, client, users, board):
    shy = make_user("ShyWriter")
    post_topic(shy, board, title="Nobody knows", body=f"The {WORD} is where I go alone.", anonymous=True)
    for role in (None, "moderator", "admin"):
        c = app.test_client()
        if role:
            c.post("/auth/login", data={"handle": users[role].handle, "password": "correct horse battery staple"})
        page = c.get(f"/search/?q={WORD}").get_data(as_text=True)
        assert "Anonymous member" in page
        assert "ShyWriter" not in page


def test_board_and_date_filters_and_newest_order(app, users, board):
    other = make_board("low-mood", "Low mood")
    old = post_topic(users["member"], board, title="Old one", body=f"An old {WORD} memory.")
    old.post.created_at = utcnow() - timedelta(days=40)
    db.session.commit()
    new = post_topic(users["member"], other, title="New one", body=f"A new {WORD} {WORD} {WORD} thought.")
    assert _find(NOBODY, board="low-mood") == [new.post.id]
    assert _find(NOBODY, board="general") == [old.post.id]
    today = utcnow().date()
    assert _find(NOBODY, since=today - timedelta(days=1)) == [new.post.id]
    assert _find(NOBODY, until=today - timedelta(days=30)) == [old.post.id]
    assert _find(NOBODY, order="newest") == [new.post.id, old.post.id]
    with pytest.raises(search.SearchError):
        search.search(NOBODY, search.SearchQuery(text=WORD, since=today, until=today - timedelta(days=2)))


def test_relevance_puts_title_matches_first(app, users, board):
    body_only = post_topic(users["member"], board, title="Something else", body=f"Once I saw a {WORD}.")
    titled = post_topic(users["member"], board, title=f"The {WORD}", body="It stood on the cliff.")
    assert _find(NOBODY) == [titled.post.id, body_only.post.id]


def test_index_kept_current_on_edit(posted, users):
    board_services.edit_post(users["member2"], board_services.PostEdit(
        post_id=posted.post.id, body="Now I walk to the harbour instead."))
    assert _find(NOBODY) == []
    assert _find(NOBODY, "harbour") == [posted.post.id]


def test_query_syntax_is_never_interpreted(app, users, board):
    # Operator words are in the text, so a query matches only if they are read as plain words.
    posted = post_topic(users["member"], board, title="Words", body=f"The {WORD} or near and not title evening.")
    for text in (f'"{WORD}', f"{WORD} OR title", f"{WORD}*", f"title:{WORD}", f"NEAR({WORD}", f"{WORD} & !not | (",
                 f"-{WORD}", f"{WORD}'; --", f"{WORD} AND NOT evening"):
        assert posted.post.id in _find(NOBODY, text), text
    with pytest.raises(search.SearchError):
        search.search(NOBODY, search.SearchQuery(text="*** ::: ()"))


def test_snippet_marks_terms_and_escapes_member_text():
    html = ('<p>I wrote &lt;script&gt;alert(1)&lt;/script&gt; near the lighthouse, '
            '<a href="https://example.org" onclick="x()">link</a> &amp; more</p>')
    out = search.snippet(html, ["lighthouse"])
    assert isinstance(out, Markup)
    assert "<mark>lighthouse</mark>" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<a " not in out and "onclick" not in out
    assert out.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_search_page_escapes_stored_html(app, client, users, board):
    post_topic(users["member"], board, title="Angle brackets",
               body=f"My {WORD} note: <script>alert('x')</script> <img src=x onerror=alert(1)> &lt;b&gt;")
    page = client.get(f"/search/?q={WORD}").get_data(as_text=True)
    results = page.split('class="search-results"', 1)[1]
    assert "<mark>" in results
    assert "<script" not in results and "<img" not in results and "onerror=alert" not in results.replace(
        "onerror=alert(1)&gt;", "")


def test_content_warning_shows_warning_not_snippet(app, client, users, board):
    post_topic(users["member"], board, title="Hard week", body=f"The {WORD} felt far away this week.",
               content_warning="talk of a hospital stay")
    hit = search.search(NOBODY, search.SearchQuery(text=WORD)).hits[0]
    assert hit.snippet is None
    page = client.get(f"/search/?q={WORD}").get_data(as_text=True)
    assert "talk of a hospital stay" in page
    assert "felt far away" not in page


def test_search_page_without_javascript(app, client, posted):
    page = client.get("/search/")
    assert page.status_code == 200 and b'name="q"' in page.data and b"<script" not in page.data
    found = client.get(f"/search/?q={WORD}&order=newest&board=general")
    assert found.status_code == 200
    assert f'/boards/post/{posted.post.id}'.encode() in found.data
    assert client.get("/search/?q=%21%21").status_code == 400
    bad_date = client.get(f"/search/?q={WORD}&since=31-12-2026")
    assert bad_date.status_code == 400 and b"2026-03-31" in bad_date.data


def test_header_search_box_on_every_page(app, client, posted):
    for url in ("/", "/boards/", f"/boards/topic/{posted.topic.id}", "/help"):
        assert b'role="search"' in client.get(url).data, url


def test_paging(app, users, board):
    ids = [post_topic(users["member"], board, title=f"T{i}", body=f"{WORD} number {i}").post.id for i in range(5)]
    first = search.search(NOBODY, search.SearchQuery(text=WORD, order="newest", per_page=2))
    assert [h.post.id for h in first.hits] == ids[::-1][:2] and first.has_next
    last = search.search(NOBODY, search.SearchQuery(text=WORD, order="newest", per_page=2, page=3))
    assert [h.post.id for h in last.hits] == [ids[0]] and not last.has_next

"""Issue 14.8: moderators' and staff members' named posts and chat messages
carry a role badge, so members can tell real staff at a glance. Anonymous
content never does: an anonymous moderator post stays "Anonymous member"."""
from __future__ import annotations

import re

from forum.chat import payloads
from forum.chat import services as chat
from tests.conftest import make_board, post_reply, post_topic


def _badges(html: str) -> list[str]:
    return re.findall(r'class="role-badge role-(\w+)"[^>]*>(\w+)</span>', html)


def test_named_staff_and_moderator_posts_carry_a_badge(client, auth, users):
    board = make_board()
    topic = post_topic(users["staff"], board, title="Where to find help tonight",
                       body="The help page lists helplines open all night.").topic
    post_reply(users["moderator"], topic, body="Thank you for posting this.")
    post_reply(users["member"], topic, body="That helps, thanks.")
    post_reply(users["admin"], topic, body="Glad it's useful.")
    auth.login_as(users["member2"])
    html = client.get(f"/boards/topic/{topic.id}").get_data(as_text=True)
    assert _badges(html) == [("staff", "Staff"), ("moderator", "Moderator"), ("staff", "Staff")]


def test_a_lookalike_member_gets_no_badge(client, auth, users):
    board = make_board()
    topic = post_topic(users["member"], board, title="Hi", body="Just me, a member.").topic
    html = client.get(f"/boards/topic/{topic.id}").get_data(as_text=True)
    assert "role-badge" not in html


def test_an_anonymous_moderator_post_has_no_badge(client, auth, users):
    """Anonymity first: a badge on an anonymous post would say which kind of
    account wrote it, to everyone, staff included."""
    board = make_board()
    topic = post_topic(users["moderator"], board, title="Something I went through",
                       body="I've struggled with this too.", anonymous=True).topic
    for viewer in ("member2", "moderator", "staff"):
        auth.login_as(users[viewer])
        html = client.get(f"/boards/topic/{topic.id}").get_data(as_text=True)
        assert "role-badge" not in html, viewer
        auth.logout()


def test_chat_messages_carry_the_role_for_named_staff_only(app, users):
    room = chat.create_room(users["staff"], chat.RoomInput(
        name="Evening check-in", slug="evening", description="How was today?", guidelines="Be kind.",
        access="members"))
    named = chat.send_message(users["moderator"], chat.SendMessage(room.id, "client-0001", "Welcome, everyone.")).message
    anon = chat.send_message(users["staff"], chat.SendMessage(room.id, "client-0002", "Hello all.", anonymous=True)).message
    member = chat.send_message(users["member"], chat.SendMessage(room.id, "client-0003", "Hi there.")).message
    assert payloads.message(named)["staff_role"] == "moderator"
    assert payloads.message(anon)["staff_role"] is None and payloads.message(anon)["author"] == "Anonymous member"
    assert payloads.message(member)["staff_role"] is None


# The chat page's rendering of the badge is held by
# tests/browser/test_chat_browser.py::test_moderator_messages_carry_the_role_badge_but_anonymous_ones_do_not.

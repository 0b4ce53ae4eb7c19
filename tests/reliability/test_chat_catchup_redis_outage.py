"""Issue 15, finding 4: during a Redis outage, accepted chat messages must
still reach members connected to other server processes, exactly once.

Two real server processes share a private Redis. Alice reads the room in
Chromium on process A; Bob sends from process B with python-socketio's
real client. Redis is stopped: Bob's messages are accepted (acked) but the
broadcast between processes is lost and no socket drops. The page's
periodic sync must fetch them all, each shown once, and delivery goes on
when Redis is back.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.chat import services
from tests.conftest import make_user
from tests.reliability.helpers import login
from tests.test_scaleout_chat import ChatClient
from tests.browser.pages import log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Every wait is for a condition, with room for a loaded 2-core machine: the
# page's sync runs every few seconds and each of its round trips may queue.
WAIT_MS = 60_000


def chat_client(base_url: str, handle: str) -> ChatClient:
    return ChatClient(base_url, login(base_url, handle).cookies["session"], wait_timeout=60)


def test_messages_sent_during_redis_outage_reach_the_other_process_once(browser, redis_and_servers):
    private, a, b = redis_and_servers
    staff = make_user("OutageStaff", "staff")
    make_user("OutageAlice")
    make_user("OutageBob")
    make_user("OutageCarol")
    room = services.create_room(staff, services.RoomInput(name="Outage room", slug="outage", access="members"))

    ctx = browser.new_context(base_url=a.url)
    try:
        ctx.set_default_timeout(WAIT_MS)
        page = ctx.new_page()
        log_in(page, "OutageAlice")
        page.goto(f"/chat/{room.slug}")
        expect(page.locator("#chat-status")).to_contain_text("Connected", timeout=WAIT_MS)

        bob = chat_client(b.url, "OutageBob")
        # Carol shares Alice's process: her messages still reach Alice live
        # during the outage, so Alice's newest id moves past Bob's lost ones.
        carol = chat_client(a.url, "OutageCarol")
        try:
            assert bob.call("join", {"room": room.id})["ok"]
            assert carol.call("join", {"room": room.id})["ok"]
            ack = bob.call("send", {"room": room.id, "client_id": "outage-before-0001", "text": "before the outage"})
            assert ack["ok"], ack
            expect(page.locator(f"#msg-{ack['message']['id']}")).to_have_count(1, timeout=WAIT_MS)

            private.stop()
            sent = []
            for i in range(10):
                ack = bob.call("send", {"room": room.id, "client_id": f"outage-during-{i:04d}",
                                        "text": f"during the outage {i}"})
                assert ack["ok"], ack
                sent.append(ack["message"]["id"])
                ack = carol.call("send", {"room": room.id, "client_id": f"outage-carol-{i:04d}",
                                          "text": f"carol during the outage {i}"})
                assert ack["ok"], ack
                sent.append(ack["message"]["id"])
            for msg_id in sent:
                expect(page.locator(f"#msg-{msg_id}")).to_have_count(1, timeout=WAIT_MS)

            private.start()
            ack = bob.call("send", {"room": room.id, "client_id": "outage-after-0001", "text": "after the outage"})
            assert ack["ok"], ack
            expect(page.locator(f"#msg-{ack['message']['id']}")).to_have_count(1, timeout=WAIT_MS)
            # Every message exactly once, in order.
            rows = page.locator("#chat-log > [data-id]")
            ids = [int(x) for x in rows.evaluate_all("els => els.map(e => e.dataset.id)")]
            assert ids == sorted(set(ids)) and set(sent) <= set(ids), ids
        finally:
            bob.sio.disconnect()
            carol.sio.disconnect()
    finally:
        ctx.close()

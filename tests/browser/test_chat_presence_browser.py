"""Issue 17 item 10, the chat part, in real Chromium at 1280 and 375 px: a
moderator who is only moderating chat (no queue or staff page open) counts
as online through the chat page's socket and heartbeat, so members don't see
the "moderators are away" banner and out-of-hours mode is off; when they
leave, both come back."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_chat_browser import chat_server, open_as, room  # noqa: F401 - fixtures
from forum.review import services
from tests.browser.test_presence_browser import BANNER, _online_becomes
from tests.review.helpers import verdict


def _out_of_hours() -> bool:
    """Out-of-hours mode holds a high-risk post that would otherwise go up flagged."""
    return services.effective_action(verdict("publish_flagged", "high"), kind="post") == "hold"


@pytest.mark.parametrize("width", [1280, 375])
def test_moderating_chat_counts_as_online(open_as, width):  # noqa: F811
    _online_becomes(0)
    alice = open_as("ChatAlice")
    alice.set_viewport_size({"width": width, "height": 800})
    alice.goto("/boards/")
    expect(alice.locator(BANNER)).to_be_visible()
    assert _out_of_hours()
    mod = open_as("ChatMod")  # the chat room only
    mod.set_viewport_size({"width": width, "height": 800})
    expect(mod.locator(BANNER)).to_have_count(0)
    _online_becomes(1)
    alice.reload()
    expect(alice.locator(BANNER)).to_have_count(0)
    assert not _out_of_hours()
    mod.context.close()
    _online_becomes(0)
    alice.reload()
    expect(alice.locator(BANNER)).to_be_visible()
    assert _out_of_hours()

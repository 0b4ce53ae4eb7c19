"""Nothing done on an anonymous item shows in what moderators see about the account.

A moderator warns an anonymous post with a marker note, then opens a named
post by a suspect: the marker, the sanction, its date and the anonymous
item itself must not appear there, for moderators or staff. Only the
audited staff reveal lists them, and the audit log names the item, not
the account.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import AuditEvent, utcnow
from forum.review import services
from forum.staff import reveal
from tests.review.helpers import post, review_for, verdict

MARKER = "MARKER-7Q2 unkind to another member"


@pytest.fixture()
def probe(app, users):
    """users["member"]'s anonymous post, warned and silenced with the marker; then a named post."""
    for role in ("moderator", "staff"):
        users[role].resources_read_at = utcnow()
    db.session.commit()
    anonymous = review_for(post(users["member"], verdict("publish_flagged", "high"), anonymous=True))
    services.perform(anonymous, "warn", users["moderator"], anonymous.version, MARKER)
    anonymous = review_for(post(users["member"], verdict("publish_flagged", "high"), anonymous=True))
    services.perform(anonymous, "silence", users["moderator"], anonymous.version, MARKER, hours=3)
    named = review_for(post(users["member"], verdict("publish_flagged", "concern")))
    return {"anonymous": anonymous, "named": named}


@pytest.mark.parametrize("viewer", ["moderator", "staff", "admin"])
def test_named_item_page_shows_nothing_from_anonymous_items(client, auth, users, probe, viewer):
    users["admin"].resources_read_at = utcnow()
    db.session.commit()
    auth.login_as(users[viewer])
    page = client.get(f"/review/{probe['named'].id}").get_data(as_text=True)
    history = page[page.index('id="hist-h"'):page.index('id="events-h"')]
    assert MARKER not in page
    assert "silence" not in history and "warn" not in history and "until" not in history
    assert f"Item #{probe['anonymous'].id}" not in page
    assert "No earlier items." in history


def test_author_history_leaves_out_anonymous_sanctions_unless_revealed(users, probe):
    for viewer in (users["moderator"], users["staff"]):
        history = services.author_history(probe["named"], viewer)
        assert history["sanctions"] == [] and history["items"] == []
    revealed = services.author_history(probe["named"], users["staff"], include_anonymous=True)
    assert {s.kind for s in revealed["sanctions"]} == {"warn", "silence"}


def test_sanction_audit_rows_name_the_item_not_the_account(users, probe):
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("sanction."))).all()
    assert len(rows) == 2
    assert {r.target_type for r in rows} == {"post"}
    assert all(r.data.get("until") is None or r.action == "sanction.silence" for r in rows)


def test_only_the_reveal_lists_them(users, probe):
    shown = reveal.reveal(users["staff"], reveal.RevealRequest("post", probe["anonymous"].target_id,
                                                              "Pattern of reports on this board"))
    assert shown.member.id == users["member"].id
    assert MARKER in {s.reason for s in shown.history["sanctions"]}

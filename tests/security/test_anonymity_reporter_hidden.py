"""Reporters are never shown to moderators, whatever history row records them.

A report on a resolved item reopens it, and that "reopened" row records
the reporter as its actor, as the "flagged" row does. The item page names
the actor of a history row for moderators only when the row is a
moderator's or staff member's own action; staff see everyone.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ReviewEvent, utcnow
from forum.review import services
from tests.conftest import make_user
from tests.review.helpers import post, review_for, verdict

FIRST, SECOND = "QuietReporterOne", "QuietReporterTwo"


@pytest.fixture()
def reported(app, users):
    """A post reported, approved, then reported again by someone else (reopened)."""
    for role in ("moderator", "staff"):
        users[role].resources_read_at = utcnow()
    db.session.commit()
    first, second = make_user(FIRST), make_user(SECOND)
    p = post(users["member"], verdict("publish", "none", categories=()), enqueue=False)
    services.flag("post", p, first, "unkind")
    db.session.commit()
    review = review_for(p)
    services.perform(review, "approve", users["moderator"], review.version, "fine")
    services.flag("post", p, second, "worried")
    # A moderator reporting as a member is a reporter too.
    services.flag("post", p, users["moderator"], "unkind")
    db.session.commit()
    return review_for(p)


def test_moderators_never_see_who_reported(client, auth, users, reported):
    actions = {e.action for e in db.session.scalars(select(ReviewEvent).where(ReviewEvent.review_id == reported.id))}
    assert {"flagged", "reopened", "approve"} <= actions
    auth.login_as(users["moderator"])
    page = client.get(f"/review/{reported.id}").get_data(as_text=True)
    assert FIRST not in page and SECOND not in page
    assert "reopened" in page and "flagged" in page
    # The moderator's own action is still attributed.
    assert "approve by ModeratorPerson" in page
    history = page[page.index('id="events-h"'):]
    assert "flagged by" not in history and "reopened by" not in history


def test_every_member_recorded_event_hides_its_actor_from_moderators(users, reported):
    events = db.session.scalars(select(ReviewEvent).where(ReviewEvent.review_id == reported.id)).all()
    reporters = {FIRST.casefold(), SECOND.casefold()}
    for e in events:
        if e.actor is not None and e.actor.handle_key in reporters:
            assert services.event_actor(e, users["moderator"]) is None, e.action
    flagged_by_mod = [e for e in events if e.action == "flagged" and e.actor_id == users["moderator"].id]
    assert flagged_by_mod and services.event_actor(flagged_by_mod[0], users["moderator"]) is None


def test_staff_still_see_reporters(client, auth, users, reported):
    auth.login_as(users["staff"])
    page = client.get(f"/review/{reported.id}").get_data(as_text=True)
    assert f"reopened by {SECOND}" in page and f"by {FIRST}" in page

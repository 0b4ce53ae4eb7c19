"""Explicit consent to process health information (issue 20, part 5).

Registration asks for it. Members who joined before it was asked have none
on record; consent to health data can't be assumed, so they are asked at
their next login. Until they answer yes they can read, reach helplines and
manage or leave their account, but not post: what they would write is the
health data the consent covers. A "no" is recorded with its time and leads
to the choice of closing or erasing the account.

Private conversations with the moderation team stay open either way: a
member who has not answered must still be able to reply to a moderator
checking on their safety (vital interests), and to ask for help.
"""
from __future__ import annotations

from typing import Any

from forum import audit
from forum.extensions import db
from forum.models import base as clock

# Shown wherever posting is refused for want of consent.
NEEDED = ("Before you can post, please answer one question about how Kindred uses what you share about "
          "your health (the link is at the top of the page). Your text is kept. You can still read, and "
          "the Get help now page lists services you can contact at any time.")


def give(user: Any) -> None:
    """Record explicit consent, with its time (the proof of consent)."""
    now = clock.utcnow()
    user.health_consent_at = now
    user.health_consent_declined_at = None
    audit.record(user, "consent.health_given", target_type="user", target_id=user.id, via="login")
    db.session.commit()


def decline(user: Any) -> None:
    """Record a refusal, with its time; nothing the member wrote is touched."""
    user.health_consent_declined_at = clock.utcnow()
    audit.record(user, "consent.health_declined", target_type="user", target_id=user.id)
    db.session.commit()

"""The single "support" reaction, shared by posts and chat messages."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func

from forum.extensions import db


def toggle_support(content: Any, support_model: type, content_key: str, user_id: int) -> bool:
    """Add or remove one member's support on ``content``; True if now given.

    The counter moves in SQL (``count = max(count + delta, 0)``), so two
    members supporting at once both count and it never goes below zero.
    Flushes, refreshes ``content.support_count``, and does not commit.
    """
    existing = db.session.get(support_model, (content.id, user_id))
    if existing is None:
        db.session.add(support_model(**{content_key: content.id, "user_id": user_id}))
        delta = 1
    else:
        db.session.delete(existing)
        delta = -1
    floor = func.max if db.engine.dialect.name == "sqlite" else func.greatest
    content.support_count = floor(type(content).support_count + delta, 0)
    db.session.flush()
    db.session.refresh(content, ["support_count"])
    return delta > 0

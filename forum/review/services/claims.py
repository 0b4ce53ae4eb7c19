"""Claims, so two moderators don't handle one item at once, and the
version checks every change to an item goes through."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from forum.errors import NotAllowed, StaleItem
from forum.extensions import db
from forum.models import Review
from forum.models import base as clock
from forum.review.services.items import add_history, announce


def check_version(review: Review, version: int | None) -> None:
    if version is None or int(version) != review.version:
        raise StaleItem("Someone else has just changed this item. Here is the latest version.")


def flush_or_stale() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleItem("Someone else has just changed this item. Here is the latest version.") from exc


def claimed_by_other(review: Review, actor: Any, now: datetime | None = None) -> bool:
    now = now or clock.utcnow()
    return bool(review.claimed_by_id and review.claimed_by_id != actor.id
                and review.claimed_until and review.claimed_until > now)


def claim(review: Review, actor: Any, version: int | None) -> Review:
    """Claim an item for KINDRED_CLAIM_SECONDS so two people don't handle it at once."""
    if not actor.is_moderator:
        raise NotAllowed("Only moderators can claim items.")
    check_version(review, version)
    now = clock.utcnow()
    if claimed_by_other(review, actor, now):
        raise StaleItem(f"{review.claimed_by.handle} is already looking at this item.")
    review.claimed_by_id = actor.id
    review.claimed_until = now + timedelta(seconds=current_app.config["KINDRED_CLAIM_SECONDS"])
    review.updated_at = now
    add_history(review, actor, "claimed")
    flush_or_stale()
    db.session.refresh(review, ["claimed_by"])
    announce(review)
    db.session.commit()
    return review


def release(review: Review, actor: Any, version: int | None) -> Review:
    check_version(review, version)
    if review.claimed_by_id != actor.id and not actor.is_staff:
        raise NotAllowed("You can only release your own claim.")
    review.claimed_by_id = None
    review.claimed_until = None
    review.updated_at = clock.utcnow()
    add_history(review, actor, "released")
    flush_or_stale()
    announce(review)
    db.session.commit()
    return review

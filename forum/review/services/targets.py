"""What a review item is about: a post, a chat message or a support message."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from forum.content import set_post_status
from forum.extensions import db
from forum.models import ChatMessage, Post, Review


def target_models() -> dict[str, Any]:
    from forum.models import SupportMessage

    return {"post": Post, "chat_message": ChatMessage, "support_message": SupportMessage}


def get_target(target_type: str, target_id: int) -> Post | ChatMessage | None:
    model = target_models().get(target_type)
    if model is None:
        return None
    return db.session.get(model, target_id)


def target_board_id(target_type: str, target: Any) -> int | None:
    if target_type == "post":
        return target.topic.board_id
    room = getattr(target, "room", None)
    return getattr(room, "board_id", None)


def target_url(review: Review) -> str | None:
    """Where the content lives, for links shown to its author (posts only)."""
    if review.target_type == "post":
        return f"/boards/post/{review.target_id}"
    return None


def set_content_status(target_type: str, target: Any, status: str) -> None:
    """Change a post's or message's status (no commit).

    Posts go through the forum core's ``set_post_status`` so topic status,
    board counters and the pre-moderation allowance stay right.
    """
    if target_type == "post":
        set_post_status(target, status)
    else:
        target.status = status


def targets_of(items: list[Review]) -> dict[int, Post | ChatMessage | None]:
    """Each item's content (with its author), one query per content type."""
    wanted: dict[str, list[int]] = {}
    for review in items:
        wanted.setdefault(review.target_type, []).append(review.target_id)
    found: dict[tuple[str, int], Any] = {}
    for target_type, ids in wanted.items():
        model = target_models().get(target_type)
        if model is None:
            continue
        for row in db.session.scalars(select(model).where(model.id.in_(ids))).unique():
            found[(target_type, row.id)] = row
    return {review.id: found.get((review.target_type, review.target_id)) for review in items}

"""A post's status and what is derived from it: its topic's status and the
topic and board counters.

Boards, review and data rights all change post statuses; this module sits
below all three so that none of them imports another's services.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Board, ContentStatus, Post, Topic

# Called when a post becomes public (held -> visible). Areas above this one
# (notifications) register here, so this module imports none of them.
_on_visible: list[Callable[[Post], None]] = []


def on_post_visible(hook: Callable[[Post], None]) -> Callable[[Post], None]:
    _on_visible.append(hook)
    return hook


def refresh_counters(topic: Topic) -> None:
    """Recompute the denormalised counts of ``topic`` and its board (no commit).

    Counting visible rows again is cheap with the indexes and can't drift the
    way increments do when a moderator later approves or hides content.
    """
    db.session.flush()
    visible = ContentStatus.VISIBLE
    topic.reply_count = db.session.scalar(
        select(func.count(Post.id)).where(Post.topic_id == topic.id, Post.number > 1, Post.status == visible)) or 0
    last = db.session.scalar(select(func.max(Post.created_at)).where(Post.topic_id == topic.id, Post.status == visible))
    if last is not None:
        topic.last_activity_at = last
    refresh_board_counters(topic.board)


def refresh_board_counters(board: Board) -> None:
    """Recompute a board's counts of visible topics and posts (no commit)."""
    visible = ContentStatus.VISIBLE
    board.topic_count = db.session.scalar(
        select(func.count(Topic.id)).where(Topic.board_id == board.id, Topic.status == visible)) or 0
    board.post_count = db.session.scalar(
        select(func.count(Post.id)).join(Topic, Post.topic_id == Topic.id)
        .where(Topic.board_id == board.id, Topic.status == visible, Post.status == visible)) or 0
    board.last_activity_at = db.session.scalar(
        select(func.max(Topic.last_activity_at)).where(Topic.board_id == board.id, Topic.status == visible))


def set_post_status(post: Post, status: str, *, note: str | None = None) -> None:
    """Change a post's status and keep everything derived from it right (no commit).

    For the review area: approving a held post (held -> visible) counts it
    towards the author's pre-moderation allowance; the opening post carries
    its topic's status with it; board and topic counts are recomputed.
    """
    if status not in tuple(ContentStatus):
        raise ValueError(f"unknown status {status!r}")
    old = post.status
    post.status = status
    if note is not None:
        post.moderator_note = note
    if old != ContentStatus.VISIBLE and status == ContentStatus.VISIBLE:
        post.author.approved_post_count += 1
        # Held content told nobody; now it is public, the people it answers hear of it.
        for hook in _on_visible:
            hook(post)
    if post.number == 1 and not (status == ContentStatus.DELETED and post.topic.status == ContentStatus.VISIBLE):
        # A deleted opening post leaves a visible topic in place (others'
        # replies stay readable); otherwise the topic follows its first post.
        post.topic.status = status
    refresh_counters(post.topic)

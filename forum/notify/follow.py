"""Following topics and ignoring members (Discourse's levels, kept small).

Ignoring is private: the ignored member is never told, and nothing changes
for anyone else. Moderators and staff cannot be ignored, so a safety
message from the team always shows (and is marked as from the team by
the role badge). An anonymous post is never collapsed as an ignored
member's: that would tell the reader who wrote it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, select

from forum.extensions import db
from forum.models import Board, BoardFollow, ContentStatus, MemberIgnore, Post, Topic, TopicFollow, TopicLevel, \
    TopicRead, User
from forum.models import base as clock


class FollowError(ValueError):
    """A choice we can't make (shown to the member)."""


def level_for(user: Any, topic_id: int) -> str:
    """The level the member set on this topic itself (normal if none)."""
    if not getattr(user, "is_authenticated", False):
        return TopicLevel.NORMAL
    row = db.session.get(TopicFollow, (user.id, topic_id))
    return row.level if row else TopicLevel.NORMAL


def board_level_for(user: Any, board_id: int) -> str:
    if not getattr(user, "is_authenticated", False):
        return TopicLevel.NORMAL
    row = db.session.get(BoardFollow, (user.id, board_id))
    return row.level if row else TopicLevel.NORMAL


def effective_level(user: Any, topic: Topic) -> str:
    """The topic's own level if the member set one, else their board's."""
    if not getattr(user, "is_authenticated", False):
        return TopicLevel.NORMAL
    row = db.session.get(TopicFollow, (user.id, topic.id))
    return row.level if row else board_level_for(user, topic.board_id)


def _store_level(model: type, key: dict[str, int], level: str) -> None:
    row = db.session.get(model, tuple(key.values()))
    if level == TopicLevel.NORMAL:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(model(**key, level=level, updated_at=clock.utcnow()))
    else:
        row.level = level
        row.updated_at = clock.utcnow()


def set_level(user: Any, topic: Topic, level: str) -> None:
    if level not in TopicLevel.ALL:
        raise FollowError("Choose watching, tracking, normal or muted.")
    _store_level(TopicFollow, {"user_id": user.id, "topic_id": topic.id}, level)
    if level in (TopicLevel.WATCHING, TopicLevel.TRACKING):
        _read_up_to(user.id, topic.id, _last_number(topic.id))  # counting starts now
    db.session.commit()


def set_board_level(user: Any, board: Board, level: str) -> None:
    if level not in TopicLevel.ALL:
        raise FollowError("Choose watching, tracking, normal or muted.")
    _store_level(BoardFollow, {"user_id": user.id, "board_id": board.id}, level)
    db.session.commit()


# -- who hears what (for forum.notify.services) -----------------------------------------

def users_at_level(topic: Topic, level: str) -> set[int]:
    """Members whose effective level for ``topic`` is ``level`` (a topic's own level wins over its board's)."""
    own = set(db.session.scalars(select(TopicFollow.user_id).where(TopicFollow.topic_id == topic.id,
                                                                   TopicFollow.level == level)))
    if level == TopicLevel.NORMAL:
        return own
    set_on_topic = select(TopicFollow.user_id).where(TopicFollow.topic_id == topic.id)
    by_board = set(db.session.scalars(select(BoardFollow.user_id).where(
        BoardFollow.board_id == topic.board_id, BoardFollow.level == level,
        BoardFollow.user_id.not_in(set_on_topic))))
    return own | by_board


def board_watchers(board_id: int) -> set[int]:
    return set(db.session.scalars(select(BoardFollow.user_id).where(BoardFollow.board_id == board_id,
                                                                    BoardFollow.level == TopicLevel.WATCHING)))


# -- reading and unread counts (tracking) -----------------------------------------------

def _last_number(topic_id: int) -> int:
    return db.session.scalar(select(func.max(Post.number)).where(Post.topic_id == topic_id)) or 0


def _read_up_to(user_id: int, topic_id: int, number: int) -> None:
    row = db.session.get(TopicRead, (user_id, topic_id))
    if row is None:
        db.session.add(TopicRead(user_id=user_id, topic_id=topic_id, last_read_number=number,
                                 updated_at=clock.utcnow()))
    elif number > row.last_read_number:
        row.last_read_number = number
        row.updated_at = clock.utcnow()


def mark_read(user: Any, topic: Topic, up_to_number: int) -> None:
    """The member saw a topic page up to this post. Stored only for topics
    they watch or track, so ordinary reading writes nothing."""
    if not getattr(user, "is_authenticated", False) or up_to_number < 1:
        return
    if effective_level(user, topic) not in (TopicLevel.WATCHING, TopicLevel.TRACKING):
        return
    row = db.session.get(TopicRead, (user.id, topic.id))
    if row is not None and row.last_read_number >= up_to_number:
        return
    _read_up_to(user.id, topic.id, up_to_number)
    db.session.commit()


def unread_counts(user: Any, topics: list[Topic]) -> dict[int, int | None]:
    """For a page of topics: topic id -> posts the member hasn't read, for
    topics they watch or track (None: a topic they have never opened)."""
    if not getattr(user, "is_authenticated", False) or not topics:
        return {}
    ids = [t.id for t in topics]
    own = dict(db.session.execute(select(TopicFollow.topic_id, TopicFollow.level).where(
        TopicFollow.user_id == user.id, TopicFollow.topic_id.in_(ids))).all())
    boards = dict(db.session.execute(select(BoardFollow.board_id, BoardFollow.level).where(
        BoardFollow.user_id == user.id, BoardFollow.board_id.in_({t.board_id for t in topics}))).all())
    followed = [t.id for t in topics if own.get(t.id, boards.get(t.board_id)) in (TopicLevel.WATCHING,
                                                                                   TopicLevel.TRACKING)]
    if not followed:
        return {}
    read = set(db.session.scalars(select(TopicRead.topic_id).where(TopicRead.user_id == user.id,
                                                                   TopicRead.topic_id.in_(followed))))
    counts = dict(db.session.execute(
        select(Post.topic_id, func.count(Post.id))
        .join(TopicRead, and_(TopicRead.topic_id == Post.topic_id, TopicRead.user_id == user.id))
        .where(Post.topic_id.in_(followed), Post.status == ContentStatus.VISIBLE,
               Post.number > TopicRead.last_read_number)
        .group_by(Post.topic_id)).all())
    return {tid: (counts.get(tid, 0) if tid in read else None) for tid in followed}


def wrote_in(user_id: int, topic: Topic, number: int, watch: bool) -> None:
    """The member wrote post ``number`` (inside their transaction, no commit):
    with ``watch``, a topic they set no level on becomes watched; either way
    what they followed counts as read up to their own post."""
    row = db.session.get(TopicFollow, (user_id, topic.id))
    if row is None and watch:
        row = TopicFollow(user_id=user_id, topic_id=topic.id, level=TopicLevel.WATCHING, updated_at=clock.utcnow())
        db.session.add(row)
    level = row.level if row is not None else db.session.scalar(select(BoardFollow.level).where(
        BoardFollow.user_id == user_id, BoardFollow.board_id == topic.board_id))
    if level in (TopicLevel.WATCHING, TopicLevel.TRACKING):
        _read_up_to(user_id, topic.id, number)


def muted_topic_ids(user_id: int):
    return select(TopicFollow.topic_id).where(TopicFollow.user_id == user_id, TopicFollow.level == TopicLevel.MUTED)


def ignoring(user_id: int) -> set[int]:
    return set(db.session.scalars(select(MemberIgnore.ignored_id).where(MemberIgnore.user_id == user_id)))


def ignored_handles(user: Any) -> list[str]:
    """For the chat page, which collapses live messages by their public label
    (an anonymous message never carries a handle, so it is never collapsed)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(db.session.scalars(select(User.handle).join(MemberIgnore, MemberIgnore.ignored_id == User.id)
                                     .where(MemberIgnore.user_id == user.id, User.is_deactivated.is_(False))))


def ignorers_of(author_id: int) -> set[int]:
    return set(db.session.scalars(select(MemberIgnore.user_id).where(MemberIgnore.ignored_id == author_id)))


def is_ignoring(user: Any, other: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and db.session.get(MemberIgnore, (user.id, other.id)) \
        is not None


def set_ignore(user: Any, other: User, ignore: bool) -> None:
    if other.id == user.id:
        raise FollowError("You can't ignore yourself.")
    if ignore and other.is_moderator:
        raise FollowError("Moderators and staff can't be ignored: messages about safety must always reach you. "
                          "If a team member's behaviour worries you, please tell another member of staff.")
    if ignore:
        if db.session.get(MemberIgnore, (user.id, other.id)) is None:
            db.session.add(MemberIgnore(user_id=user.id, ignored_id=other.id, created_at=clock.utcnow()))
    else:
        db.session.execute(delete(MemberIgnore).where(MemberIgnore.user_id == user.id,
                                                      MemberIgnore.ignored_id == other.id))
    db.session.commit()

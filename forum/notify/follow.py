"""Following topics and ignoring members (Discourse's levels, kept small).

Ignoring is private: the ignored member is never told, and nothing changes
for anyone else. Moderators and staff cannot be ignored, so a safety
message from the team always shows (and is marked as from the team by
the role badge). An anonymous post is never collapsed as an ignored
member's: that would tell the reader who wrote it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from forum.extensions import db
from forum.models import MemberIgnore, Topic, TopicFollow, TopicLevel, User
from forum.models import base as clock


class FollowError(ValueError):
    """A choice we can't make (shown to the member)."""


def level_for(user: Any, topic_id: int) -> str:
    if not getattr(user, "is_authenticated", False):
        return TopicLevel.NORMAL
    row = db.session.get(TopicFollow, (user.id, topic_id))
    return row.level if row else TopicLevel.NORMAL


def set_level(user: Any, topic: Topic, level: str) -> None:
    if level not in TopicLevel.ALL:
        raise FollowError("Choose watching, normal or muted.")
    row = db.session.get(TopicFollow, (user.id, topic.id))
    if level == TopicLevel.NORMAL:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(TopicFollow(user_id=user.id, topic_id=topic.id, level=level, updated_at=clock.utcnow()))
    else:
        row.level = level
        row.updated_at = clock.utcnow()
    db.session.commit()


def watch_by_default(user_id: int, topic_id: int) -> None:
    """Watch a topic the member just wrote in, inside their transaction (no commit).
    A level they chose themselves (muted, say) is kept."""
    if db.session.get(TopicFollow, (user_id, topic_id)) is None:
        db.session.add(TopicFollow(user_id=user_id, topic_id=topic_id, level=TopicLevel.WATCHING,
                                   updated_at=clock.utcnow()))


def muted_topic_ids(user_id: int):
    return select(TopicFollow.topic_id).where(TopicFollow.user_id == user_id, TopicFollow.level == TopicLevel.MUTED)


def users_at_level(topic_id: int, level: str) -> set[int]:
    return set(db.session.scalars(select(TopicFollow.user_id).where(TopicFollow.topic_id == topic_id,
                                                                   TopicFollow.level == level)))


def ignoring(user_id: int) -> set[int]:
    return set(db.session.scalars(select(MemberIgnore.ignored_id).where(MemberIgnore.user_id == user_id)))


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

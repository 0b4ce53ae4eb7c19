"""The member's data rights over their notification choices (forum.rights hooks)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from forum.extensions import db
from forum.models import BoardFollow, NotificationSettings, TopicFollow, TopicRead
from forum.rights import hooks


@hooks.export_section("notification_settings")
def export(user: Any) -> list[dict[str, Any]]:
    row = db.session.get(NotificationSettings, user.id)
    follows = db.session.execute(select(TopicFollow.topic_id, TopicFollow.level)
                                 .where(TopicFollow.user_id == user.id).order_by(TopicFollow.topic_id)).all()
    boards = db.session.execute(select(BoardFollow.board_id, BoardFollow.level)
                                .where(BoardFollow.user_id == user.id).order_by(BoardFollow.board_id)).all()
    return [{"email": row.email_mode if row else "off",
             "watch_topics_i_post_in": row.watch_own_topics if row else True,
             "topic_levels": [{"topic_id": t, "level": level} for t, level in follows],
             "board_levels": [{"board_id": b, "level": level} for b, level in boards]}]


@hooks.on_account_removed
def remove(user: Any, erase: bool, held: set[tuple[str, int]]) -> None:
    for model in (NotificationSettings, BoardFollow, TopicRead):
        db.session.execute(delete(model).where(model.user_id == user.id))

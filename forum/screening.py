"""One way to screen member text: the place it is written decides the policy.

Every caller (new topics, replies and edits, chat sends, a moderator's edit,
the background second opinion) goes through ``screen_for`` so that a
young people's board's ``strict`` profile can't be skipped by one path.
"""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import select

import moderation
from forum.extensions import db
from forum.models import Board, ChatMessage, ChatRoom, Post
from moderation.verdict import Verdict


def profile_of(place: Any) -> str | None:
    """The moderation policy profile of a board, a room, or the content in one."""
    if isinstance(place, Board):
        return place.policy_profile
    if isinstance(place, Post):
        return place.topic.board.policy_profile
    if isinstance(place, ChatMessage):
        place = db.session.get(ChatRoom, place.room_id)
    if isinstance(place, ChatRoom):
        if place.board_id is None:
            return None
        return db.session.scalar(select(Board.policy_profile).where(Board.id == place.board_id))
    # The chat send path's cached room view already carries its board's profile.
    return getattr(place, "profile", None)


def kind_of(target: Post | ChatMessage) -> str:
    if isinstance(target, ChatMessage):
        return "chat"
    # A private message to the moderation team (no number) is read like a post.
    return "post" if getattr(target, "number", 1) == 1 else "reply"


def screen_for(place: Any, text: str, *, kind: str | None = None, region: str | None = None,
               recheck: Verdict | None = None, screen: Callable[..., Verdict] | None = None) -> Verdict | None:
    """Screen ``text`` written in ``place`` (a board, room, post or chat message).

    ``kind`` defaults to what an existing post or message is; ``region``
    (for the writer's helplines) to the author's own setting when screening
    existing content. With ``recheck`` (the verdict already stored) this is
    the background second opinion, which returns a stricter verdict or None.
    """
    if kind is None:
        kind = kind_of(place)
    if region is None and isinstance(place, (Post, ChatMessage)):
        region = place.author.region if place.author is not None else None
    profile = profile_of(place)
    if recheck is not None:
        return moderation.second_opinion(text, recheck, kind=kind, region=region, profile=profile)
    return (screen or moderation.screen)(text, kind=kind, region=region, profile=profile)

"""Who is moderating now (live /mod and /staff sockets, across processes),
and out-of-hours mode, which holds what nobody would see in time."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Presence, Role, User
from forum.models import base as clock
from moderation import Verdict


def moderators_online(now: datetime | None = None) -> int:
    """Moderators (or above) with a fresh /mod or /staff socket (any moderator
    or staff page, or chat while moderating), across all processes."""
    now = now or clock.utcnow()
    since = now - timedelta(seconds=current_app.config["KINDRED_PRESENCE_TTL_SECONDS"])
    ranks = [r for r in Role.ALL if Role.RANK[r] >= Role.RANK[Role.MODERATOR]]
    return db.session.scalar(
        select(func.count(func.distinct(Presence.user_id)))
        .join(User, User.id == Presence.user_id)
        .where(Presence.namespace.in_(("/mod", "/staff")), Presence.last_seen_at >= since,
               User.role.in_(ranks))
    ) or 0


def effective_action(verdict: Verdict, *, kind: str) -> str:
    """The action to apply now, given moderator coverage.

    Out-of-hours mode: ``publish_flagged`` exists so a moderator looks soon
    after publication. With nobody online, a ``high``-risk item would sit
    published and unseen for hours, so it is held instead (and on-call staff
    are notified by ``on_screened``).
    """
    if verdict.action == "publish_flagged" and verdict.risk == "high" and not moderators_online():
        return "hold"
    return verdict.action


def record_presence(sid: str, user_id: int, namespace: str) -> None:
    now = clock.utcnow()
    row = db.session.get(Presence, sid)
    if row is None:
        db.session.add(Presence(sid=sid, user_id=user_id, namespace=namespace, connected_at=now, last_seen_at=now))
    else:
        row.last_seen_at = now
    db.session.commit()


def drop_presence(sid: str) -> None:
    row = db.session.get(Presence, sid)
    if row is not None:
        db.session.delete(row)
        db.session.commit()

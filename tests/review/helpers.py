"""Builders for review-area tests: content rows with a chosen verdict.

Verdicts are built directly (moderation.verdict.Verdict) so the tests do
not depend on what the moderation engine decides for a given text; the
browser and live tests go through the real posting path instead.
"""
from __future__ import annotations

from moderation.verdict import Reason, Verdict

from forum.extensions import db
from forum.models import Board, ContentStatus, Post, Topic, User, utcnow
from forum.review import services

CRISIS_TEXT = "I want to kill myself tonight. I can't do this any more."


def verdict(action: str = "publish_flagged", risk: str = "high", categories=("self_harm",),
            text: str = CRISIS_TEXT, reasons: tuple[Reason, ...] | None = None) -> Verdict:
    if reasons is None:
        idx = text.find("kill myself")
        reasons = (Reason(code=sorted(categories)[0] if categories else "none", start=max(idx, 0),
                          end=max(idx, 0) + 11, excerpt=text[max(idx, 0):max(idx, 0) + 11],
                          explanation="Talks about ending their life."),) if categories else ()
    return Verdict(action=action, risk=risk, categories=frozenset(categories), html=f"<p>{text}</p>",
                   reasons=reasons, text=text)


def board(slug: str = "support") -> Board:
    b = db.session.query(Board).filter_by(slug=slug).one_or_none()
    if b is None:
        b = Board(slug=slug, name=slug.capitalize(), description="")
        db.session.add(b)
        db.session.flush()
    return b


def post(author: User, v: Verdict | None = None, *, anonymous: bool = False, enqueue: bool = True,
         slug: str = "support", action: str | None = None) -> Post:
    """A new topic whose opening post carries ``v``; calls on_screened like the forum core."""
    v = v or verdict()
    action = action or v.action
    status = ContentStatus.VISIBLE if action in ("publish", "publish_flagged") else ContentStatus.HELD
    b = board(slug)
    topic = Topic(board=b, author=author, is_anonymous=anonymous, title="A hard day", status=status,
                  created_at=utcnow(), last_activity_at=utcnow())
    p = Post(topic=topic, number=1, author=author, is_anonymous=anonymous, body_source=v.text, status=status,
             created_at=utcnow())
    p.apply_verdict(v)
    db.session.add_all([topic, p])
    db.session.flush()
    if enqueue:
        services.on_screened("post", p, v, board_id=b.id, action=action)
    db.session.commit()
    return p


def review_for(p: Post):
    from sqlalchemy import select

    from forum.models import Review

    return db.session.scalar(select(Review).where(Review.target_type == "post", Review.target_id == p.id))

"""Chat background work: the Detoxify second opinion on broadcast messages.

Chat has to feel live, so a message is broadcast as soon as the fast
screening path publishes it; the slower model re-checks it here. If the
second opinion flags it, the message is hidden for everyone and queued for
a moderator (``services.apply_second_opinion``).
"""
from __future__ import annotations

import logging

from flask import current_app

from forum.jobs import get_app, huey

log = logging.getLogger(__name__)


@huey.task(retries=3, retry_delay=5)
def second_opinion_task(message_id: int) -> bool:
    import moderation
    from forum.chat import services
    from forum.extensions import db
    from forum.models import ChatMessage, ContentStatus

    second_opinion = getattr(moderation, "second_opinion", None)
    if second_opinion is None:  # engine without a second model: nothing to re-check
        return False
    with get_app().app_context():
        msg = db.session.get(ChatMessage, message_id)
        if msg is None or msg.status != ContentStatus.VISIBLE:
            return False
        first = _verdict_from_stored(msg.verdict)
        opinion = second_opinion(msg.body_source, first)
        return services.apply_second_opinion(message_id, opinion)


def _verdict_from_stored(data: dict):
    from moderation.verdict import Reason, Verdict

    from_dict = getattr(Verdict, "from_dict", None)
    if from_dict is not None:
        return from_dict(data)
    return Verdict(action=data.get("action", "publish"), risk=data.get("risk", "none"),
                   categories=frozenset(data.get("categories") or ()), html=data.get("html", ""),
                   reasons=tuple(Reason(**r) for r in data.get("reasons") or ()),
                   scores=dict(data.get("scores") or {}), text=data.get("text", ""))


def schedule_second_opinion(message_id: int) -> None:
    """Enqueue after the commit. Never lets a queue failure undo a sent message:
    the message is already stored and screened by the first pass."""
    if not current_app.config.get("KINDRED_CHAT_SECOND_OPINION", True):
        return
    try:
        second_opinion_task(message_id)
    except Exception:  # noqa: BLE001
        log.exception("could not run the second opinion for chat message %s", message_id)

"""Keep open chat windows in step with a message's status, whoever changes it.

A message can be hidden by a moderator in the room, by the review queue,
or by the background second opinion (``forum.review.services``), and a
held message can be approved in the queue. Rather than each of those
remembering to tell the room, a listener on ``ChatMessage.status`` queues
the live event; it is sent only after the transaction commits
(``forum.after_commit``), so a room never shows or drops a message the
database does not agree with.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import object_session

from forum.chat import payloads
from forum.after_commit import emit_after_commit
from forum.models import ChatMessage, ContentStatus

NAMESPACE = "/chat"


# active_history: the old status is loaded even when the row was expired, so
# a held message that is rejected never announces its id as "hidden".
@event.listens_for(ChatMessage.status, "set", active_history=True)
def _status_changed(target: ChatMessage, value: str, oldvalue: Any, _initiator: Any) -> None:
    session = object_session(target)
    if target.id is None or session is None or value == oldvalue:
        return  # a new message: send_message broadcasts it itself
    room = f"room:{target.room_id}"
    if value == ContentStatus.VISIBLE:
        # e.g. a moderator approved a held message in the review queue
        emit_after_commit("message", payloads.message(target), namespace=NAMESPACE, to=room, session=session)
    elif oldvalue == ContentStatus.VISIBLE:
        emit_after_commit("hidden", {"id": target.id, "room": target.room_id}, namespace=NAMESPACE, to=room,
                          session=session)

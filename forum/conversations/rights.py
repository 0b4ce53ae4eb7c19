"""The member's data rights over their private conversations (forum.rights hooks):
their download includes them as they see them, and closing the account
removes them, except what a safeguarding hold keeps."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from forum.conversations import services
from forum.extensions import db
from forum.models import Review, SupportConversation, SupportMessage, SupportParticipant
from forum.rights import hooks


@hooks.export_section("private_conversations")
def export(user: Any) -> list[dict[str, Any]]:
    return services.export_for_member(user)


@hooks.on_account_removed
def remove(user: Any, erase: bool, held: set[tuple[str, int]]) -> None:
    for conv in services.of_member(user):
        ids = set(db.session.scalars(select(SupportMessage.id).where(SupportMessage.conversation_id == conv.id)))
        review = db.session.get(Review, conv.review_id) if conv.review_id else None
        # A conversation about content under a safeguarding hold stays with it.
        if any(("support_message", i) in held for i in ids) or (
                review is not None and (review.target_type, review.target_id) in held):
            continue
        db.session.execute(delete(SupportMessage).where(SupportMessage.conversation_id == conv.id))
        db.session.execute(delete(SupportParticipant).where(SupportParticipant.conversation_id == conv.id))
        db.session.delete(conv)

"""Append-only audit log. STUB: the review-queue issue completes it."""
from __future__ import annotations

from typing import Any

from forum.extensions import db
from forum.models import AuditEvent


def record(actor: Any, action: str, *, target_type: str | None = None, target_id: int | None = None,
           reason: str | None = None, **data: Any) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits)."""
    event = AuditEvent(actor_id=getattr(actor, "id", None), action=action, target_type=target_type,
                       target_id=target_id, reason=reason, data=data)
    db.session.add(event)
    return event

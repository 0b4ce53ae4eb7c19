"""Review-queue use cases. STUB: the review-queue issue implements these.

The forum core and chat call these inside their own transaction, right
after persisting screened content; none of them commits.
"""
from __future__ import annotations

from typing import Any

from moderation import Verdict


def effective_action(verdict: Verdict, *, kind: str) -> str:
    """The action to apply now, given moderator coverage (out-of-hours mode
    holds ``high`` items). Stub: the verdict's own action."""
    return verdict.action


def on_screened(target_type: str, target: Any, verdict: Verdict, *, board_id: int | None = None,
                action: str | None = None) -> None:
    """Enqueue a review item if the verdict needs a human, open an escalation
    for imminent risk, and write outbox rows for alerts. No commit."""
    return None

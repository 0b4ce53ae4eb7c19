"""Retention: keep only what is needed, for as long as it is needed.

``run_all()`` runs hourly from the job consumer (forum.jobs.retention_task).
Each step is idempotent (running it twice changes nothing the second time),
reads the one app clock (so tests freeze it) and writes one audit row per
step that changed something, with counts only.
"""
from __future__ import annotations

from typing import Any

from forum import audit
from forum.extensions import db
from forum.models import base as clock
from forum.rights import erasure, export


def _audited(step: str, count: int) -> int:
    if count:
        audit.record(None, f"retention.{step}", count=count)
        db.session.commit()
    return count


def run_all(now: Any = None) -> dict[str, int]:
    now = now or clock.utcnow()
    return {
        "closures": erasure.run_due(now),
        "holds_finished": _audited("holds_finished", erasure.finish_holds(now)),
        "handles_released": erasure.release_handles(now),
        "exports_expired": export.expire(now),
    }

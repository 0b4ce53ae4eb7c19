"""Staff dashboard figures, the audit log query, and debrief handling."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case as sa_case
from sqlalchemy import select

from forum import audit
from forum.extensions import db
from forum.models import (AuditEvent, Board, CaseStatus, ChatMessage, ChatRoom, DebriefRequest, Escalation, Review,
                          User)
from forum.models import base as clock
from forum.models import DebriefStatus


@dataclass(frozen=True)
class CaseRow:
    """One line of the dashboard's case list."""

    case: Escalation
    place: str  # "Board: …" or "Room: …"; never the member
    tier: str
    acknowledged_by: str | None


def open_cases(now: datetime | None = None) -> list[CaseRow]:
    """Unresolved cases: overdue unacknowledged ones first, then by deadline."""
    from forum.review import services as review_services

    now = now or clock.utcnow()
    overdue = sa_case(((Escalation.status == CaseStatus.OPEN) & (Escalation.due_at <= now), 0), else_=1)
    cases = db.session.scalars(select(Escalation).where(Escalation.status != CaseStatus.RESOLVED)
                               .order_by(overdue, Escalation.due_at.asc())).all()
    rows = []
    for c in cases:
        review = db.session.get(Review, c.review_id) if c.review_id else None
        place = ""
        if c.target_type == "chat_message":
            msg = db.session.get(ChatMessage, c.target_id)
            room = db.session.get(ChatRoom, msg.room_id) if msg else None
            place = f"Room: {room.name}" if room else ""
        elif review and review.board_id:
            board = db.session.get(Board, review.board_id)
            place = f"Board: {board.name}" if board else ""
        ack = db.session.get(User, c.acknowledged_by_id) if c.acknowledged_by_id else None
        tier = review_services.review_tier(review) if review else c.risk
        rows.append(CaseRow(c, place, tier, ack.handle if ack else None))
    return rows


def case_region(member: User | None, anonymous: bool) -> dict[str, Any]:
    """The region and helplines a case page shows.

    An anonymous item's account stays unlinked, so its region is the site's
    default rather than the account's own.
    """
    from flask import current_app
    from moderation import signposting

    code = current_app.config["KINDRED_REGION"]
    if member is not None and not anonymous and member.region:
        code = member.region
    code = signposting.normalise_region(code)
    names = {r.code: r.name for r in signposting.regions()}
    return {"region_name": names.get(code, code), "helplines": signposting.helplines(code)[:5],
            "emergency": signposting.emergency_number(code)}


def case_events(case: Escalation) -> list[Any]:
    from forum.models import ReviewEvent

    if not case.review_id:
        return []
    return list(db.session.scalars(select(ReviewEvent).where(ReviewEvent.review_id == case.review_id)
                                   .order_by(ReviewEvent.id)).all())


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every figure is a real wait)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() if a and b else None


def response_figures(now: datetime | None = None) -> dict[str, dict[str, float | int | None]]:
    """p50/p90 of time to first review and time to acknowledge, over 7 and 30 days."""
    now = now or clock.utcnow()
    out: dict[str, dict[str, float | int | None]] = {}
    since30 = now - timedelta(days=30)
    reviews = db.session.execute(select(Review.created_at, Review.first_reviewed_at)
                                 .where(Review.created_at >= since30)).all()
    cases = db.session.execute(select(Escalation.created_at, Escalation.acknowledged_at)
                               .where(Escalation.created_at >= since30)).all()
    for days in (7, 30):
        since = now - timedelta(days=days)
        first = [s for c, f in reviews if c >= since and (s := _seconds(c, f)) is not None]
        ack = [s for c, a in cases if c >= since and (s := _seconds(c, a)) is not None]
        out[f"{days}d"] = {
            "first_review_p50": percentile(first, 50), "first_review_p90": percentile(first, 90),
            "first_review_n": len(first),
            "ack_p50": percentile(ack, 50), "ack_p90": percentile(ack, 90), "ack_n": len(ack),
        }
    return out


@dataclass(frozen=True)
class ChartDay:
    day: date
    volume: int
    median_minutes: float | None


def daily_series(days: int = 14, now: datetime | None = None) -> list[ChartDay]:
    now = now or clock.utcnow()
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = db.session.execute(select(Review.created_at, Review.first_reviewed_at)
                              .where(Review.created_at >= start)).all()
    buckets: dict[date, list[datetime | None]] = {}
    waits: dict[date, list[float]] = {}
    for created, first in rows:
        d = created.date()
        buckets.setdefault(d, []).append(first)
        if first:
            waits.setdefault(d, []).append((first - created).total_seconds() / 60)
    series = []
    for i in range(days):
        d = (start + timedelta(days=i)).date()
        p50 = percentile(waits.get(d, []), 50)
        series.append(ChartDay(d, len(buckets.get(d, [])), p50))
    return series


def chart(series: list[ChartDay], width: int = 640, height: int = 220) -> dict[str, Any]:
    """Geometry for the server-rendered SVG chart (bars: volume; line: median wait)."""
    pad_l, pad_b, pad_t = 40, 30, 10
    inner_w, inner_h = width - pad_l - 40, height - pad_b - pad_t
    max_v = max([d.volume for d in series] + [1])
    max_m = max([d.median_minutes or 0 for d in series] + [1])
    step = inner_w / max(1, len(series))
    bars, points = [], []
    for i, d in enumerate(series):
        x = pad_l + i * step
        h = inner_h * d.volume / max_v
        bars.append({"x": round(x + step * 0.15, 1), "y": round(pad_t + inner_h - h, 1),
                     "w": round(step * 0.7, 1), "h": round(h, 1), "label": d.day.strftime("%d %b"),
                     "volume": d.volume, "median": d.median_minutes})
        if d.median_minutes is not None:
            points.append(f"{x + step / 2:.1f},{pad_t + inner_h - inner_h * d.median_minutes / max_m:.1f}")
    return {"width": width, "height": height, "bars": bars, "line": " ".join(points), "max_v": max_v,
            "max_m": round(max_m, 1), "base_y": pad_t + inner_h, "pad_l": pad_l, "right": width - 40}


# -- audit log ---------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None


def audit_events(f: AuditFilter, limit: int | None = 500) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if f.actor:
        stmt = stmt.join(User, User.id == AuditEvent.actor_id).where(User.handle_key == f.actor.casefold())
    if f.action:
        stmt = stmt.where(AuditEvent.action.startswith(f.action))
    if f.since:
        stmt = stmt.where(AuditEvent.created_at >= datetime.combine(f.since, datetime.min.time(), UTC))
    if f.until:
        stmt = stmt.where(AuditEvent.created_at < datetime.combine(f.until + timedelta(days=1),
                                                                   datetime.min.time(), UTC))
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt).all())


def _csv_cell(value: Any) -> str:
    # Cells starting with = + - @ are formulas in spreadsheets: neutralise them.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(events: list[AuditEvent]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "time_utc", "actor", "action", "target_type", "target_id", "reason", "data"])
    for e in events:
        writer.writerow([_csv_cell(v) for v in (
            e.id, e.created_at.isoformat(), e.actor.handle if e.actor else "system", e.action, e.target_type,
            e.target_id, e.reason, e.data)])
    return buf.getvalue()


def close_debrief(req: DebriefRequest, staff: Any) -> None:
    req.status = DebriefStatus.DONE
    req.handled_by_id = staff.id
    req.handled_at = clock.utcnow()
    audit.record(staff, "debrief.done", target_type="debrief", target_id=req.id)
    db.session.commit()

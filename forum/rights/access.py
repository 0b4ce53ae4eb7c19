"""Subject-access requests handled by staff, and the data inventory.

A member may ask "what do you hold about me?" by any channel. Staff find
the member, open a request (the one-month legal deadline starts), see what
the member's own download would hold, add staff-held records (notes, case
records) only after checking them for other people's data, and record the
date they answered. Every step is audited.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from forum import audit
from forum.auth.services import find_by_handle
from forum.extensions import db
from forum.models import AccessRequest, User
from forum.models import base as clock
from forum.rights import export

MAX_RECORDS = 50_000


class AccessError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def one_month_after(start: datetime) -> datetime:
    """The same day next month (the last day when it has none), as the UK GDPR counts a month."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def find_member(handle: str) -> User | None:
    handle = (handle or "").strip()
    if not handle:
        return None
    user = find_by_handle(handle)
    # A closed or erased account keeps its former handle reserved for a while;
    # it holds nothing to disclose and must not be found by it.
    return None if user is None or user.is_deactivated else user


def open_request(staff: Any, user: User, received: date | None = None) -> AccessRequest:
    now = clock.utcnow()
    received_at = datetime.combine(received, time(12), tzinfo=now.tzinfo) if received else now
    if received_at > now + timedelta(days=1):
        raise AccessError("The date the request arrived can't be in the future.")
    req = AccessRequest(user_id=user.id, received_at=received_at, due_at=one_month_after(received_at),
                        created_by_id=staff.id)
    db.session.add(req)
    db.session.flush()
    audit.record(staff, "access_request.opened", target_type="user", target_id=user.id, request=req.id)
    db.session.commit()
    return req


def update_request(staff: Any, req: AccessRequest, staff_records: str | None, responded: date | None) -> None:
    records = (staff_records or "").strip() or None
    if records and len(records) > MAX_RECORDS:
        raise AccessError(f"Please keep the staff-held records under {MAX_RECORDS} characters.")
    now = clock.utcnow()
    if responded is not None:
        responded_at = datetime.combine(responded, time(12), tzinfo=now.tzinfo)
        if responded_at > now + timedelta(days=1):
            raise AccessError("The response date can't be in the future.")
        if responded_at < req.received_at - timedelta(days=1):
            raise AccessError("The response date can't be before the request arrived.")
        req.responded_at = responded_at
        req.handled_by_id = staff.id
    req.staff_records = records
    audit.record(staff, "access_request.responded" if responded else "access_request.updated",
                 target_type="user", target_id=req.user_id, request=req.id)
    db.session.commit()


def open_requests() -> list[AccessRequest]:
    return list(db.session.scalars(select(AccessRequest).order_by(AccessRequest.responded_at.is_not(None),
                                                                  AccessRequest.due_at.desc()).limit(200)))


@dataclass(frozen=True)
class Section:
    name: str
    count: int
    shown: list[str]


def preview(user: User) -> list[Section]:
    """What the member's download holds, section by section.

    Anonymous posts and messages are counted, never shown here: staff see
    the account behind anonymous content only through the audited reveal.
    """
    data = export.collect(user)
    out = []
    for name, value in data.items():
        if name in ("format", "not_included") or not isinstance(value, list):
            continue
        shown = [row.get("text") or row.get("title") or "" for row in value
                 if isinstance(row, dict) and not row.get("anonymous") and (row.get("text") or row.get("title"))]
        out.append(Section(name.replace("_", " ").capitalize(), len(value), shown[:20]))
    return out


# -- the inventory --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableEntry:
    table: str
    model: str
    columns: list[str]
    holds: str
    why: str
    keep: str


def inventory() -> list[TableEntry]:
    """Every table, from the models' ``__privacy__`` (missing ones say so)."""
    from forum.extensions import db as _db

    models = {m.class_.__tablename__: m.class_ for m in _db.Model.registry.mappers}
    entries = []
    for table in sorted(_db.metadata.tables.values(), key=lambda t: t.name):
        model = models.get(table.name)
        info = getattr(model, "__privacy__", None) if model is not None else None
        entries.append(TableEntry(
            table=table.name, model=model.__name__ if model is not None else "",
            columns=[c.name for c in table.columns],
            holds=info.holds if info else "NOT DESCRIBED: add __privacy__ to the model",
            why=info.why if info else "", keep=_with_settings(info.keep) if info else ""))
    return entries


def _with_settings(text: str) -> str:
    """Name each setting with its configured value: "KINDRED_X (90)"."""
    words = []
    for word in text.split(" "):
        bare = word.rstrip(",.;:)")
        if bare.startswith("KINDRED_") and bare in current_app.config:
            word = word.replace(bare, f"{bare} = {current_app.config[bare]}")
        words.append(word)
    return " ".join(words)

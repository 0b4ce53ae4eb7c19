""""Download my data": a ZIP of what the member wrote and what is about them
and visible to them, as JSON and as a readable HTML page.

The member asks on the account page; a job (outbox row) builds the ZIP into
``instance/exports/``; the account page then shows a link for
``KINDRED_EXPORT_HOURS`` and, if the member has an email address, an email
without any content says it is ready. The link needs the member's own login.

Left out on purpose (disclosed only through the staff-side subject-access
request, where a person first checks for third-party data): moderators'
notes and review history, staff risk assessments and crisis cases, the
screening verdicts, who reported the member, and any other member's
identity. The sealed safety contact is listed as saved (with the consent
time) but not unsealed: only staff can open it, through the audited break-glass.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import secrets
import zipfile
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy import select

from forum import audit, outbox
from forum.extensions import db
from forum.models import (ChatMessage, ChatRoom, ChatSupport, DataExport, Flag, MemberNotice, Post, PostRevision,
                          PostSupport, Review, Sanction, Topic, User, UserSession)
from forum.models import base as clock
from forum.models import ExportStatus
from forum.rights import hooks
from forum.rights.erasure import export_dir

FORMAT_VERSION = 1


class ExportError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def token_for(export: DataExport) -> str:
    """The link's token: derived from the row with the app's secret, so the
    account page can show it again while the database stores only its hash."""
    return hmac.new(current_app.secret_key.encode(), f"data-export:{export.id}:{export.requested_at.isoformat()}".encode(),
                    hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current(user: User, now: datetime | None = None) -> DataExport | None:
    """The member's latest download that is building or still valid."""
    now = now or clock.utcnow()
    return db.session.scalar(select(DataExport).where(DataExport.user_id == user.id, DataExport.expires_at > now)
                             .order_by(DataExport.id.desc()).limit(1))


def request_export(user: User) -> DataExport:
    now = clock.utcnow()
    existing = current(user, now)
    if existing is not None and existing.status == ExportStatus.BUILDING:
        raise ExportError("Your download is already being prepared. It will appear here shortly.")
    export = DataExport(user_id=user.id, token_hash=secrets.token_hex(32), status=ExportStatus.BUILDING, requested_at=now,
                        expires_at=now + timedelta(hours=current_app.config["KINDRED_EXPORT_HOURS"]))
    db.session.add(export)
    db.session.flush()
    export.token_hash = _hash(token_for(export))
    audit.record(user, "data.export_requested", target_type="user", target_id=user.id)
    outbox.add("rights.export_build", export_id=export.id)
    db.session.commit()
    return export


def find(user: User, token: str, now: datetime | None = None) -> DataExport | None:
    now = now or clock.utcnow()
    export = db.session.scalar(select(DataExport).where(DataExport.token_hash == _hash(token)))
    if export is None or export.user_id != user.id or export.expires_at <= now or export.status != ExportStatus.READY:
        return None
    return export


def build(export_id: int) -> bool:
    """Build the ZIP (idempotent: a ready or vanished export is left alone)."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.status == ExportStatus.READY:
        return False
    user = db.session.get(User, export.user_id)
    data = collect(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("kindred-data.json", json.dumps(data, indent=2, ensure_ascii=False, default=str))
        zf.writestr("kindred-data.html", render_template("rights/export.html", data=data))
    name = f"{secrets.token_hex(16)}.zip"
    path = export_dir() / name
    path.write_bytes(buffer.getvalue())
    path.chmod(0o600)
    export.filename = name
    export.status = ExportStatus.READY
    export.ready_at = clock.utcnow()
    if user.email:
        # No content in the email: an inbox is not a private place.
        outbox.add("rights.export_ready_email", email=user.email)
    db.session.commit()
    return True


def expire(now: datetime | None = None) -> int:
    """Delete downloads past their time, file and row (idempotent)."""
    now = now or clock.utcnow()
    count = 0
    for export in db.session.scalars(select(DataExport).where(DataExport.expires_at <= now)).all():
        if export.filename:
            (export_dir() / export.filename).unlink(missing_ok=True)
        db.session.delete(export)
        count += 1
    db.session.commit()
    return count


# -- what goes in ---------------------------------------------------------------------------------------

def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def collect(user: User) -> dict[str, Any]:
    uid = user.id
    posts = db.session.scalars(select(Post).where(Post.author_id == uid).order_by(Post.id)).all()
    topic_titles = {t.id: t.title for t in db.session.scalars(
        select(Topic).where(Topic.id.in_({p.topic_id for p in posts}))).all()} if posts else {}
    revisions: dict[int, list[dict[str, Any]]] = {}
    if posts:
        for r in db.session.scalars(select(PostRevision).where(PostRevision.post_id.in_([p.id for p in posts]))
                                    .order_by(PostRevision.post_id, PostRevision.number)):
            revisions.setdefault(r.post_id, []).append({
                "number": r.number, "text": r.body_source, "content_warning": r.content_warning,
                "written_at": _t(r.created_at),
                # Who edited is the member themself or "a moderator", never a name.
                "edited_by": "you" if r.editor_id == uid else "a moderator", "reason": r.reason if r.editor_id == uid else None})
    rooms = {r.id: r.name for r in db.session.scalars(select(ChatRoom)).all()}
    data: dict[str, Any] = {
        "format": {"name": "Kindred data download", "version": FORMAT_VERSION, "made_at": _t(clock.utcnow())},
        "profile": {
            "handle": user.handle, "role": user.role, "joined_at": _t(user.created_at),
            "last_seen_at": _t(user.last_seen_at), "age_confirmed_at": _t(user.age_confirmed_at),
            "guidelines_accepted_at": _t(user.guidelines_accepted_at),
            "health_data_consent_at": _t(user.health_consent_at),
            "health_data_consent_declined_at": _t(user.health_consent_declined_at),
            "safety_contact": {"saved": user.safety_contact_sealed is not None,
                               "consent_at": _t(user.safety_contact_consent_at),
                               "note": "Sealed: only staff can open it, through an audited action, so it is not "
                                       "repeated here. You can change or remove it on your account page."},
        },
        "settings": {"email": user.email, "region": user.region},
        "sessions": [{"device": s.device, "started_at": _t(s.created_at), "last_seen_at": _t(s.last_seen_at),
                      "ended_at": _t(s.revoked_at)}
                     for s in db.session.scalars(select(UserSession).where(UserSession.user_id == uid)
                                                 .order_by(UserSession.id))],
        "topics_started": [{"topic_id": t.id, "title": t.title, "anonymous": t.is_anonymous,
                            "started_at": _t(t.created_at), "status": t.status}
                           for t in db.session.scalars(select(Topic).where(Topic.author_id == uid).order_by(Topic.id))],
        "posts": [{"post_id": p.id, "topic_id": p.topic_id, "topic_title": topic_titles.get(p.topic_id),
                   "number": p.number, "anonymous": p.is_anonymous, "status": p.status,
                   "written_at": _t(p.created_at), "edited_at": _t(p.edited_at), "deleted_at": _t(p.deleted_at),
                   "content_warning": p.content_warning, "text": p.body_source,
                   "note_from_moderators": p.moderator_note, "earlier_versions": revisions.get(p.id, [])}
                  for p in posts],
        "chat_messages": [{"message_id": m.id, "room": rooms.get(m.room_id), "anonymous": m.is_anonymous,
                           "status": m.status, "written_at": _t(m.created_at), "text": m.body_source,
                           "note_from_moderators": m.moderator_note}
                          for m in db.session.scalars(select(ChatMessage).where(ChatMessage.author_id == uid)
                                                      .order_by(ChatMessage.id))],
        "reactions": (
            [{"kind": "support", "on": "post", "post_id": s.post_id, "at": _t(s.created_at)}
             for s in db.session.scalars(select(PostSupport).where(PostSupport.user_id == uid))]
            + [{"kind": "support", "on": "chat_message", "message_id": s.message_id, "at": _t(s.created_at)}
               for s in db.session.scalars(select(ChatSupport).where(ChatSupport.user_id == uid))]),
        "reports_made": [{"about": f"{target_type} #{target_id}", "reason": f.reason, "details": f.details,
                          "status": f.status, "made_at": _t(f.created_at)}
                         for f, target_type, target_id in db.session.execute(
                             select(Flag, Review.target_type, Review.target_id).join(Review, Flag.review_id == Review.id)
                             .where(Flag.reporter_id == uid).order_by(Flag.id))],
        "messages_from_moderators": [{"kind": n.kind, "text": n.body, "sent_at": _t(n.created_at),
                                      "read_at": _t(n.read_at)}
                                     for n in db.session.scalars(select(MemberNotice).where(MemberNotice.user_id == uid)
                                                                 .order_by(MemberNotice.id))],
        "restrictions": [{"kind": s.kind, "until": _t(s.until), "from": _t(s.created_at)}
                         for s in db.session.scalars(select(Sanction).where(Sanction.user_id == uid)
                                                     .order_by(Sanction.id))],
    }
    # Private support conversations, notifications and any other area's data
    # join here through forum.rights.hooks.export_section.
    for name, section in sorted(hooks.EXPORTERS.items()):
        data[name] = section(user)
    data["not_included"] = (
        "Moderators' and staff's private notes, review history, crisis case records and risk assessments, "
        "automated screening results, who reported you, and other members' identities are not in this "
        "download. You can ask for them through a subject-access request (see the privacy notice); a staff "
        "member then checks them for other people's information before sending them to you.")
    return data


@outbox.handler("rights.export_build")
def _export_build(payload: dict[str, Any]) -> None:
    build(payload["export_id"])


@outbox.handler("rights.export_ready_email", scrub=True)
def _export_ready_email(payload: dict[str, Any]) -> None:
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        return
    link = f"{cfg['KINDRED_BASE_URL']}/account/"
    outbox.send_email("Your Kindred download is ready",
                      "The data download you asked for is ready.\n\n"
                      f"Log in and open your account page to download it within {cfg['KINDRED_EXPORT_HOURS']} hours:\n"
                      f"{link}\n\nIf you didn't ask for this, change your password from the same page.\n",
                      [payload["email"]])

"""Transactional outbox: work that must happen after a commit, reliably.

Services add an ``Outbox`` row in the same transaction as the change that
needs it (an escalation, a missed deadline). Nothing is lost if the process
dies right after the commit: the relay runs right after the commit (kicked
through the job queue) AND periodically from the job consumer, and it
delivers every unprocessed row, whichever process wrote it.

Delivery is at-least-once. A row is leased before delivery (an atomic
UPDATE ... WHERE processed_at IS NULL AND available_at <= now), so two
relays running at once do not both send it; a relay that dies mid-delivery
lets the lease expire and the row is retried. Failures back off and are
recorded in ``last_error``.
"""
from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from forum.events import call_after_commit
from forum.extensions import db, socketio
from forum.models import Alert, Escalation, Outbox
from forum.models import base as clock

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=10)
Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


# Kinds whose payload is personal data (an email address): emptied once delivered.
SCRUB_AFTER_DELIVERY: set[str] = set()


def handler(kind: str, *, scrub: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if scrub:
            SCRUB_AFTER_DELIVERY.add(kind)
        return fn

    return register


def add(kind: str, /, **payload: Any) -> Outbox:
    """Add an outbox row to the current transaction and kick the relay after commit."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    now = clock.utcnow()
    row = Outbox(kind=kind, payload=payload, created_at=now, available_at=now)
    db.session.add(row)
    call_after_commit(kick_relay, late=True, key="outbox_kick")
    return row


def kick_relay() -> None:
    """Ask the job queue to relay now (inline in immediate mode)."""
    from forum import jobs

    jobs.relay_outbox_task()


def _lease(row_id: int, now) -> bool:
    result = db.session.execute(
        update(Outbox)
        .where(Outbox.id == row_id, Outbox.processed_at.is_(None), Outbox.available_at <= now)
        .values(available_at=now + LEASE, attempts=Outbox.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def relay(limit: int = 100) -> int:
    """Deliver due outbox rows; returns how many were delivered. Needs an app context."""
    now = clock.utcnow()
    ids = db.session.scalars(
        select(Outbox.id).where(Outbox.processed_at.is_(None), Outbox.available_at <= now)
        .order_by(Outbox.id).limit(limit)
    ).all()
    delivered = 0
    for row_id in ids:
        if not _lease(row_id, now):
            continue  # another relay has it
        row = db.session.get(Outbox, row_id)
        try:
            HANDLERS[row.kind](dict(row.payload))
            if row.kind in SCRUB_AFTER_DELIVERY:
                row.payload = {}
            row.processed_at = clock.utcnow()
            row.last_error = None
            db.session.commit()
            delivered += 1
        except Exception as exc:  # noqa: BLE001 - recorded and retried
            db.session.rollback()
            row = db.session.get(Outbox, row_id)
            backoff = min(MAX_BACKOFF, timedelta(seconds=15 * 2 ** min(row.attempts, 8)))
            row.available_at = clock.utcnow() + backoff
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            db.session.commit()
            log.warning("outbox row %s (%s) failed, retrying in %s: %s", row_id, row.kind, backoff, exc)
    return delivered


# -- channels -----------------------------------------------------------------

def _record(kind: str, channel: str, *, ok: bool, recipient: str | None = None, detail: str | None = None,
            review_id: int | None = None, escalation_id: int | None = None) -> None:
    db.session.add(Alert(kind=kind, channel=channel, ok=ok, recipient=recipient, detail=detail,
                         review_id=review_id, escalation_id=escalation_id, created_at=clock.utcnow()))


def send_email(subject: str, body: str, recipients: list[str]) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = cfg["SMTP_FROM"]
    msg["To"] = ", ".join(recipients)
    msg.set_content(body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg.get("SMTP_TIMEOUT", 10)) as smtp:
        smtp.send_message(msg)


def post_webhook(url: str, payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    timeout = current_app.config.get("SMTP_TIMEOUT", 10)
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - operator-configured URL
        if resp.status >= 300:
            raise OSError(f"webhook answered {resp.status}")


def notify_oncall(kind: str, subject: str, body: str, *, review_id: int | None = None,
                  escalation_id: int | None = None) -> None:
    """Email and webhook on-call staff; record one Alert per channel.

    Messages carry no member text and no handle: only what happened and a
    link, because email and chat webhooks leave the platform.
    A channel that fails raises, so the outbox row is retried; channels that
    already succeeded are recorded (a retry may repeat them: at-least-once).
    """
    cfg = current_app.config
    errors: list[str] = []
    sent_any = False
    if cfg.get("SMTP_HOST") and cfg.get("ONCALL_EMAILS"):
        try:
            send_email(subject, body, cfg["ONCALL_EMAILS"])
            _record(kind, "email", ok=True, recipient=",".join(cfg["ONCALL_EMAILS"]), detail=subject,
                    review_id=review_id, escalation_id=escalation_id)
            sent_any = True
        except Exception as exc:  # noqa: BLE001
            _record(kind, "email", ok=False, detail=str(exc)[:500], review_id=review_id, escalation_id=escalation_id)
            errors.append(f"email: {exc}")
    if cfg.get("ONCALL_WEBHOOK_URL"):
        try:
            post_webhook(cfg["ONCALL_WEBHOOK_URL"], {"kind": kind, "subject": subject, "text": body,
                                                     "review_id": review_id, "escalation_id": escalation_id})
            _record(kind, "webhook", ok=True, recipient="webhook", detail=subject,
                    review_id=review_id, escalation_id=escalation_id)
            sent_any = True
        except Exception as exc:  # noqa: BLE001
            _record(kind, "webhook", ok=False, detail=str(exc)[:500], review_id=review_id,
                    escalation_id=escalation_id)
            errors.append(f"webhook: {exc}")
    if not sent_any and not errors:
        # No channel configured: say so loudly in the log, and in the record.
        log.error("on-call notification %r not sent: set SMTP_HOST + KINDRED_ONCALL_EMAILS "
                  "and/or KINDRED_ONCALL_WEBHOOK_URL", subject)
        _record(kind, "log", ok=False, detail="no on-call channel configured", review_id=review_id,
                escalation_id=escalation_id)
    db.session.commit()
    if errors:
        raise RuntimeError("; ".join(errors))


def _case_url(escalation_id: int) -> str:
    from forum.links import external_url

    return external_url("staff.case", case_id=escalation_id)


@handler("escalation.opened")
def _escalation_opened(payload: dict[str, Any]) -> None:
    case = db.session.get(Escalation, payload["escalation_id"])
    if case is None:
        return
    socketio.emit("case", {"id": case.id, "status": case.status, "risk": case.risk, "new": True},
                  namespace="/staff", to="staff")
    _record("case_opened", "socket", ok=True, recipient="staff", escalation_id=case.id)
    notify_oncall(
        "case_opened",
        f"Kindred: new {case.risk} crisis case #{case.id}",
        f"A {case.risk}-risk case needs a staff member to acknowledge it.\n{_case_url(case.id)}\n",
        review_id=case.review_id, escalation_id=case.id,
    )


@handler("oncall.notify")
def _oncall_notify(payload: dict[str, Any]) -> None:
    notify_oncall(payload["kind"], payload["subject"], payload["body"],
                  review_id=payload.get("review_id"), escalation_id=payload.get("escalation_id"))


@handler("password_reset", scrub=True)
def _password_reset(payload: dict[str, Any]) -> None:
    from forum.auth import services

    services.send_password_reset_emails(payload["email"])


@handler("second_opinion")
def _second_opinion(payload: dict[str, Any]) -> None:
    from forum.review import services

    services.run_second_opinion(payload["target_type"], payload["target_id"])
